"""The payment ledger's corrections: overpayment guard, reversal, client credit applied, write-off.

Rules (all amounts integer minor units in the invoice's currency):
- due = total - partial credit notes; open = due - net paid - written off (never below 0);
  money held above `due` is the client's credit (`ClientCredit`, one row per invoice,
  kept by `service.recompute_status`, never incremented).
- A client's credit balance = the credit its invoices hold - the credit applied to other
  invoices (payments of method "credit" that stand). It never goes below 0: applying is
  capped by it, and reversing a payment whose credit is already applied elsewhere is refused.
- Nothing is deleted: a reversed payment keeps its row (status "reversed", reason, who,
  when); the invoice is recomputed from the ledger.
- Every change is audited (`core.audit`) in the transaction that makes it.

Concurrency: the invoice row is locked (`_get_invoice(lock=True)`); a use of the client's
credit also locks the client's Account row, so two invoices cannot spend the same credit.
SQLite serialises writers (`begin_write`).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing.invoice_totals import _get_invoice
from l2c_app.billing.models import Invoice
from l2c_app.billing.service import (
    MANUAL_METHODS,
    OPEN_STATUSES,
    add_invoice_event,
    after_payment,
    amount_due,
    begin_write,
    net_paid,
    open_amount,
    recompute_status,
)
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.errors import Conflict, DomainError, NotFound
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.pipeline.models import Account

REVERSIBLE_METHODS = (*MANUAL_METHODS, "credit")
CREDIT_METHOD = "credit"


# --- client credit --------------------------------------------------------------------------


def client_credit_balance(session: Session, account_id: int | None, currency: str) -> int:
    """Credit the client has to spend: held by its invoices minus applied to others."""
    if account_id is None:
        return 0
    held = session.execute(
        sa_select(func.coalesce(func.sum(ClientCredit.amount_minor), 0)).where(
            ClientCredit.account_id == account_id, ClientCredit.currency == currency
        )
    ).scalar_one()
    used = session.execute(
        sa_select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.account_id == account_id,
            Payment.currency == currency,
            Payment.method == CREDIT_METHOD,
            Payment.status == "succeeded",
        )
    ).scalar_one()
    return int(held) - int(used)


def credit_balances(session: Session) -> list[dict]:
    """Every client with credit held or applied, per currency: held, applied, balance."""
    held = session.execute(
        sa_select(ClientCredit.account_id, ClientCredit.currency, func.sum(ClientCredit.amount_minor)).group_by(
            ClientCredit.account_id, ClientCredit.currency
        )
    ).all()
    used = session.execute(
        sa_select(Payment.account_id, Payment.currency, func.sum(Payment.amount_minor))
        .where(Payment.method == CREDIT_METHOD, Payment.status == "succeeded")
        .group_by(Payment.account_id, Payment.currency)
    ).all()
    out: dict[tuple, dict] = {}
    for acc, cur, amount in held:
        out.setdefault((acc, cur), {"account_id": acc, "currency": cur, "held": 0, "applied": 0})["held"] = int(amount)
    for acc, cur, amount in used:
        row = out.setdefault((acc, cur), {"account_id": acc, "currency": cur, "held": 0, "applied": 0})
        row["applied"] = int(amount)
    rows = [{**r, "balance": r["held"] - r["applied"]} for r in out.values()]
    return sorted(rows, key=lambda r: (-r["balance"], r["account_id"] or 0))


def _lock_account(session: Session, account_id: int | None) -> None:
    if account_id is not None:
        session.execute(sa_select(Account.id).where(Account.id == account_id).with_for_update())


def _excess(inv: Invoice, paid: int) -> int:
    return max(0, paid - amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor))


# --- the overpayment guard ------------------------------------------------------------------


def overpayment_credit(session: Session, inv: Invoice, amount_minor: int) -> int:
    """The client credit a new payment of `amount_minor` would create (0 if it does not overpay)."""
    paid = net_paid(session, inv.id)
    return _excess(inv, paid + amount_minor) - _excess(inv, paid)


def refuse_unconfirmed_overpayment(session: Session, inv: Invoice, amount_minor: int) -> None:
    """A payment above the open amount needs an explicit confirmation naming the credit it creates."""
    open_minor = open_amount(session, inv)
    if amount_minor <= open_minor:
        return
    credit = overpayment_credit(session, inv, amount_minor)
    cur = inv.currency
    raise DomainError(
        f"This payment of {format_money(amount_minor, cur)} is more than the open amount of "
        f"{format_money(open_minor, cur)}: it would create a client credit of "
        f"{format_money(credit, cur)}. Confirm the overpayment to record it.",
        "amount_minor",
        code="amount.overpayment",
    )


# --- reversal -------------------------------------------------------------------------------


def reverse_payment(
    session: Session,
    actor: Actor,
    payment_id: int,
    reason: str,
) -> Payment:
    """Reverse a payment typed in error (or a bounced check): kept, marked reversed, the invoice
    recomputed; credit it created shrinks or goes. A card payment is refunded in Stripe instead."""
    begin_write(session)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the payment is reversed", "reason")
    pay = session.exec(select(Payment).where(Payment.id == payment_id).with_for_update()).first()
    if pay is None:
        raise NotFound(f"No payment {payment_id}", "payment_id")
    if pay.status != "succeeded":
        raise Conflict(f"This payment is {pay.status}: only a payment that stands can be reversed", "status")
    if pay.method not in REVERSIBLE_METHODS:
        raise Conflict("A card payment is reversed by refunding it in Stripe", "method")
    if pay.invoice_id is None:
        raise Conflict("Match the payment to its invoice first", "invoice_id")
    inv = _get_invoice(session, pay.invoice_id, lock=True)
    _lock_account(session, inv.account_id)
    paid = net_paid(session, inv.id)
    credit_lost = _excess(inv, paid) - _excess(inv, paid - pay.amount_minor)
    if pay.method != CREDIT_METHOD and credit_lost > 0:
        balance = client_credit_balance(session, inv.account_id, inv.currency)
        if credit_lost > balance:
            raise Conflict(
                f"{format_money(credit_lost - balance, inv.currency)} of the credit this payment created "
                "is already applied to another invoice: reverse that first",
                "payment_id",
                code="credit.in_use",
            )
    before = snapshot(pay)
    pay.status, pay.reversed_at, pay.reversed_by_id = "reversed", utcnow(), actor.user_id
    pay.reversal_reason, pay.updated_at = reason[:300], utcnow()
    session.add(pay)
    record_update(session, actor, pay, before, action="reverse")
    recompute_status(session, actor, inv)
    add_invoice_event(
        session,
        inv,
        f"Payment of {format_money(pay.amount_minor, pay.currency)} on {inv.number} reversed: {reason[:200]}",
        user_id=actor.user_id,
    )
    return pay


# --- client credit applied ------------------------------------------------------------------


def apply_credit(
    session: Session,
    actor: Actor,
    invoice_id: int,
    amount_minor: int | None = None,
) -> Payment:
    """Pay (part of) an invoice with the client's credit: a payment of method "credit".

    Default amount: as much as both the credit and the open amount allow. Reversible like
    any manual payment (`reverse_payment`), which gives the credit back.
    """
    begin_write(session)
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status not in OPEN_STATUSES or inv.kind == "credit_note":
        raise Conflict("Credit is applied to an issued invoice with money open", "status")
    if inv.account_id is None:
        raise DomainError("This invoice has no client, so no client credit", "account_id")
    _lock_account(session, inv.account_id)
    balance = client_credit_balance(session, inv.account_id, inv.currency)
    open_minor = open_amount(session, inv)
    if amount_minor is None:
        amount_minor = min(balance, open_minor)
        if amount_minor <= 0:
            raise DomainError(
                f"The client has no {inv.currency} credit to apply", "amount_minor", code="amount.no_credit"
            )
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise DomainError("The amount must be more than zero", "amount_minor")
    cur = inv.currency
    if amount_minor > balance:
        raise DomainError(
            f"The client has {format_money(balance, cur)} of credit; "
            f"{format_money(amount_minor, cur)} is more than that",
            "amount_minor",
            code="amount.exceeds_credit",
        )
    if amount_minor > open_minor:
        raise DomainError(
            f"Only {format_money(open_minor, cur)} is open on this invoice", "amount_minor", code="amount.exceeds_open"
        )
    pay = Payment(
        invoice_id=inv.id,
        account_id=inv.account_id,
        amount_minor=amount_minor,
        currency=cur,
        method=CREDIT_METHOD,
        status="succeeded",
        received_on=org_today(session),
        reference="Client credit applied",
        recorded_by_id=actor.user_id,
    )
    session.add(pay)
    record_create(session, actor, pay)
    recompute_status(session, actor, inv)
    add_invoice_event(
        session,
        inv,
        f"Client credit of {format_money(amount_minor, cur)} applied to {inv.number}",
        user_id=actor.user_id,
    )
    after_payment(session, inv)
    return pay


# --- write-off ------------------------------------------------------------------------------


def write_off(
    session: Session,
    actor: Actor,
    invoice_id: int,
    reason: str,
) -> Invoice:
    """Write off what is still open (a few cents of bank fees, a rounding gap) with a reason.

    The invoice then shows "Written off", not "Paid": the money was never received, and
    Insights and the totals count it as written off, not collected.
    """
    begin_write(session)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the balance is written off", "reason")
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status not in OPEN_STATUSES or inv.kind == "credit_note":
        raise Conflict(
            f"Only an issued invoice with money open can be written off (this one is {inv.status})", "status"
        )
    open_minor = open_amount(session, inv)
    if open_minor <= 0:
        raise Conflict("Nothing is open on this invoice", "status")
    before = snapshot(inv)
    inv.written_off_minor = (inv.written_off_minor or 0) + open_minor
    inv.written_off_at, inv.write_off_reason = utcnow(), reason[:500]
    session.add(inv)
    record_update(session, actor, inv, before, action="write_off")
    recompute_status(session, actor, inv)
    add_invoice_event(
        session,
        inv,
        f"{format_money(open_minor, inv.currency)} of {inv.number} written off: {reason[:200]}",
        user_id=actor.user_id,
    )
    if inv.payment_link_id:
        after_payment(session, inv)
    return inv
