"""Handlers of checkout sessions and payment intents: each upserts the payment of its invoice."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.billing.service import open_amount
from l2c_app.payments.webhook_ledger import _id, upsert_payment


def on_checkout_completed(session: Session, obj: dict, event: dict) -> str:
    paid = obj.get("payment_status") == "paid"
    pay = upsert_payment(
        session,
        pi_id=_id(obj.get("payment_intent")),
        cs_id=obj.get("id"),
        amount=int(obj.get("amount_total") or 0),
        currency=obj.get("currency", "eur"),
        status="succeeded" if paid else "pending",
        metadata=obj.get("metadata"),
        created=obj.get("created"),
    )
    return f"payment {pay.id} {pay.status}"


def on_async_succeeded(session: Session, obj: dict, event: dict) -> str:
    pay = upsert_payment(
        session,
        pi_id=_id(obj.get("payment_intent")),
        cs_id=obj.get("id"),
        amount=int(obj.get("amount_total") or 0),
        currency=obj.get("currency", "eur"),
        status="succeeded",
        metadata=obj.get("metadata"),
        created=obj.get("created"),
    )
    return f"payment {pay.id} {pay.status}"


def on_async_failed(session: Session, obj: dict, event: dict) -> str:
    """A delayed-notification payment (SEPA, ACH) failed after its session completed.

    Stripe, "Checkout: fulfill orders" / "Payment Links": the session completes while the
    payment is still pending, and a link limited to one completed session deactivates then;
    so the invoice's link is dead. Make a new one (a new generation: a new idempotency key)
    so reminders and the invoice page offer a link that works.
    """
    pay = upsert_payment(
        session,
        pi_id=_id(obj.get("payment_intent")),
        cs_id=obj.get("id"),
        amount=int(obj.get("amount_total") or 0),
        currency=obj.get("currency", "eur"),
        status="failed",
        metadata=obj.get("metadata"),
        created=obj.get("created"),
    )
    detail = f"payment {pay.id} {pay.status}"
    if pay.invoice_id is not None:
        from l2c_app.billing.models import Invoice
        from l2c_app.billing.payment_links import replace_invoice_link
        from l2c_app.ports.payments import gateway

        inv = session.get(Invoice, pay.invoice_id)
        used = _id(obj.get("payment_link"))
        if (
            gateway().is_external
            and inv is not None
            and (inv.payment_link_id is None or used is None or inv.payment_link_id == used)
        ):
            replace_invoice_link(session, inv)  # queued: made by the outbox worker after commit
            detail += "; new payment link queued" if open_amount(session, inv) > 0 else "; nothing open, no link"
    return detail


def on_payment_intent_succeeded(session: Session, obj: dict, event: dict) -> str:
    pay = upsert_payment(
        session,
        pi_id=obj.get("id"),
        charge_id=_id(obj.get("latest_charge")),
        amount=int(obj.get("amount_received") or obj.get("amount") or 0),
        currency=obj.get("currency", "eur"),
        status="succeeded",
        metadata=obj.get("metadata"),
        created=obj.get("created"),
    )
    return f"payment {pay.id} {pay.status}"
