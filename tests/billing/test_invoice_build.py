"""Money rules of invoicing: what is billable, billed once, totals, numbering, void and credit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from l2c_app.billing import service as billing
from l2c_app.billing.models import BilledSource, Invoice
from l2c_app.core.audit import SYSTEM, history
from l2c_app.core.errors import DomainError
from l2c_app.payments.models import ClientCredit

UP_TO = date(2026, 3, 31)


def test_builds_a_draft_from_every_billable_source(world, session):
    w = world
    w.time(90)  # 1.5 h x 95.00 = 142.50
    w.time(45, rate=9500)  # same group
    w.time(60, line=w.design)  # 80.00, no tax
    w.time(60, approved=False)  # not approved: left out
    w.time(60, billable=False)  # not billable
    w.time(60, day=date(2026, 4, 2))  # after the date
    w.milestone(50000, kind="fixed")
    w.milestone(30000, reached=True)
    w.milestone(70000, reached=False)  # planned: left out
    w.change_order(12345)
    w.change_order(99999, status="sent")  # not approved
    w.expense(2500)
    w.expense(4000, billable=False)
    w.retainer(10000, start=date(2026, 2, 1))  # Feb and Mar due
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    lines = billing.lines_of(session, inv.id)
    by_type = {}
    for ln in lines:
        by_type.setdefault(ln.source_type, []).append(ln.amount_minor)
    # 135 min x 9500 / 60 = 21375 exactly; designer 8000
    assert sorted(by_type["time"]) == [8000, 21375]
    assert sorted(by_type["milestone"]) == [30000, 50000]
    assert by_type["change_order"] == [12345]
    assert by_type["expense"] == [2500]
    assert by_type["retainer_period"] == [10000, 10000]
    assert inv.subtotal_minor == 21375 + 8000 + 80000 + 12345 + 2500 + 20000
    # tax: developer time 20 % (4275) and both milestones 20 % (16000)
    assert inv.tax_minor == 4275 + 16000
    assert inv.total_minor == inv.subtotal_minor + inv.tax_minor  # every tax here is exclusive
    assert billing.billed_sources_total(session, inv.id) == inv.subtotal_minor
    assert inv.status == "draft" and inv.number is None and inv.currency == "EUR"


def test_grouped_line_rounds_once_and_links_add_up(world, session):
    w = world
    for minutes in (7, 11, 13):  # 31 min x 95.00/h = 49.0833 -> 4908 once, not per entry
        w.time(minutes)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    (line,) = billing.lines_of(session, inv.id)
    assert line.amount_minor == 4908
    links = session.exec(select(BilledSource).where(BilledSource.invoice_line_id == line.id)).all()
    assert len(links) == 3 and sum(link.amount_minor for link in links) == 4908


def test_itemised_time_makes_a_line_per_entry(session):
    from tests.billing.factory import World

    w = World(session, itemise_time=True)
    w.time(30)
    w.time(45)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert [ln.amount_minor for ln in billing.lines_of(session, inv.id)] == [4750, 7125]


def test_unapproved_time_is_billable_when_approval_is_not_required(session):
    from tests.billing.factory import World

    w = World(session, time_approval_required=False)
    w.time(60, approved=False)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert inv.subtotal_minor == 9500


def test_nothing_is_billed_twice(world, session):
    w = world
    w.time(60)
    w.milestone(1000, kind="fixed")
    billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    with pytest.raises(billing.BillingError, match="Nothing to bill"):
        billing.build_invoice(session, SYSTEM, w.pid, UP_TO)


def test_the_database_refuses_a_second_live_link(world, session):
    w = world
    te = w.time(60)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    line = billing.lines_of(session, inv.id)[0]
    session.commit()
    session.add(BilledSource(invoice_line_id=line.id, source_type="time", source_id=te.id, amount_minor=1))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_untick_items_before_and_after_building(world, session):
    w = world
    w.time(60)
    m = w.milestone(1000, kind="fixed")
    co = w.change_order(500)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO, exclude_keys={f"milestone:{m.id}"})
    assert {ln.source_type for ln in billing.lines_of(session, inv.id)} == {"time", "change_order"}
    co_line = next(ln for ln in billing.lines_of(session, inv.id) if ln.source_type == "change_order")
    billing.remove_line(session, SYSTEM, inv.id, co_line.id)
    assert inv.subtotal_minor == 9500
    left = {c.key for c in billing.unbilled_candidates(session, w.pid, UP_TO)}
    assert left == {f"milestone:{m.id}", f"change_order:{co.id}"}


def test_issue_numbers_from_the_pattern_without_gaps(world, session):
    w = world
    org = w.org
    org.settings = {"invoice_number_pattern": "F{year}/{seq:05d}", "invoice_terms": "net_15"}
    session.add(org)
    numbers = []
    for amount in (100, 200, 300):
        w.change_order(amount)
        inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
        billing.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 5, 1))
        numbers.append(inv.number)
        assert inv.due_date == date(2026, 5, 16) and inv.status == "sent"
    assert numbers == ["F2026/00001", "F2026/00002", "F2026/00003"]
    with pytest.raises(billing.BillingError):
        billing.issue_invoice(session, SYSTEM, inv.id)


def test_void_releases_the_sources_with_an_audit_trail(world, session):
    w = world
    w.time(60)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    billing.issue_invoice(session, SYSTEM, inv.id)
    billing.void_invoice(session, SYSTEM, inv.id, reason="wrong client")
    assert inv.status == "void"
    assert billing.unbilled_total(session, w.pid, UP_TO) == 9500
    again = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert again.subtotal_minor == 9500
    actions = [a.action for a in history(session, "invoice", inv.id)]
    assert "void" in actions and "release_sources" in actions


def test_credit_note_negates_and_releases(world, session):
    w = world
    w.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    billing.issue_invoice(session, SYSTEM, inv.id)
    billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=5000, method="bank_transfer")
    with pytest.raises(billing.BillingError, match="credit note"):
        billing.void_invoice(session, SYSTEM, inv.id)
    cn = billing.credit_note(session, SYSTEM, inv.id, reason="scope dropped")
    assert cn.kind == "credit_note" and cn.number.startswith("CN-") and cn.total_minor == -inv.total_minor
    assert inv.status == "void"
    assert billing.unbilled_total(session, w.pid, UP_TO) == 10000
    # the 50.00 received stays on the ledger as the client's credit
    credit = session.exec(select(ClientCredit)).one()
    assert credit.amount_minor == 5000


def test_manual_payments_partial_paid_and_overpaid(world, session):
    w = world
    w.change_order(10000)  # no tax
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    billing.issue_invoice(session, SYSTEM, inv.id)
    billing.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=4000,
        method="check",
        received_on=date(2026, 4, 1),
        reference="CHK 1",
    )
    assert inv.status == "partially_paid" and inv.paid_minor == 4000
    # 70.00 against 60.00 open: refused until the overpayment is confirmed, naming the 10.00 credit
    with pytest.raises(DomainError, match="client credit of €10.00") as refused:
        billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=7000, method="bank_transfer")
    assert refused.value.code == "amount.overpayment" and refused.value.kind == "invalid"
    assert inv.paid_minor == 4000 and not session.exec(select(ClientCredit)).all()
    billing.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=7000,
        method="bank_transfer",
        confirm_overpayment=True,
    )
    assert inv.status == "paid" and inv.paid_minor == 11000
    assert session.exec(select(ClientCredit)).one().amount_minor == 1000
    from l2c_app.billing.views import invoice_detail

    assert invoice_detail(session, inv.id)["invoice"]["credit"] == "€10.00"  # shown on the invoice page
    with pytest.raises(billing.BillingError, match="Method"):
        billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=1, method="bitcoin")


def test_deposit_is_deducted_from_the_next_invoice_once(world, session):
    w = world
    with pytest.raises(billing.BillingError, match="number"):
        billing.create_deposit_invoice(session, SYSTEM, w.pid, percent="thirty")
    with pytest.raises(billing.BillingError, match="between"):
        billing.create_deposit_invoice(session, SYSTEM, w.pid, percent="130")
    # A percent that rounds to no minor unit would leave a draft of 0 that can never be issued.
    with pytest.raises(billing.BillingError, match="must be positive"):
        billing.create_deposit_invoice(session, SYSTEM, w.pid, percent="0.00001")  # 0.1 cent of 10,000.00
    assert session.exec(select(Invoice)).all() == []
    dep = billing.create_deposit_invoice(session, SYSTEM, w.pid, percent="30")  # of the deal value 10,000.00
    assert dep.subtotal_minor == 300000
    billing.issue_invoice(session, SYSTEM, dep.id)
    w.milestone(500000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    deduction = [ln for ln in billing.lines_of(session, inv.id) if ln.source_type == "deposit"]
    assert [ln.amount_minor for ln in deduction] == [-300000]
    assert inv.subtotal_minor == 200000
    w.milestone(400000, kind="fixed")
    nxt = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert nxt.subtotal_minor == 400000  # not deducted twice


def test_retainer_periods_bill_month_by_month(world, session):
    w = world
    w.retainer(50000, start=date(2026, 1, 15), months=2)
    inv = billing.build_invoice(session, SYSTEM, w.pid, date(2026, 6, 30))
    assert [ln.amount_minor for ln in billing.lines_of(session, inv.id)] == [50000, 50000]


def test_settings_validate_the_pattern(world, session):
    with pytest.raises(billing.BillingError, match="seq"):
        billing.save_billing_settings(session, SYSTEM, {"invoice_number_pattern": "INV-{year}"})
    cfg = billing.save_billing_settings(
        session, SYSTEM, {"invoice_terms": "due_on_receipt", "reminder_days_after": "7, 1"}
    )
    assert cfg["invoice_terms"] == "due_on_receipt" and cfg["reminder_days_after"] == [1, 7]
