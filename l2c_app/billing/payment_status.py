"""The ledger of an invoice (paid, refunded, disputed, written off), its status after money moves
(the reference path `recompute_status` and the webhook's fast path `recompute_status_row`,
tested as twins), manual payments and matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing.common import MANUAL_METHODS, BillingError, begin_write
from l2c_app.billing.invoice_links import add_invoice_event
from l2c_app.billing.invoice_totals import _get_invoice
from l2c_app.billing.issuing import emit_invoice
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import Actor, audit_values, record_create, record_update, snapshot
from l2c_app.core.models import AuditLog
from l2c_app.core.money import check_amount, format_money
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import PaymentEvent
from l2c_app.payments.models import DISPUTE_CLOSED, REFUND_LIVE, ClientCredit, Dispute, Payment, Refund

# --- the ledger --------------------------------------------------------------------------


@dataclass
class Ledger:
    """An invoice's money, read in one query (its payments, each with its refunds and disputes)."""

    net_paid: int
    refunded: bool
    open_dispute: bool
    payment_ids: list[int]
    latest_succeeded_id: int | None


def _per_payment(col, model, where=None):
    cond = model.payment_id == Payment.id
    if where is not None:
        cond = and_(cond, where)
    return sa_select(col).where(cond).scalar_subquery()


# One round trip per recompute (a webhook does one per event): each payment of the
# invoice with the sums of its refunds and lost disputes and the counts that set the flags.
# A failed/canceled refund no longer counts; a dispute subtracts what Stripe holds from us for
# it (withdrawn and not reinstated; a lost dispute keeps it), not only once it is lost.
_LEDGER = (
    sa_select(
        Payment.id,
        Payment.amount_minor,
        Payment.status,
        _per_payment(func.coalesce(func.sum(Refund.amount_minor), 0), Refund, Refund.status.in_(REFUND_LIVE)).label(
            "refunded"
        ),
        _per_payment(func.count(), Refund, Refund.status.in_(REFUND_LIVE)).label("n_refunds"),
        _per_payment(func.coalesce(func.sum(Dispute.withdrawn_minor), 0), Dispute).label("lost"),
        _per_payment(func.count(), Dispute, Dispute.status.not_in(DISPUTE_CLOSED)).label("n_open"),
    )
    .where(Payment.invoice_id == bindparam("invoice_id"))
    .order_by(Payment.id)
)


def ledger(session: Session, invoice_id: int) -> Ledger:
    rows = session.connection().execute(_LEDGER, {"invoice_id": invoice_id}).all()
    succeeded = [r for r in rows if r.status == "succeeded"]
    paid = sum(r.amount_minor - int(r.refunded) - int(r.lost) for r in succeeded)
    return Ledger(
        paid,
        any(r.n_refunds for r in rows),
        any(r.n_open for r in rows),
        [r.id for r in rows],
        max(r.id for r in succeeded) if succeeded else None,
    )


def net_paid(session: Session, invoice_id: int) -> int:
    """Succeeded payments minus refunds minus lost disputes: the money we hold for it."""
    return ledger(session, invoice_id).net_paid


def amount_due(status: str, kind: str, total: int, credited: int = 0) -> int:
    """What the client owes before payments: the total less partial credit notes (0 when void
    or a credit note). Money held above it is the client's credit."""
    if status == "void" or kind == "credit_note":
        return 0
    return total - credited


def open_amount(session: Session, inv: Invoice, paid: int | None = None) -> int:
    """What is still to collect: due - paid - written off; 0 for drafts, voids and credit notes."""
    if inv.status in ("draft", "void") or inv.kind == "credit_note":
        return 0
    paid = net_paid(session, inv.id) if paid is None else paid
    return max(
        0, amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor) - paid - (inv.written_off_minor or 0)
    )


def open_minor_sql():
    """`open_amount` of an issued invoice as a column (reports over many invoices): due - the stored
    net paid (`paid_minor`, kept by `recompute_status`: payments - refunds - lost disputes) -
    written off, never below 0. Filter on OPEN_STATUSES and kind != credit_note with it."""
    open_ = Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor - Invoice.written_off_minor
    return case((open_ > 0, open_), else_=0)


def recompute_status(
    session: Session,
    actor: Actor,
    invoice_id: int | Invoice,
) -> Invoice:
    """Status and flags from the ledger, never incremented: any order of events gives the same answer.

    The caller holds the invoice's row lock when money moved. Money above the total is
    kept as ClientCredit on the payment that brought it (one credit row per payment).
    """
    inv = invoice_id if isinstance(invoice_id, Invoice) else _get_invoice(session, invoice_id)
    before = snapshot(inv)
    led = ledger(session, inv.id)
    paid = led.net_paid
    inv.paid_minor, inv.refunded, inv.disputed = paid, led.refunded, led.open_dispute
    inv.status = _status_for(inv.status, inv.kind, inv.total_minor, paid, inv.credited_minor, inv.written_off_minor)
    excess = (
        max(0, paid - amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor))
        if inv.kind != "credit_note"
        else 0
    )
    # Credits exist only if the invoice was overpaid before; skip the query otherwise.
    was_over = int(before.get("paid_minor") or 0) > amount_due(
        before.get("status") or "", inv.kind, int(before["total_minor"]), int(before.get("credited_minor") or 0)
    )
    if led.payment_ids and (excess > 0 or was_over):
        _sync_credit(session, inv, excess, led)
    session.add(inv)
    record_update(session, actor, inv, before, action="status_from_ledger")
    if before.get("status") != inv.status and inv.status == "paid":
        add_invoice_event(session, inv, f"Invoice {inv.number} paid ({format_money(inv.total_minor, inv.currency)})")
        if inv.kind != "credit_note":
            emit_invoice(session, "invoice.paid", inv)
    return inv


def _status_for(status: str, kind: str, total: int, paid: int, credited: int = 0, written_off: int = 0) -> str:
    """The status rule: drafts, voids and credit notes keep theirs; else paid / written off /
    partially paid / sent, from what is due (total - partial credit notes), paid and written off."""
    if status in ("draft", "void") or kind == "credit_note":
        return status
    due = total - credited
    if paid >= due and due > 0:
        return "paid"
    if written_off > 0 and paid + written_off >= due:
        return "written_off"
    return "partially_paid" if paid > 0 else "sent"


# The invoice columns the webhook path needs, read (and locked) without loading the ORM object.
INVOICE_ROW = (
    Invoice.id,
    Invoice.status,
    Invoice.kind,
    Invoice.total_minor,
    Invoice.paid_minor,
    Invoice.refunded,
    Invoice.disputed,
    Invoice.currency,
    Invoice.account_id,
    Invoice.deal_id,
    Invoice.number,
    Invoice.payment_link_id,
    Invoice.credited_minor,
    Invoice.written_off_minor,
)


# Statements built once: executing them with a dict of values skips SQLAlchemy's per-call
# construction and cache-key work, which on this path costs more than SQLite itself.
_LOCK_INVOICE = sa_select(*INVOICE_ROW).where(Invoice.id == bindparam("invoice_id")).with_for_update()
_UPDATE_INVOICE = update(Invoice).where(Invoice.id == bindparam("invoice_id_"))
AUDIT_INSERT = insert(AuditLog)


def lock_invoice_row(session: Session, invoice_id: int) -> Any:
    """The invoice's row (INVOICE_ROW columns) under SELECT ... FOR UPDATE on PostgreSQL, or None."""
    return session.connection().execute(_LOCK_INVOICE, {"invoice_id": invoice_id}).first()


def recompute_status_row(
    session: Session,
    actor: Actor,
    row: Any,
) -> str:
    """`recompute_status` for the webhook hot path: the same rule and audit, in Core statements.

    `row` comes from `lock_invoice_row` (the caller holds the lock). An invoice that is or
    was overpaid goes through `recompute_status` (client credit rows). Returns the new status.
    """
    session.flush()  # Core statements below do not autoflush pending ORM rows
    led = ledger(session, row.id)
    paid = led.net_paid
    due = amount_due(row.status, row.kind, row.total_minor, row.credited_minor)
    was_over = row.paid_minor > due
    excess = max(0, paid - due) if row.kind != "credit_note" else 0
    if led.payment_ids and (excess > 0 or was_over):
        inv = _get_invoice(session, row.id, lock=True)  # fresh ORM object (refresh), credits need it
        status = recompute_status(session, actor, inv).status
        after_payment(session, inv)  # as the reference path does (tests/billing/test_fast_path_twins.py)
        return status
    after = {
        "status": _status_for(row.status, row.kind, row.total_minor, paid, row.credited_minor, row.written_off_minor),
        "paid_minor": paid,
        "refunded": led.refunded,
        "disputed": led.open_dispute,
    }
    changed = {k: v for k, v in after.items() if getattr(row, k) != v}
    conn = session.connection()
    # Same audit row as record_update(action="status_from_ledger"): written even when nothing moved.
    audit = audit_values(actor, "status_from_ledger", "invoice", row.id, {k: getattr(row, k) for k in changed}, changed)
    if changed and conn.dialect.name == "postgresql":  # one round trip: the UPDATE as a CTE of the audit INSERT
        conn.execute(AUDIT_INSERT.add_cte(update(Invoice).where(Invoice.id == row.id).values(**changed).cte()), audit)
    else:
        if changed:
            conn.execute(_UPDATE_INVOICE, {**changed, "invoice_id_": row.id})
        conn.execute(AUDIT_INSERT, audit)
    if row.status != after["status"] and after["status"] == "paid":  # every deal it bills (one query if none set)
        if getattr(row, "deal_ids", None) != []:  # a row that knows it bills no deal: no timeline text to format
            add_invoice_event(
                session, row, f"Invoice {row.number} paid ({format_money(row.total_minor, row.currency)})"
            )
        emit_invoice(session, "invoice.paid", row)
    if row.payment_link_id:  # deactivating calls Stripe; the ORM object costs nothing next to that
        after_payment(session, _get_invoice(session, row.id, lock=True))
    return after["status"]


def _sync_credit(session: Session, inv: Invoice, excess: int, led: Ledger) -> None:
    credits = list(session.exec(select(ClientCredit).where(ClientCredit.payment_id.in_(led.payment_ids))))
    if excess <= 0:
        for c in credits:
            session.delete(c)
        return
    keep = next((c for c in credits if c.payment_id == led.latest_succeeded_id), credits[0] if credits else None)
    for c in credits:
        if c is not keep:
            session.delete(c)
    session.flush()  # the deletes first: payment_id is unique
    if keep is not None and led.latest_succeeded_id and keep.payment_id != led.latest_succeeded_id:
        keep.payment_id = led.latest_succeeded_id  # its payment was reversed: the credit moves to one that stands
    if keep is None:
        keep = ClientCredit(
            account_id=inv.account_id,
            payment_id=led.latest_succeeded_id,
            amount_minor=excess,
            currency=inv.currency,
            note=f"Overpayment of {inv.number}",
        )
    keep.amount_minor = excess
    session.add(keep)
    session.flush()


def record_manual_payment(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    amount_minor: int,
    method: str,
    received_on: date | None = None,
    reference: str | None = None,
    confirm_overpayment: bool = False,
) -> Payment:
    """A bank transfer, check or cash payment typed by the billing role.

    A payment above the open amount is refused unless `confirm_overpayment` is set: a typo
    (999,999.00 for 1,530.90) must not become a million of "collected" money. The refusal
    names the client credit the payment would create (`billing.ledger.overpayment_error`).
    """
    from l2c_app.billing import ledger as ledger_rules

    begin_write(session)
    if method not in MANUAL_METHODS:
        raise BillingError(f"Method must be one of {', '.join(MANUAL_METHODS)}", "method")
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise BillingError("The amount must be more than zero", "amount_minor")
    check_amount(amount_minor, "amount_minor", "The payment")
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.status in ("draft", "void") or inv.kind == "credit_note":
        raise BillingError(f"Payments are recorded on issued invoices (this one is {inv.status})", "status")
    if not confirm_overpayment:
        ledger_rules.refuse_unconfirmed_overpayment(session, inv, amount_minor)
    pay = Payment(
        invoice_id=inv.id,
        account_id=inv.account_id,
        amount_minor=amount_minor,
        currency=inv.currency,
        method=method,
        status="succeeded",
        received_on=received_on or org_today(session),
        reference=(reference or "").strip()[:200] or None,
        recorded_by_id=actor.user_id,
    )
    session.add(pay)
    record_create(session, actor, pay)
    recompute_status(session, actor, inv.id)
    after_payment(session, inv)
    emit(
        session,
        "payment.received",
        PaymentEvent(payment_id=pay.id, invoice_id=inv.id, amount_minor=amount_minor, currency=inv.currency),
    )
    return pay


def match_payment(
    session: Session,
    actor: Actor,
    payment_id: int,
    invoice_id: int,
) -> Payment:
    """Attach an unmatched payment to an invoice (manual match on the Payments page)."""
    begin_write(session)
    pay = session.exec(select(Payment).where(Payment.id == payment_id).with_for_update()).first()
    if pay is None:
        raise BillingError(f"No payment {payment_id}", "payment_id", kind="not_found")
    if pay.invoice_id is not None:
        raise BillingError("This payment is already matched", "payment_id", kind="conflict")
    inv = _get_invoice(session, invoice_id, lock=True)
    if inv.currency != pay.currency:
        raise BillingError(
            f"The payment is in {pay.currency}, the invoice in {inv.currency}", "invoice_id", kind="conflict"
        )
    if inv.status in ("draft", "void"):
        raise BillingError("Match payments to issued invoices only", "invoice_id", kind="conflict")
    before = snapshot(pay)
    pay.invoice_id, pay.account_id, pay.updated_at = inv.id, inv.account_id, utcnow()
    session.add(pay)
    record_update(session, actor, pay, before, action="match")
    recompute_status(session, actor, inv.id)
    after_payment(session, inv)
    return pay


def after_payment(session: Session, inv: Invoice) -> None:
    """Once nothing is open, the payment link goes (a second payment through it would be an overpayment)."""
    if inv.payment_link_id and open_amount(session, inv, inv.paid_minor) == 0:
        _deactivate_link_quietly(session, inv)


def _deactivate_link_quietly(session: Session, inv: Invoice) -> None:
    from l2c_app.billing.payment_links import deactivate_invoice_link

    deactivate_invoice_link(session, inv)
