"""Payment links for invoices: which link an invoice needs, made and recorded after commit.

The decisions live here (billing); the calls are the payments gateway's (ports/payments.py:
Stripe when configured, else manual payments, which has no links), plain data in and out.
Every call to Stripe is an outbox effect, delivered after the business transaction commits
(never a Stripe call under a row lock).

Idempotency (Stripe, "Idempotent requests": v1 saves the status and body of the first
request made with a key, for at least 24 hours, and replays it to any retry): a link is
created with the key `l2c-inv<id>-gen<n>-<open amount>`, where n counts the invoice's link
generations (from its audit trail). A retry of the same send (a timeout, a double click)
reuses the key and gets the same link back; a new generation (the open amount changed, the
link was used by a payment that was then refunded, lost in a dispute or failed as a bank
debit) never repeats a key, so Stripe cannot replay a link it has since deactivated.
"""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.billing.service import open_amount
from l2c_app.core.config import get_settings
from l2c_app.outbox.service import enqueue, handler
from l2c_app.ports import payments
from l2c_app.ports.payments import GatewayRefused, LinkRequest


def ensure_payment_link(session: Session, invoice) -> str | None:
    """The invoice's payment link for its open amount: kept when it fits, else a new one is
    asked for (an outbox effect, made by the worker after commit; this returns the link the
    invoice has now, possibly None). Without an outside gateway (manual payments): None."""
    if not payments.gateway().is_external:
        return None
    amount = open_amount(session, invoice)
    if amount <= 0:
        deactivate_invoice_link(session, invoice)
        return None
    if invoice.payment_link_id and invoice.payment_link_amount_minor == amount:
        return invoice.payment_link_url
    key = f"l2c-inv{invoice.id}-gen{link_generation(session, invoice.id)}-{amount}"
    enqueue(
        session,
        "stripe.link_create",
        {"invoice_id": invoice.id, "amount_minor": amount},
        key,
        summary=f"Stripe payment link for invoice {invoice.number} ({amount} {invoice.currency})",
        related=("invoice", invoice.id),
    )
    return invoice.payment_link_url


def _link_request(invoice, amount: int) -> LinkRequest:
    base = get_settings().app_base_url
    return LinkRequest(
        amount_minor=amount,
        currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        return_url=f"{base}/i/{invoice.public_token}?paid=1",
        metadata={"invoice_id": str(invoice.id), "invoice_number": invoice.number or "", "source": "l2c"},
    )


@handler("stripe.link_create")
def deliver_link_create(effect) -> str:
    """Create the link (the effect's key is Stripe's Idempotency-Key), then record it on the
    invoice in a short transaction, unless the invoice moved on meanwhile (paid, voided, another
    amount): then the new link is deactivated at once and, if money is still open, a fitting one
    asked for."""
    from l2c_app.billing.models import Invoice
    from l2c_app.billing.service import begin_write, lock_invoice_row
    from l2c_app.core.audit import Actor, record_action
    from l2c_app.core.db import session_scope
    from l2c_app.outbox.service import Permanent

    amount = int(effect.payload["amount_minor"])
    with session_scope() as session:
        invoice = session.get(Invoice, effect.payload["invoice_id"])
        if invoice is None:
            raise Permanent("the invoice is gone")
        request = _link_request(invoice, amount)
    try:
        link = payments.gateway().create_payment_link(request, effect.idempotency_key)
    except GatewayRefused as exc:
        if exc.permanent:
            raise Permanent(f"Stripe refused the payment link: {exc}") from None
        raise
    link_id, link_url = link.id, link.url
    with session_scope() as session:
        begin_write(session)
        lock_invoice_row(session, effect.payload["invoice_id"])
        invoice = session.get(Invoice, effect.payload["invoice_id"])
        wanted = (
            invoice is not None and invoice.status not in ("void", "paid") and open_amount(session, invoice) == amount
        )
        if not wanted:
            deactivate_link(session, link_id)
            if invoice is not None and invoice.status not in ("void", "paid"):
                ensure_payment_link(session, invoice)
            return f"{link_id} (not needed any more: deactivated)"
        old = invoice.payment_link_id
        if old == link_id:
            return link_id
        invoice.payment_link_id, invoice.payment_link_url = link_id, link_url
        invoice.payment_link_amount_minor = amount
        session.add(invoice)
        if old:
            deactivate_link(session, old)
        record_action(
            session,
            Actor("system", None, "stripe"),
            "invoice",
            invoice.id,
            "payment_link",
            {"link": link_id, "amount_minor": amount, "replaced": old},
        )
    return link_id


def link_generation(session: Session, invoice_id: int) -> int:
    """How many links this invoice has had (each one leaves a `payment_link` audit row), so the
    next one's idempotency key is new even when the amount and the previous link repeat."""
    from sqlmodel import func, select

    from l2c_app.core.models import AuditLog

    return int(
        session.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "invoice", AuditLog.entity_id == invoice_id, AuditLog.action == "payment_link")
        ).one()
    )


def replace_invoice_link(session: Session, invoice) -> str | None:
    """A new link for the open amount, the old one deactivated: after the old one was used up
    by a session whose payment then failed (a limited link stays inactive, Stripe "Payment
    Links": a link with `restrictions.completed_sessions.limit` deactivates once reached)."""
    deactivate_invoice_link(session, invoice)
    return ensure_payment_link(session, invoice)


def deactivate_link(session: Session, link_id: str) -> None:
    """Queue `active: false` for the link (an outbox effect: never a Stripe call under a lock)."""
    enqueue(
        session,
        "stripe.link_deactivate",
        {"link_id": link_id},
        f"l2c-deactivate-{link_id}",
        summary=f"Deactivate Stripe payment link {link_id}",
    )


@handler("stripe.link_deactivate")
def deliver_link_deactivate(effect) -> str:
    from l2c_app.outbox.service import Permanent

    try:
        payments.gateway().deactivate_payment_link(effect.payload["link_id"], effect.idempotency_key)
    except GatewayRefused as exc:
        if exc.permanent:  # the link may already be gone; the money rules do not depend on it
            raise Permanent(f"Stripe refused: {exc}") from None
        raise
    return "deactivated"


def deactivate_invoice_link(session: Session, invoice) -> None:
    """After payment (or void): nobody should pay through this link again."""
    if not invoice.payment_link_id:
        return
    if payments.gateway().is_external:
        deactivate_link(session, invoice.payment_link_id)
    invoice.payment_link_id = None
    invoice.payment_link_url = None
    invoice.payment_link_amount_minor = None
    session.add(invoice)
