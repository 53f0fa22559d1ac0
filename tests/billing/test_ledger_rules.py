"""The ledger's corrections rule by rule (billing/ledger.py): whose credit a balance counts,
which payment a reversal takes and when it is refused to the cent, what applying credit may
take, write-offs that add up. Written against the survivors of the mutation run
(`bench/mutation_bench.py --only billing`)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from l2c_app.billing import credit_notes, ledger
from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account

UP_TO = date(2026, 3, 31)


def issued(session, w, *amounts: int) -> Invoice:
    """An issued invoice of fixed items at 20 % VAT (one line each)."""
    for amount in amounts:
        w.milestone(amount, kind="fixed")
    return billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, w.pid, UP_TO).id)


def pay(session, inv, amount, **kw) -> Payment:
    return billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=amount, method="bank_transfer", **kw)


def balance(session, w, currency="EUR") -> int:
    return ledger.client_credit_balance(session, w.account.id, currency)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    return err.value


def other_client(session, w, currency="EUR"):
    acc = Account(name="Other Client GmbH")
    session.add(acc)
    session.flush()
    other = w.another_project("Other site", account=acc, currency=currency)
    other.account = acc
    return other


# --- client credit balance ------------------------------------------------------------------


def test_no_client_or_no_credit_is_a_balance_of_zero(world, session):
    assert ledger.client_credit_balance(session, None, "EUR") == 0
    assert balance(session, world) == 0
    inv = issued(session, world, 10000)
    pay(session, inv, 12000)  # exactly paid: nothing held, nothing applied
    assert balance(session, world) == 0


def test_a_balance_counts_its_own_client_and_currency_only(world, session):
    other = other_client(session, world)
    dollars = world.another_project("US site", currency="USD")
    a = issued(session, world, 10000)
    pay(session, a, 15000, confirm_overpayment=True)  # 30.00 EUR credit for the client
    b = issued(session, other, 10000)
    pay(session, b, 22000, confirm_overpayment=True)  # 100.00 EUR credit for the other client
    c = issued(session, dollars, 10000)
    assert c.currency == "USD"
    pay(session, c, 12700, confirm_overpayment=True)  # 7.00 USD credit for the client
    assert balance(session, world) == 3000 and balance(session, world, "USD") == 700
    assert ledger.client_credit_balance(session, other.account.id, "EUR") == 10000
    # credit applied by the other client, or in dollars, is not taken from this one's euros
    later_other = issued(session, other, 5000)
    ledger.apply_credit(session, SYSTEM, later_other.id, 4000)
    later_usd = issued(session, dollars, 5000)
    ledger.apply_credit(session, SYSTEM, later_usd.id, 500)
    assert balance(session, world) == 3000 and balance(session, world, "USD") == 200
    assert ledger.client_credit_balance(session, other.account.id, "EUR") == 6000
    # a manual payment is not credit applied; a reversed application gives the credit back
    later = issued(session, world, 5000)
    pay(session, later, 1000)
    used = ledger.apply_credit(session, SYSTEM, later.id, 1000)
    assert balance(session, world) == 2000
    ledger.reverse_payment(session, SYSTEM, used.id, "wrong invoice")
    assert balance(session, world) == 3000
    rows = {
        (r["account_id"], r["currency"]): (r["held"], r["applied"], r["balance"])
        for r in ledger.credit_balances(session)
    }
    assert rows == {
        (world.account.id, "EUR"): (3000, 0, 3000),
        (world.account.id, "USD"): (700, 500, 200),
        (other.account.id, "EUR"): (10000, 4000, 6000),
    }
    assert [(r["account_id"], r["currency"]) for r in ledger.credit_balances(session)] == [
        (other.account.id, "EUR"),
        (world.account.id, "EUR"),
        (world.account.id, "USD"),
    ]


# --- overpayment guard ----------------------------------------------------------------------


def test_the_overpayment_credit_is_what_goes_above_due(world, session):
    inv = issued(session, world, 10000)  # 120.00
    assert ledger.overpayment_credit(session, inv, 12000) == 0
    assert ledger.overpayment_credit(session, inv, 12001) == 1
    pay(session, inv, 11000)
    assert ledger.overpayment_credit(session, inv, 1000) == 0
    assert ledger.overpayment_credit(session, inv, 1500) == 500
    pay(session, inv, 1500, confirm_overpayment=True)  # 5.00 over
    assert ledger.overpayment_credit(session, inv, 200) == 200  # all of a further payment
    err = refused(pay, session, inv, 200)
    assert err.code == "amount.overpayment" and "client credit of €2.00" in err.message
    assert "open amount of €0.00" in err.message


# --- reversal -------------------------------------------------------------------------------


def test_a_reversal_takes_the_payment_named_and_only_a_standing_manual_one(world, session):
    inv = issued(session, world, 10000)
    p1 = pay(session, inv, 2000)
    p2 = pay(session, inv, 3000)
    reason = "bounced " + "z" * 400
    got = ledger.reverse_payment(session, SYSTEM, p2.id, f"  {reason}  ")
    assert got.id == p2.id and got.status == "reversed" and got.reversal_reason == reason[:300]
    assert len(got.reversal_reason) == 300
    assert session.get(Payment, p1.id).status == "succeeded" and session.get(Invoice, inv.id).paid_minor == 2000
    (row,) = session.exec(select(AuditLog).where(AuditLog.entity == "payment", AuditLog.action == "reverse")).all()
    assert row.entity_id == p2.id and row.after["status"] == "reversed"
    missing = refused(ledger.reverse_payment, session, SYSTEM, 10**9, "typo")
    assert missing.kind == "not_found" and missing.field == "payment_id"
    again = refused(ledger.reverse_payment, session, SYSTEM, p2.id, "twice")
    assert again.kind == "conflict" and again.field == "status"
    card = Payment(
        invoice_id=inv.id,
        account_id=inv.account_id,
        amount_minor=1000,
        currency="EUR",
        method="card",
        status="succeeded",
        received_on=date(2026, 3, 5),
    )
    loose = Payment(
        invoice_id=None,
        account_id=inv.account_id,
        amount_minor=1000,
        currency="EUR",
        method="bank_transfer",
        status="succeeded",
        received_on=date(2026, 3, 5),
    )
    session.add_all([card, loose])
    session.flush()
    assert refused(ledger.reverse_payment, session, SYSTEM, card.id, "refund").field == "method"
    assert refused(ledger.reverse_payment, session, SYSTEM, loose.id, "unmatched").field == "invoice_id"
    assert refused(ledger.reverse_payment, session, SYSTEM, p1.id, None).field == "reason"


def test_a_reversal_is_refused_by_the_cent_of_credit_spent_elsewhere(world, session):
    first = issued(session, world, 10000)  # 120.00
    over = pay(session, first, 12001, confirm_overpayment=True)  # one cent of credit
    later = issued(session, world, 5000)
    used = ledger.apply_credit(session, SYSTEM, later.id)
    assert used.amount_minor == 1 and balance(session, world) == 0
    err = refused(ledger.reverse_payment, session, SYSTEM, over.id, "typo")
    assert err.code == "credit.in_use" and "€0.01 of the credit" in err.message
    ledger.reverse_payment(session, SYSTEM, used.id, "wrong invoice")
    ledger.reverse_payment(session, SYSTEM, over.id, "typo")  # the cent is held again: it may go
    assert balance(session, world) == 0 and session.get(Invoice, first.id).status == "sent"


def test_a_reversal_may_take_exactly_the_credit_left(world, session):
    first = issued(session, world, 10000)
    over = pay(session, first, 15000, confirm_overpayment=True)  # 30.00 of credit
    later = issued(session, world, 5000)
    ledger.apply_credit(session, SYSTEM, later.id, 1000)  # 10.00 spent, 20.00 left
    # a second payment of 10.00 over the total: reversing it loses 10.00 of credit, 20.00 are held
    extra = pay(session, first, 1000, confirm_overpayment=True)
    assert balance(session, world) == 3000
    err = refused(ledger.reverse_payment, session, SYSTEM, over.id, "typo")  # would lose 40.00 > 30.00
    assert err.code == "credit.in_use" and "€10.00" in err.message
    ledger.reverse_payment(session, SYSTEM, extra.id, "typed twice")  # loses 10.00 of 30.00: allowed
    assert balance(session, world) == 2000
    spent = issued(session, world, 1000)  # 12.00: take the credit down to exactly what `over` created
    ledger.apply_credit(session, SYSTEM, spent.id, 1200)
    assert balance(session, world) == 800
    refused(ledger.reverse_payment, session, SYSTEM, over.id, "typo")  # loses 30.00, 8.00 held
    # exactly as much credit held as the reversal loses: allowed
    ledger.reverse_payment(
        session,
        SYSTEM,
        session.exec(select(Payment).where(Payment.invoice_id == spent.id)).one().id,
        "wrong invoice",
    )
    ledger.reverse_payment(
        session,
        SYSTEM,
        session.exec(select(Payment).where(Payment.invoice_id == later.id)).one().id,
        "wrong invoice",
    )
    assert balance(session, world) == 3000
    ledger.reverse_payment(session, SYSTEM, over.id, "typo")
    assert balance(session, world) == 0


# --- client credit applied ------------------------------------------------------------------


def test_credit_is_applied_only_to_an_issued_invoice_with_money_open(world, session):
    first = issued(session, world, 10000)
    pay(session, first, 30000, confirm_overpayment=True)  # 180.00 credit
    world.milestone(1000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert refused(ledger.apply_credit, session, SYSTEM, draft.id, 100).field == "status"
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    assert cn.status == "paid"  # a credit note is issued settled
    assert refused(ledger.apply_credit, session, SYSTEM, cn.id, 100).field == "status"
    assert refused(ledger.apply_credit, session, SYSTEM, first.id, 100).field == "status"  # paid


@pytest.mark.parametrize("amount", [0, -1, "5", 1.0, True])
def test_an_applied_amount_is_a_positive_whole_number(world, session, amount):
    first = issued(session, world, 10000)
    pay(session, first, 15000, confirm_overpayment=True)
    later = issued(session, world, 5000)
    err = refused(ledger.apply_credit, session, SYSTEM, later.id, amount)
    assert err.field == "amount_minor" and err.code != "amount.no_credit"
    assert balance(session, world) == 3000


def test_applied_credit_may_be_exactly_the_balance_or_exactly_the_open_amount(world, session):
    first = issued(session, world, 10000)
    pay(session, first, 15000, confirm_overpayment=True)  # 30.00
    a = issued(session, world, 5000)  # 60.00 open
    used = ledger.apply_credit(session, SYSTEM, a.id, 3000)
    assert used.status == "succeeded" and used.amount_minor == 3000 and balance(session, world) == 0
    pay(session, first, 10000, confirm_overpayment=True)  # 100.00 more credit
    got = ledger.apply_credit(session, SYSTEM, a.id, 3000)  # exactly the open 30.00
    assert got.amount_minor == 3000 and session.get(Invoice, a.id).status == "paid"
    assert balance(session, world) == 7000
    b = issued(session, world, 10000)  # 120.00 open, 70.00 credit: the default takes the credit
    assert ledger.apply_credit(session, SYSTEM, b.id).amount_minor == 7000
    pay(session, first, 100, confirm_overpayment=True)  # 1.00 more credit, less than the 50.00 open
    assert ledger.apply_credit(session, SYSTEM, b.id).amount_minor == 100


def test_the_default_takes_one_cent_and_none_is_no_credit(world, session):
    first = issued(session, world, 10000)
    pay(session, first, 12001, confirm_overpayment=True)
    later = issued(session, world, 5000)
    assert ledger.apply_credit(session, SYSTEM, later.id).amount_minor == 1
    err = refused(ledger.apply_credit, session, SYSTEM, later.id)
    assert err.code == "amount.no_credit" and err.field == "amount_minor"


# --- write-off ------------------------------------------------------------------------------


def test_a_write_off_of_one_cent_and_write_offs_add_up(world, session):
    inv = issued(session, world, 10000)  # 120.00
    p = pay(session, inv, 11999)
    why = "bank fees " + "w" * 600
    got = ledger.write_off(session, SYSTEM, inv.id, f" {why} ")
    assert got is not None and got.id == inv.id
    inv = session.get(Invoice, inv.id)
    assert inv.written_off_minor == 1 and inv.status == "written_off"
    assert inv.write_off_reason == why[:500] and len(inv.write_off_reason) == 500
    ledger.reverse_payment(session, SYSTEM, p.id, "bounced")
    inv = session.get(Invoice, inv.id)
    assert inv.status == "sent" and billing.open_amount(session, inv) == 11999
    ledger.write_off(session, SYSTEM, inv.id, "client gone")
    inv = session.get(Invoice, inv.id)
    assert inv.written_off_minor == 12000 and inv.status == "written_off" and billing.open_amount(session, inv) == 0
    assert refused(ledger.write_off, session, SYSTEM, inv.id, None).field == "reason"


def test_only_an_issued_invoice_with_money_open_is_written_off(world, session):
    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    err = refused(ledger.write_off, session, SYSTEM, draft.id, "fees")
    assert err.kind == "conflict" and "this one is draft" in err.message
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    err = refused(ledger.write_off, session, SYSTEM, cn.id, "fees")
    assert err.kind == "conflict" and "Only an issued invoice" in err.message
    assert session.get(Invoice, inv.id).written_off_minor in (0, None)


# --- the status rule's event ----------------------------------------------------------------


def test_an_invoice_becoming_paid_emits_invoice_paid_once(world, session):
    from l2c_app.events.models import DomainEvent

    def paid_events():
        return [
            (e.subject_id, e.payload["total_minor"])
            for e in session.exec(
                select(DomainEvent).where(DomainEvent.type == "invoice.paid").order_by(DomainEvent.id)
            )
        ]

    inv = issued(session, world, 10000)  # 120.00
    pay(session, inv, 5000)
    assert paid_events() == []
    pay(session, inv, 7000)
    assert paid_events() == [(inv.id, 12000)]
    pay(session, inv, 100, confirm_overpayment=True)
    credit_notes.partial_credit_note(session, SYSTEM, issued(session, world, 5000).id, amount_minor=100)
    assert paid_events() == [(inv.id, 12000)]  # nor for money after it, nor for a credit note issued settled


# --- corrections after a webhook in the same session ------------------------------------------


def _stripe_payment(session, inv, amount) -> None:
    """A card payment as the webhook records it: Core statements, the ORM invoice left as it was."""
    session.add(
        Payment(
            invoice_id=inv.id,
            account_id=inv.account_id,
            amount_minor=amount,
            currency=inv.currency,
            method="stripe",
            status="succeeded",
            received_on=date(2026, 4, 2),
        )
    )
    session.flush()
    billing.recompute_status_row(session, SYSTEM, billing.lock_invoice_row(session, inv.id))


@pytest.mark.parametrize("correction", ["reverse", "write_off", "apply_credit", "partial_credit"])
def test_a_correction_after_a_webhook_reads_the_invoice_afresh(world, session, correction):
    """The webhook's fast path updates the invoice row with Core statements; a correction made
    next in the same session locks and re-reads the invoice, so its audit starts from what the
    webhook left (80.00 paid), not from the object loaded before it (30.00)."""
    if correction == "apply_credit":
        donor = issued(session, world, 1000)
        pay(session, donor, 3200, confirm_overpayment=True)  # 20.00 of credit
    inv = issued(session, world, 10000)  # 120.00
    manual = pay(session, inv, 3000)
    _stripe_payment(session, inv, 5000)
    mark = session.exec(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
    if correction == "reverse":
        ledger.reverse_payment(session, SYSTEM, manual.id, "bounced")
    elif correction == "write_off":
        ledger.write_off(session, SYSTEM, inv.id, "client gone")
    elif correction == "apply_credit":
        ledger.apply_credit(session, SYSTEM, inv.id, 1000)
    else:
        credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    rows = session.exec(
        select(AuditLog).where(
            AuditLog.entity == "invoice",
            AuditLog.entity_id == inv.id,
            AuditLog.id > mark,
            AuditLog.action == "status_from_ledger",
        )
    ).all()
    assert rows and all((r.before or {}).get("paid_minor", 8000) == 8000 for r in rows), [r.before for r in rows]
    paid = {"reverse": 5000, "write_off": 8000, "apply_credit": 9000, "partial_credit": 8000}[correction]
    assert session.get(Invoice, inv.id).paid_minor == paid


def test_reversing_applied_credit_that_ended_above_due_is_allowed_with_no_credit_left(world, session):
    """Credit applied, then a partial credit note leaves the invoice overpaid: the excess is the
    client's credit again. Reversing the applied credit takes that excess back as it returns the
    credit applied, so it needs no free balance (all of it may be spent elsewhere)."""
    donor = issued(session, world, 10000)
    pay(session, donor, 17000, confirm_overpayment=True)  # 50.00 of credit
    inv = issued(session, world, 10000)  # 120.00
    used = ledger.apply_credit(session, SYSTEM, inv.id, 5000)
    pay(session, inv, 7000)
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=5000)  # 60.00 off: 60.00 over due
    assert balance(session, world) == 6000
    elsewhere = issued(session, world, 5000)  # 60.00
    ledger.apply_credit(session, SYSTEM, elsewhere.id, 6000)
    assert balance(session, world) == 0
    ledger.reverse_payment(session, SYSTEM, used.id, "applied to the wrong invoice")
    assert balance(session, world) == 0 and session.get(Invoice, inv.id).paid_minor == 7000
