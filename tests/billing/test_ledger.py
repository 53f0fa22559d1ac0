"""The ledger's corrections: overpayment guard, reversal, client credit applied, partial
credit notes, write-offs, the delivery state; and the money gaps the mutation run found."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing import credit_notes, ledger
from l2c_app.billing import service as billing
from l2c_app.billing.models import BilledSource, Invoice
from l2c_app.billing.payment_status import _status_for
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog
from l2c_app.payments.models import ClientCredit, Dispute, Payment, Refund
from tests.billing.factory import World
from tests.conftest import examples_for

UP_TO = date(2026, 3, 31)
LEDGER_ERRORS = (DomainError, billing.BillingError)


def issued(session, w: World, *amounts: int) -> Invoice:
    """An issued invoice of fixed items at 20 % VAT (one line each)."""
    for amount in amounts:
        w.milestone(amount, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    return billing.issue_invoice(session, SYSTEM, inv.id)


def pay(session, inv, amount, **kw):
    return billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=amount, method="bank_transfer", **kw)


def credits(session) -> int:
    return int(session.execute(sa_select(func.coalesce(func.sum(ClientCredit.amount_minor), 0))).scalar_one())


def test_overpayment_needs_confirmation_naming_the_credit(world, session):
    inv = issued(session, world, 127575)  # 1,530.90 incl. 20 %
    assert inv.total_minor == 153090
    with pytest.raises(DomainError) as refused:
        pay(session, inv, 99_999_900)
    err = refused.value
    assert err.code == "amount.overpayment" and err.status == 422 and err.field == "amount_minor"
    assert "client credit of €998,468.10" in err.message and "open amount of €1,530.90" in err.message
    assert "minor units" not in err.message
    assert session.exec(select(Payment)).all() == [] and credits(session) == 0
    pay(session, inv, 99_999_900, confirm_overpayment=True)
    assert inv.status == "paid" and credits(session) == 99_999_900 - 153090


def test_an_exact_payment_leaves_no_credit_and_one_cent_more_is_an_overpayment(world, session):
    inv = issued(session, world, 10001)  # 120.01
    with pytest.raises(DomainError, match="client credit of €0.01"):
        pay(session, inv, inv.total_minor + 1)
    pay(session, inv, inv.total_minor)
    assert inv.status == "paid" and billing.open_amount(session, inv) == 0
    assert session.exec(select(ClientCredit)).all() == []


def test_open_amount_of_draft_void_and_credit_note_is_zero(world, session):
    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert draft.total_minor == 12000 and billing.open_amount(session, draft) == 0
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    assert billing.open_amount(session, inv) == 12000
    cn = billing.credit_note(session, SYSTEM, inv.id)
    assert billing.open_amount(session, cn) == 0 and billing.open_amount(session, inv) == 0
    world.milestone(5000, kind="fixed")
    other = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    billing.void_invoice(session, SYSTEM, other.id)
    assert other.status == "void" and billing.open_amount(session, other) == 0


def test_drafts_and_credit_notes_are_never_recomputed_into_sent(world, session):
    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert billing.recompute_status(session, SYSTEM, draft.id).status == "draft"
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    cn = billing.credit_note(session, SYSTEM, inv.id)
    assert billing.recompute_status(session, SYSTEM, cn.id).status == "paid"  # a credit note keeps its own
    assert _status_for("draft", "invoice", 100, 0) == "draft"
    assert _status_for("paid", "credit_note", -100, 0) == "paid"


def test_recomputing_an_invoice_with_no_lines_works(world, session):
    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    for line in billing.lines_of(session, draft.id):
        billing.remove_line(session, SYSTEM, draft.id, line.id)
    assert draft.total_minor == 0 and draft.subtotal_minor == 0
    again = billing.recompute_status(session, SYSTEM, draft.id)
    assert again.status == "draft" and again.paid_minor == 0 and billing.open_amount(session, again) == 0


def test_reversal_keeps_the_payment_recomputes_and_removes_its_credit(world, session):
    inv = issued(session, world, 10000)  # 120.00
    p1 = pay(session, inv, 5000)
    p2 = pay(session, inv, 10000, confirm_overpayment=True)
    assert inv.status == "paid" and credits(session) == 3000
    with pytest.raises(DomainError, match="why"):
        ledger.reverse_payment(session, SYSTEM, p2.id, "  ")
    ledger.reverse_payment(session, SYSTEM, p2.id, "typed twice")
    inv = session.get(Invoice, inv.id)
    assert inv.status == "partially_paid" and inv.paid_minor == 5000 and credits(session) == 0
    kept = session.get(Payment, p2.id)
    assert kept.status == "reversed" and kept.reversal_reason == "typed twice" and kept.reversed_at is not None
    assert session.exec(
        select(AuditLog).where(AuditLog.entity == "payment", AuditLog.entity_id == p2.id, AuditLog.action == "reverse")
    ).one()
    with pytest.raises(DomainError) as again:
        ledger.reverse_payment(session, SYSTEM, p2.id, "again")
    assert again.value.kind == "conflict"
    ledger.reverse_payment(session, SYSTEM, p1.id, "bounced check")
    assert session.get(Invoice, inv.id).status == "sent" and billing.open_amount(session, inv) == 12000


def test_credit_survives_reversal_of_another_payment_and_shrinks_to_what_is_over(world, session):
    inv = issued(session, world, 10000)  # 120.00
    p1 = pay(session, inv, 10000)
    pay(session, inv, 5000, confirm_overpayment=True)  # 30.00 over, credit on p2
    ledger.reverse_payment(session, SYSTEM, p1.id, "wrong invoice")
    assert inv.paid_minor == 5000 and credits(session) == 0 and inv.status == "partially_paid"


def test_apply_credit_to_a_later_invoice_and_reverse_it(world, session):
    first = issued(session, world, 10000)  # 120.00
    pay(session, first, 15000, confirm_overpayment=True)  # 30.00 credit
    later = issued(session, world, 5000)  # 60.00
    assert ledger.client_credit_balance(session, world.account.id, "EUR") == 3000
    with pytest.raises(DomainError) as too_much:
        ledger.apply_credit(session, SYSTEM, later.id, 3001)
    assert too_much.value.code == "amount.exceeds_credit"
    used = ledger.apply_credit(session, SYSTEM, later.id)  # default: all of it (30.00 < 60.00 open)
    assert used.method == "credit" and used.amount_minor == 3000
    assert later.status == "partially_paid" and billing.open_amount(session, later) == 3000
    assert ledger.client_credit_balance(session, world.account.id, "EUR") == 0
    with pytest.raises(DomainError, match="no EUR credit"):
        ledger.apply_credit(session, SYSTEM, later.id)
    # the overpayment cannot be reversed while its credit is spent elsewhere
    over = session.exec(select(Payment).where(Payment.invoice_id == first.id)).one()
    with pytest.raises(DomainError) as in_use:
        ledger.reverse_payment(session, SYSTEM, over.id, "mistake")
    assert in_use.value.code == "credit.in_use" and in_use.value.kind == "conflict"
    ledger.reverse_payment(session, SYSTEM, used.id, "applied to the wrong invoice")
    assert ledger.client_credit_balance(session, world.account.id, "EUR") == 3000
    assert session.get(Invoice, later.id).status == "sent"


def test_apply_credit_cannot_exceed_the_open_amount(world, session):
    first = issued(session, world, 10000)
    pay(session, first, 30000, confirm_overpayment=True)  # 180.00 credit
    later = issued(session, world, 1000)  # 12.00
    with pytest.raises(DomainError) as over:
        ledger.apply_credit(session, SYSTEM, later.id, 1201)
    assert over.value.code == "amount.exceeds_open"
    ledger.apply_credit(session, SYSTEM, later.id)
    assert later.status == "paid" and ledger.client_credit_balance(session, world.account.id, "EUR") == 18000 - 1200


def test_partial_credit_note_for_lines_releases_only_that_work(world, session):
    inv = issued(session, world, 10000, 20000, 30000)  # 120 + 240 + 360 = 720.00
    lines = billing.lines_of(session, inv.id)
    pay(session, inv, 30000)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[1].id], reason="phase dropped")
    assert cn.kind == "credit_note" and cn.number.startswith("CN-") and cn.total_minor == -24000
    inv = session.get(Invoice, inv.id)
    assert inv.status == "partially_paid" and inv.credited_minor == 24000
    assert billing.open_amount(session, inv) == 72000 - 24000 - 30000
    assert billing.unbilled_total(session, world.pid, UP_TO) == 20000  # only the credited milestone
    live = session.exec(select(BilledSource).where(BilledSource.released_at.is_(None))).all()
    assert {b.invoice_line_id for b in live} == {lines[0].id, lines[2].id}
    with pytest.raises(DomainError, match="already credited"):
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[1].id])
    # crediting the rest beyond what is paid turns the received money above "due" into credit
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[2].id])
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 60000 and inv.status == "paid" and credits(session) == 30000 - 12000
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[0].id])
    inv = session.get(Invoice, inv.id)
    assert inv.status == "void" and inv.void_reason.startswith("Credited by") and credits(session) == 30000
    assert billing.unbilled_total(session, world.pid, UP_TO) == 60000


def test_partial_credit_note_for_an_amount_uses_the_invoice_rate_and_releases_nothing(world, session):
    inv = issued(session, world, 10000, 20000)  # 360.00
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=5000, reason="late delivery")
    (line,) = billing.lines_of(session, cn.id)
    assert line.amount_minor == -5000 and line.tax_minor == -1000 and cn.total_minor == -6000
    assert billing.unbilled_total(session, world.pid, UP_TO) == 0
    inv = session.get(Invoice, inv.id)
    assert billing.open_amount(session, inv) == 30000
    with pytest.raises(DomainError) as too_much:
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=25001)
    assert too_much.value.code == "amount.exceeds_invoice"
    with pytest.raises(DomainError):
        credit_notes.partial_credit_note(session, SYSTEM, inv.id)  # neither lines nor amount
    with pytest.raises(billing.BillingError, match="credit note"):
        billing.credit_note(session, SYSTEM, inv.id)  # a full one after a partial one: credit lines instead


def test_write_off_shows_written_off_not_paid(world, session):
    inv = issued(session, world, 10000)  # 120.00
    pay(session, inv, 11997)
    with pytest.raises(DomainError, match="why"):
        ledger.write_off(session, SYSTEM, inv.id, "")
    ledger.write_off(session, SYSTEM, inv.id, "bank fees")
    inv = session.get(Invoice, inv.id)
    assert inv.status == "written_off" and inv.written_off_minor == 3 and inv.paid_minor == 11997
    assert billing.open_amount(session, inv) == 0 and billing.state_label(inv) == "Written off"
    assert session.exec(select(AuditLog).where(AuditLog.entity == "invoice", AuditLog.action == "write_off")).one()
    with pytest.raises(DomainError) as nothing:
        ledger.write_off(session, SYSTEM, inv.id, "again")
    assert nothing.value.kind == "conflict"
    # a payment reversed after the write-off opens the invoice again
    ledger.reverse_payment(session, SYSTEM, session.exec(select(Payment)).one().id, "bounced")
    assert session.get(Invoice, inv.id).status == "sent" and billing.open_amount(session, inv) == 11997


def test_refunded_or_lost_overpayment_keeps_no_stale_credit(world, session):
    inv = issued(session, world, 10000)  # 120.00
    p = pay(session, inv, 15000, confirm_overpayment=True)
    assert credits(session) == 3000
    session.add(Refund(payment_id=p.id, amount_minor=2000))
    session.flush()
    billing.recompute_status(session, SYSTEM, inv.id)
    assert credits(session) == 1000
    # Stripe withdraws a disputed charge's funds when the dispute opens (charge.dispute.funds_withdrawn)
    session.add(
        Dispute(payment_id=p.id, stripe_dispute_id="dp_1", amount_minor=13000, withdrawn_minor=13000, status="lost")
    )
    session.flush()
    billing.recompute_status(session, SYSTEM, inv.id)
    assert credits(session) == 0 and session.get(Invoice, inv.id).status == "sent"


def test_states_say_what_happened(world, session, monkeypatch):
    from l2c_app.billing import sending
    from l2c_app.billing.pdf import render_invoice_pdf

    inv = issued(session, world, 10000)
    assert billing.state_label(inv) == "Issued"
    sending.send_invoice(session, SYSTEM, inv.id)  # no SMTP: kept in the Outbox
    inv = session.get(Invoice, inv.id)
    assert inv.delivery == "queued" and billing.state_label(inv) == "Queued in Outbox"
    captured = {}
    monkeypatch.setattr("l2c_app.core.pdf.BrandedPDF.__init__", _capture_subtitle(captured))
    with pytest.raises(_Stop):
        render_invoice_pdf(session, inv)
    assert captured["subtitle"] == "Queued in Outbox"
    inv.delivery = "sent"
    assert billing.state_label(inv) == "Sent"
    pay(session, inv, 6000)
    assert billing.state_label(inv) == "Partially paid"


class _Stop(Exception):
    pass


def _capture_subtitle(captured):
    def init(self, *args, **kwargs):
        captured["subtitle"] = kwargs.get("subtitle")
        raise _Stop

    return init


# --- the property -------------------------------------------------------------------------

op_st = st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 40_000), st.booleans()),
    st.tuples(st.just("reverse"), st.integers(0, 9), st.just(False)),
    st.tuples(st.just("apply"), st.integers(0, 30_000), st.booleans()),
    st.tuples(st.just("credit_lines"), st.integers(0, 2), st.just(False)),
    st.tuples(st.just("credit_amount"), st.integers(1, 20_000), st.just(False)),
    st.tuples(st.just("write_off"), st.integers(0, 0), st.just(False)),
)


def test_any_sequence_keeps_the_ledger_consistent(db_url):
    @settings(max_examples=examples_for(db_url, 30, 5), deadline=None)
    @given(
        currency=st.sampled_from(["EUR", "JPY", "BHD"]),
        amounts=st.lists(st.integers(1, 20_000), min_size=1, max_size=3),
        ops=st.lists(st.tuples(st.integers(0, 1), op_st), max_size=12),
    )
    def prop(currency, amounts, ops):
        from l2c_app.core.db import engine_for

        with Session(engine_for(db_url), expire_on_commit=False) as s:
            w = World(s)
            w.project.currency = currency
            s.add(w.project)
            invs = [issued(s, w, *amounts), issued(s, w, *amounts)]
            for which, (op, n, flag) in ops:
                inv = invs[which]
                sp = s.begin_nested()
                try:
                    if op == "pay":
                        pay(s, inv, n, confirm_overpayment=flag)
                    elif op == "reverse":
                        standing = s.exec(
                            select(Payment)
                            .where(Payment.status == "succeeded", Payment.invoice_id.in_([i.id for i in invs]))
                            .order_by(Payment.id)
                        ).all()
                        if standing:
                            ledger.reverse_payment(s, SYSTEM, standing[n % len(standing)].id, "property")
                    elif op == "apply":
                        ledger.apply_credit(s, SYSTEM, inv.id, None if flag else n)
                    elif op == "credit_lines":
                        lines = billing.lines_of(s, inv.id)
                        credit_notes.partial_credit_note(s, SYSTEM, inv.id, line_ids=[lines[n % len(lines)].id])
                    elif op == "credit_amount":
                        credit_notes.partial_credit_note(s, SYSTEM, inv.id, amount_minor=n)
                    else:
                        ledger.write_off(s, SYSTEM, inv.id, "property")
                    sp.commit()
                except LEDGER_ERRORS:
                    sp.rollback()
                for i in invs:
                    s.refresh(i)
                _check(s, w, invs)
            s.rollback()

    prop()


def _check(s, w, invs):
    for inv in invs:
        succeeded = s.exec(select(Payment).where(Payment.invoice_id == inv.id, Payment.status == "succeeded")).all()
        paid = sum(p.amount_minor for p in succeeded)
        credited = credit_notes.credited_total(s, inv.id)
        assert inv.paid_minor == paid
        assert inv.credited_minor == credited and 0 <= credited <= inv.total_minor
        due = 0 if inv.status == "void" else inv.total_minor - credited
        open_ = billing.open_amount(s, inv)
        if inv.status == "void":
            assert open_ == 0
        else:
            assert open_ == max(0, due - paid - inv.written_off_minor) >= 0
            expected = (
                "paid"
                if paid >= due
                else "written_off"
                if inv.written_off_minor and open_ == 0
                else "partially_paid"
                if paid
                else "sent"
            )
            assert inv.status == expected
        pay_ids = [p.id for p in s.exec(select(Payment).where(Payment.invoice_id == inv.id))]
        held = (
            sum(c.amount_minor for c in s.exec(select(ClientCredit).where(ClientCredit.payment_id.in_(pay_ids))))
            if pay_ids
            else 0
        )
        assert held == max(0, paid - due)  # the credit is exactly what is held above what is due
    assert ledger.client_credit_balance(s, w.account.id, w.project.currency) >= 0
