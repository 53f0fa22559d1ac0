"""Sharp tests of billing's totals, ledger and status rules, written against the survivors
of the mutation bench (`python -m bench mutation_bench`)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from l2c_app.billing import service as billing
from l2c_app.billing.drafting import _line_tax
from l2c_app.billing.invoice_totals import _recompute_totals
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.payment_status import _status_for
from l2c_app.core.audit import SYSTEM
from l2c_app.payments.models import ClientCredit
from tests.billing.test_ledger import UP_TO, credits, issued, pay

# ---------------------------------------------------------------- the pure rules


@pytest.mark.parametrize(
    "status, kind, total, paid, credited, written_off, expected",
    [
        ("draft", "invoice", 1000, 1000, 0, 0, "draft"),
        ("void", "invoice", 1000, 0, 0, 0, "void"),
        ("sent", "credit_note", -1000, 0, 0, 0, "sent"),
        ("issued", "credit_note", -1000, -1000, 0, 0, "issued"),
        ("sent", "invoice", 1000, 0, 0, 0, "sent"),
        ("sent", "invoice", 1000, 1, 0, 0, "partially_paid"),
        ("sent", "invoice", 1000, 999, 0, 0, "partially_paid"),
        ("sent", "invoice", 1000, 1000, 0, 0, "paid"),
        ("partially_paid", "invoice", 1000, 1001, 0, 0, "paid"),
        ("paid", "invoice", 1000, 600, 400, 0, "paid"),  # a partial credit note covers the rest
        ("sent", "invoice", 1000, 599, 400, 0, "partially_paid"),
        ("sent", "invoice", 1000, 997, 0, 3, "written_off"),
        ("sent", "invoice", 1000, 996, 0, 3, "partially_paid"),
        ("sent", "invoice", 1000, 0, 0, 1000, "written_off"),
        ("sent", "invoice", 1000, 0, 0, 0, "sent"),
        ("sent", "invoice", 1000, 0, 1000, 0, "sent"),  # fully credited: nothing due, nothing paid
        ("sent", "invoice", 0, 0, 0, 0, "sent"),
        ("sent", "invoice", 1000, -5, 0, 0, "sent"),
        ("sent", "invoice", 1, 1, 0, 0, "paid"),  # one minor unit due, one paid
        ("sent", "invoice", 1000, 999, 0, 1, "written_off"),  # the last minor unit written off
        ("sent", "invoice", 1000, 0, 999, 1, "written_off"),
    ],
)
def test_status_rule(status, kind, total, paid, credited, written_off, expected):
    assert _status_for(status, kind, total, paid, credited, written_off) == expected


def test_amount_due():
    assert billing.amount_due("sent", "invoice", 1000) == 1000
    assert billing.amount_due("sent", "invoice", 1000, 300) == 700
    assert billing.amount_due("void", "invoice", 1000) == 0
    assert billing.amount_due("sent", "credit_note", -1000) == 0
    assert billing.amount_due("draft", "invoice", 1000) == 1000


def _inv(status="sent", kind="invoice", total=1000, credited=0, written_off=0, id=None):
    return SimpleNamespace(
        id=id, status=status, kind=kind, total_minor=total, credited_minor=credited, written_off_minor=written_off
    )


def test_open_amount_rule():
    assert billing.open_amount(None, _inv(), paid=0) == 1000
    assert billing.open_amount(None, _inv(), paid=400) == 600
    assert billing.open_amount(None, _inv(credited=300), paid=400) == 300
    assert billing.open_amount(None, _inv(written_off=100), paid=400) == 500
    assert billing.open_amount(None, _inv(written_off=None), paid=400) == 600
    assert billing.open_amount(None, _inv(), paid=1500) == 0  # overpaid: nothing open, never negative
    for status, kind in (("draft", "invoice"), ("void", "invoice"), ("sent", "credit_note")):
        assert billing.open_amount(None, _inv(status, kind, total=-1000 if kind == "credit_note" else 1000)) == 0


def test_tax_split_and_line_tax():
    inv = SimpleNamespace(subtotal_minor=10000, total_minor=11000, tax_minor=1500)
    assert billing.tax_split(inv) == (1000, 500)
    assert _line_tax(3335, "10", False) == 334 and _line_tax(10100, Decimal(1), True) == 100
    assert _line_tax(10000, "1", False) == 100


# ---------------------------------------------------------------- on the database


def test_draft_open_amount_is_zero_and_recompute_keeps_it_a_draft(world, session):
    world.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert inv.status == "draft" and inv.total_minor == 12000
    assert billing.open_amount(session, inv) == 0
    billing.recompute_status(session, SYSTEM, inv.id)
    assert session.get(Invoice, inv.id).status == "draft"


def test_an_invoice_with_no_lines_recomputes_to_zero(world, session):
    world.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    for line in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all():
        billing.remove_line(session, SYSTEM, inv.id, line.id)
    inv = session.get(Invoice, inv.id)
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (0, 0, 0)
    _recompute_totals(session, inv)
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (0, 0, 0)


def test_recompute_totals_adds_exclusive_tax_only(world, session):
    world.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    billing.add_manual_line(session, SYSTEM, inv.id, "Included", 1200, tax_percent=Decimal(20), tax_inclusive=True)
    inv = session.get(Invoice, inv.id)
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (11200, 2200, 13200)
    assert billing.tax_split(inv) == (2000, 200)


def test_void_and_credit_note_open_nothing_and_keep_their_status(world, session):
    inv = issued(session, world, 10000)
    note = billing.credit_note(session, SYSTEM, inv.id, "wrong client")
    assert billing.open_amount(session, note) == 0
    billing.recompute_status(session, SYSTEM, note.id)
    assert session.get(Invoice, note.id).status == note.status != "sent"
    inv = session.get(Invoice, inv.id)
    billing.recompute_status(session, SYSTEM, inv.id)
    assert billing.open_amount(session, inv) == 0


def test_exact_payment_is_paid_with_no_credit_and_a_partial_one_opens_the_rest(world, session):
    inv = issued(session, world, 10000)
    pay(session, inv, 5000)
    inv = session.get(Invoice, inv.id)
    assert inv.status == "partially_paid" and billing.open_amount(session, inv) == 7000 and inv.paid_minor == 5000
    pay(session, inv, 7000)
    inv = session.get(Invoice, inv.id)
    assert inv.status == "paid" and billing.open_amount(session, inv) == 0 and credits(session) == 0
    assert billing.net_paid(session, inv.id) == 12000


def test_overpayment_credit_follows_the_ledger_exactly(world, session):
    inv = issued(session, world, 10000)
    pay(session, inv, 12001, confirm_overpayment=True)
    assert credits(session) == 1
    row = session.exec(select(ClientCredit)).one()
    assert row.amount_minor == 1 and row.currency == inv.currency and row.account_id == inv.account_id


def _line_taxes(session, inv):
    return [(ln.amount_minor, ln.tax_minor) for ln in billing.lines_of(session, inv.id)]


def test_per_rate_invoice_shares_the_rates_tax_over_its_lines(session):
    from tests.billing.factory import World

    w = World(session, tax_convention="per_rate")
    for _ in range(3):
        w.milestone(3333, kind="fixed")  # 666.6 each: 2,001 per line, 1,999.8 -> 2,000 on the sum
    w.milestone(3333, kind="fixed", tax=w.vat_incl)  # its own rate: 555.5 -> 556, alone
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert sorted(_line_taxes(session, inv)) == [(3333, 556), (3333, 666), (3333, 667), (3333, 667)]
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (13332, 2556, 13332 + 2000)
    _recompute_totals(session, inv)  # again: nothing moves
    assert (inv.tax_minor, inv.total_minor) == (2556, 15332)
    note = billing.credit_note(session, SYSTEM, billing.issue_invoice(session, SYSTEM, inv.id).id, "wrong")
    assert sorted(t for _a, t in _line_taxes(session, note)) == [-667, -667, -666, -556]  # repeats, never re-shares
    assert note.total_minor == -inv.total_minor


def test_per_line_invoice_taxes_each_rounded_line(world, session):
    for _ in range(3):
        world.milestone(3333, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert [t for _a, t in _line_taxes(session, inv)] == [667, 667, 667] and inv.tax_minor == 2001


# ---------------------------------------------------------------- partial credit notes and the ledger's guards


def test_partial_credit_note_guards(world, session):
    from l2c_app.billing import credit_notes
    from l2c_app.core.errors import DomainError

    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, draft.id, amount_minor=100)
    assert err.value.kind == "conflict"  # a draft has no number: nothing to credit yet
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    line = billing.lines_of(session, inv.id)[0]
    with pytest.raises(DomainError):
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[line.id], amount_minor=100)
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[line.id + 999])
    assert err.value.kind == "not_found"
    for bad in (0, -1, True):
        with pytest.raises(DomainError) as err:
            credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=bad)
        assert err.value.field == "amount_minor"
    # 100.00 + 20 % = 120.00: crediting 100.00 (net) takes exactly all of it, the invoice is void
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=10000, reason="  cancelled  ")
    assert (cn.subtotal_minor, cn.tax_minor, cn.total_minor) == (-10000, -2000, -12000)
    assert cn.kind == "credit_note" and cn.number and cn.notes == f"Partial credit note for {inv.number}: cancelled"
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 12000 and inv.status == "void"
    assert inv.void_reason == f"Credited by {cn.number}: cancelled"
    assert credit_notes.credited_total(session, inv.id) == 12000
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, cn.id, amount_minor=1)
    assert err.value.kind == "conflict"  # a credit note is not credited again


def test_partial_credit_note_for_lines_credits_them_exactly(world, session):
    from l2c_app.billing import credit_notes
    from l2c_app.core.errors import DomainError

    world.milestone(10000, kind="fixed")
    world.milestone(3333, kind="fixed")
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    first, second = billing.lines_of(session, inv.id)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[second.id, second.id])
    (credit,) = billing.lines_of(session, cn.id)
    assert (credit.amount_minor, credit.tax_minor, credit.credits_line_id) == (-3333, -667, second.id)
    assert credit.description == f"Credit: {second.description}" and cn.total_minor == -4000
    assert credit_notes.credited_line_ids(session, inv.id) == {second.id}
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 4000 and inv.status == "sent" and billing.open_amount(session, inv) == 12000
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=10001)  # 120.01 > 120.00 left
    assert err.value.code == "amount.exceeds_invoice"
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[first.id])
    assert session.get(Invoice, inv.id).status == "void"


def test_a_credit_note_for_an_amount_refuses_an_invoice_of_several_rates(world, session):
    from l2c_app.billing import credit_notes
    from l2c_app.core.errors import DomainError

    world.milestone(10000, kind="fixed")
    world.milestone(10000, kind="fixed", tax=world.vat_incl)
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    assert err.value.code == "amount.several_rates"


def test_per_rate_credit_note_repeats_the_credited_lines_tax(session):
    from l2c_app.billing import credit_notes
    from tests.billing.factory import World

    w = World(session, tax_convention="per_rate")
    for _ in range(3):
        w.milestone(3333, kind="fixed")
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, w.pid, UP_TO).id)
    shared = next(ln for ln in billing.lines_of(session, inv.id) if ln.tax_minor == 666)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[shared.id])
    assert (cn.tax_minor, cn.total_minor) == (-666, -3999)  # taxed alone it would be -667: never re-shared


def test_an_issued_credit_note_cannot_be_voided(world, session):
    """Found by the mutation bench: voiding a partial credit note left the credited invoice's
    credited_minor in place (120.00 of 180.00 no longer collectable) and its work released."""
    from l2c_app.billing import credit_notes
    from l2c_app.core.errors import DomainError

    world.milestone(10000, kind="fixed")
    world.milestone(5000, kind="fixed")
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    first = billing.lines_of(session, inv.id)[0]
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[first.id])
    assert credit_notes.credited_line_ids(session, inv.id) == {first.id}
    assert credit_notes.credited_total(session, inv.id) == 12000
    with pytest.raises(DomainError) as err:
        billing.void_invoice(session, SYSTEM, cn.id, "issued by mistake")
    assert err.value.kind == "conflict" and session.get(Invoice, cn.id).status != "void"
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 12000 and billing.open_amount(session, inv) == 6000


def test_a_void_credit_note_credits_nothing(world, session):
    """credited_line_ids / credited_total count live credit notes only (a void one, as an older
    install may hold, frees its lines)."""
    from l2c_app.billing import credit_notes

    world.milestone(10000, kind="fixed")
    world.milestone(5000, kind="fixed")
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    first = billing.lines_of(session, inv.id)[0]
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[first.id])
    cn.status = "void"  # as voided before credit notes were refused
    session.add(cn)
    session.flush()
    assert credit_notes.credited_line_ids(session, inv.id) == set()
    assert credit_notes.credited_total(session, inv.id) == 0
    again = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[first.id])  # creditable again
    assert again.total_minor == -12000 and session.get(Invoice, inv.id).credited_minor == 12000


def test_per_rate_reshares_when_lines_go_and_at_one_percent(session):
    from l2c_app.quotes.models import TaxRate
    from tests.billing.factory import World

    w = World(session, tax_convention="per_rate")
    for _ in range(3):
        w.milestone(3333, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    lines = billing.lines_of(session, inv.id)
    assert [ln.tax_minor for ln in lines] == [666, 667, 667]
    billing.remove_line(session, SYSTEM, inv.id, lines[1].id)
    billing.remove_line(session, SYSTEM, inv.id, lines[2].id)
    (alone,) = billing.lines_of(session, inv.id)
    assert alone.tax_minor == 667 and session.get(Invoice, inv.id).tax_minor == 667  # alone: its own tax again

    one = TaxRate(name="VAT 1", percent=Decimal(1))
    session.add(one)
    session.flush()
    w2 = World(session, tax_convention="per_rate")
    for _ in range(3):
        w2.milestone(50, kind="fixed", tax=one)  # 0.5 each: 3 per line, 1.5 -> 2 on the sum
    inv2 = billing.build_invoice(session, SYSTEM, w2.pid, UP_TO)
    assert sorted(ln.tax_minor for ln in billing.lines_of(session, inv2.id)) == [0, 1, 1] and inv2.tax_minor == 2


def test_the_credit_sits_on_the_latest_payment_that_stands(world, session):
    inv = issued(session, world, 10000)  # 120.00
    pay(session, inv, 5000)
    second = pay(session, inv, 10000, confirm_overpayment=True)  # 30.00 over
    row = session.exec(select(ClientCredit)).one()
    assert (row.payment_id, row.amount_minor) == (second.id, 3000)
    assert billing.ledger(session, inv.id).latest_succeeded_id == second.id


def test_per_rate_a_deposit_of_one_minor_unit_keeps_its_stated_tax(session):
    """A 0.01 deposit at 20 % states 0.00 tax; its deduction on the final invoice keeps that 0.00
    (it is not shared as work): the sale's tax is round(20 % x 10.03) = 2.01, not round(20 % x 10.02)."""
    from datetime import date

    from l2c_app.core import lines as rule
    from tests.billing.factory import World

    w = World(session, tax_convention=rule.PER_RATE)
    w.milestone(500, kind="fixed")
    w.milestone(503, kind="fixed")
    dep = billing.create_deposit_invoice(session, SYSTEM, w.pid, amount_minor=1, tax_rate_id=w.vat.id)
    billing.issue_invoice(session, SYSTEM, dep.id, issue_date=date(2026, 3, 1))
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    deduction = [ln for ln in billing.lines_of(session, inv.id) if ln.source_type == "deposit"]
    assert [(ln.amount_minor, ln.tax_minor) for ln in deduction] == [(-1, 0)]
    assert (dep.subtotal_minor, dep.tax_minor) == (1, 0)
    assert inv.subtotal_minor + dep.subtotal_minor == 1003
    assert inv.tax_minor + dep.tax_minor == 201


def test_per_rate_a_line_added_to_a_shared_rate_takes_the_shares_of_the_new_sum(session):
    """Three 33.33 lines at 20 % share 20.00 as 6.66 + 6.67 + 6.67. Adding 50.00 at 20 % keeps the
    rate's sum (149.99 -> 30.00 = the stored 20.00 + 10.00) but moves the share: the largest line
    now takes the minor unit (9.99) and the others are back at 6.67 each, as the rule allocates."""
    from l2c_app.core import lines as rule
    from tests.billing.factory import World

    w = World(session, tax_convention=rule.PER_RATE)
    for _ in range(3):
        w.milestone(3333, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert [ln.tax_minor for ln in billing.lines_of(session, inv.id)] == [666, 667, 667]
    billing.add_manual_line(session, SYSTEM, inv.id, "Extra design", 5000, tax_percent="20")
    lines = billing.lines_of(session, inv.id)
    assert [ln.tax_minor for ln in lines] == [667, 667, 667, 999]
    expected = rule.allocate_rate_tax(
        [rule.TaxItem(ln.id, ln.amount_minor, ln.tax_percent, ln.tax_inclusive) for ln in lines], rule.PER_RATE
    )
    assert {ln.id: ln.tax_minor for ln in lines} == expected
    assert session.get(Invoice, inv.id).tax_minor == 3000


def test_an_overpayment_of_one_minor_unit_reversed_leaves_no_credit(world, session):
    from l2c_app.billing import ledger

    inv = issued(session, world, 10000)  # 120.00
    over = pay(session, inv, 12001, confirm_overpayment=True)
    assert credits(session) == 1 and inv.status == "paid"
    ledger.reverse_payment(session, SYSTEM, over.id, "typed one cent too much")
    session.refresh(inv)
    assert credits(session) == 0 and inv.status == "sent" and inv.paid_minor == 0
    assert session.exec(select(ClientCredit)).all() == []  # gone, not a credit row of 0.00
    assert ledger.client_credit_balance(session, inv.account_id, inv.currency) == 0


def test_a_card_payment_on_a_void_invoice_is_credit_and_its_refund_takes_the_credit_back(world, session):
    """A payment link paid after the invoice was voided: nothing is due, so all of it is the
    client's credit; when Stripe refunds it the credit goes (nothing stale stays behind)."""
    from l2c_app.payments.models import Payment, Refund

    inv = issued(session, world, 10000)  # 120.00
    billing.void_invoice(session, SYSTEM, inv.id)
    card = Payment(
        invoice_id=inv.id,
        account_id=inv.account_id,
        amount_minor=12000,
        currency=inv.currency,
        method="stripe",
        status="succeeded",
        stripe_payment_intent_id="pi_late",
    )
    session.add(card)
    session.flush()
    billing.recompute_status(session, SYSTEM, inv.id)
    assert credits(session) == 12000 and session.get(Invoice, inv.id).status == "void"
    session.add(Refund(payment_id=card.id, amount_minor=12000))
    session.flush()
    billing.recompute_status(session, SYSTEM, inv.id)
    assert credits(session) == 0 and session.get(Invoice, inv.id).paid_minor == 0


def test_a_partly_credited_invoice_overpaid_then_reversed_leaves_no_credit(world, session):
    """Due is the total less the partial credit note: money above that is credit, and it goes
    when the payment that brought it is reversed."""
    from l2c_app.billing import credit_notes, ledger

    inv = issued(session, world, 10000)  # 120.00
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=2400)
    session.refresh(inv)
    due = inv.total_minor - inv.credited_minor
    assert inv.credited_minor > 0 and due < inv.total_minor
    over = pay(session, inv, due + 1000, confirm_overpayment=True)  # below the total, 10.00 above what is due
    assert credits(session) == 1000 and inv.status == "paid"
    ledger.reverse_payment(session, SYSTEM, over.id, "wrong client")
    session.refresh(inv)
    assert credits(session) == 0 and inv.paid_minor == 0


def test_a_payment_moves_the_status_under_an_audited_ledger_entry(world, session):
    """Money that moves an invoice is audited as 'status_from_ledger' with what changed (the
    audit trail's name for it, the same on the webhook path)."""
    from l2c_app.core.models import AuditLog

    inv = issued(session, world, 10000)  # 120.00
    pay(session, inv, 5000)
    pay(session, inv, 7000)
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "invoice", AuditLog.entity_id == inv.id, AuditLog.action == "status_from_ledger")
        .order_by(AuditLog.id)
    ).all()
    assert [(r.before["status"], r.after["status"]) for r in rows] == [
        ("sent", "partially_paid"),
        ("partially_paid", "paid"),
    ]
    assert [r.after["paid_minor"] for r in rows] == [5000, 12000]


def test_the_deal_hears_once_that_its_invoice_is_paid(world, session):
    """The deal's timeline gets "Invoice … paid" when the invoice becomes paid, not for the
    partial payment before it nor for money that comes after."""
    from l2c_app.pipeline.models import Activity

    def paid_events():
        return [
            a.subject
            for a in session.exec(select(Activity).where(Activity.deal_id == world.deal.id))
            if " paid (" in a.subject
        ]

    inv = issued(session, world, 10000)  # 120.00
    pay(session, inv, 5000)
    assert paid_events() == []
    pay(session, inv, 7000)
    assert paid_events() == [f"Invoice {inv.number} paid (€120.00)"]
    pay(session, inv, 100, confirm_overpayment=True)
    assert paid_events() == [f"Invoice {inv.number} paid (€120.00)"]


def test_the_credit_moves_to_a_payment_that_stands_when_its_own_is_reversed(world, session):
    from l2c_app.billing import ledger

    inv = issued(session, world, 10000)  # 120.00
    first = pay(session, inv, 13000, confirm_overpayment=True)  # 10.00 over
    second = pay(session, inv, 2000, confirm_overpayment=True)  # 30.00 over, held on the latest payment
    assert [(c.payment_id, c.amount_minor) for c in session.exec(select(ClientCredit))] == [(second.id, 3000)]
    ledger.reverse_payment(session, SYSTEM, second.id, "sent twice")
    assert [(c.payment_id, c.amount_minor) for c in session.exec(select(ClientCredit))] == [(first.id, 1000)]


def test_credit_balances_list_held_applied_and_balance_per_client_largest_first(world, session):
    from l2c_app.billing import ledger
    from tests.billing.factory import World

    first = issued(session, world, 10000)  # 120.00
    pay(session, first, 15000, confirm_overpayment=True)  # 30.00 held
    later = issued(session, world, 1000)  # 12.00
    ledger.apply_credit(session, SYSTEM, later.id, 1000)  # 10.00 of it applied
    other = World(session)
    inv = issued(session, other, 10000)
    pay(session, inv, 17000, confirm_overpayment=True)  # 50.00 held by another client
    assert ledger.credit_balances(session) == [
        {"account_id": other.account.id, "currency": "EUR", "held": 5000, "applied": 0, "balance": 5000},
        {"account_id": world.account.id, "currency": "EUR", "held": 3000, "applied": 1000, "balance": 2000},
    ]
