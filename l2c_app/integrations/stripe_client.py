"""Stripe adapter: payment links for invoices, and the reads the sync job needs.

Talks to Stripe with the official `stripe` package (`StripeClient`); `STRIPE_API_BASE`
points it at another API base (the tests' stand-in on 127.0.0.1). Without
`STRIPE_API_KEY` every function here is a no-op and invoices are paid by hand.

API version: pinned here, once (API_VERSION), to the version the installed SDK was generated
for and tested with (pyproject bounds `stripe>=16,<17`). Every request sends it, and the
webhook endpoint should be created with the same version (README, "Connect Stripe") so
event payloads have the shapes the handlers read.

Idempotency (Stripe, "Idempotent requests": v1 saves the status and body of the first
request made with a key, for at least 24 hours, and replays it to any retry): a link is
created with the key `l2c-inv<id>-gen<n>-<open amount>`, where n counts the invoice's link
generations (from its audit trail). A retry of the same send (a timeout, a double click)
reuses the key and gets the same link back; a new generation (the open amount changed, the
link was used by a payment that was then refunded, lost in a dispute or failed as a bank
debit) never repeats a key, so Stripe cannot replay a link it has since deactivated.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import stripe
from sqlmodel import Session

from l2c_app.core.config import get_settings
from l2c_app.outbox.service import enqueue, handler

log = logging.getLogger(__name__)


class StripeNotConfigured(RuntimeError):
    pass


# The one place the Stripe API version is chosen: the version stripe 16.x is generated for.
API_VERSION = "2026-10-28.endive"
# The event types l2c handles (payments/webhooks.HANDLERS checks it is the same list): the
# sync asks Stripe only for these, and README tells the operator to subscribe to these.
EVENT_TYPES = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "payment_intent.succeeded",
    "charge.refunded", "refund.created", "refund.updated", "refund.failed", "charge.refund.updated",
    "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
    "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
    "payout.paid", "payout.failed",
)


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str | None) -> stripe.StripeClient:
    kwargs: dict[str, Any] = {"max_network_retries": 2, "stripe_version": API_VERSION}
    if api_base:
        kwargs["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(api_key, **kwargs)


def get_client() -> stripe.StripeClient:
    settings = get_settings()
    if not settings.stripe_api_key:
        raise StripeNotConfigured("STRIPE_API_KEY is not set")
    return _client_for(settings.stripe_api_key, settings.stripe_api_base)


def enabled() -> bool:
    return get_settings().stripe_enabled


def ensure_payment_link(session: Session, invoice) -> str | None:
    """The invoice's payment link for its open amount: kept when it fits, else a new one is
    asked for (an outbox effect, made by the worker after commit; this returns the link the
    invoice has now, possibly None). Without Stripe: None."""
    from l2c_app.billing.service import open_amount

    if not enabled():
        return None
    amount = open_amount(session, invoice)
    if amount <= 0:
        deactivate_invoice_link(session, invoice)
        return None
    if invoice.payment_link_id and invoice.payment_link_amount_minor == amount:
        return invoice.payment_link_url
    key = f"l2c-inv{invoice.id}-gen{link_generation(session, invoice.id)}-{amount}"
    enqueue(session, "stripe.link_create", {"invoice_id": invoice.id, "amount_minor": amount}, key,
            summary=f"Stripe payment link for invoice {invoice.number} ({amount} {invoice.currency})",
            related=("invoice", invoice.id))
    return invoice.payment_link_url


def _link_params(invoice, amount: int) -> dict[str, Any]:
    base = get_settings().app_base_url
    meta = {"invoice_id": str(invoice.id), "invoice_number": invoice.number or "", "source": "l2c"}
    return {
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": invoice.currency.lower(), "unit_amount": amount,
                           "product_data": {"name": f"Invoice {invoice.number}"}},
        }],
        "metadata": meta,
        "payment_intent_data": {"metadata": meta},
        "restrictions": {"completed_sessions": {"limit": 1}},
        "after_completion": {"type": "redirect",
                             "redirect": {"url": f"{base}/i/{invoice.public_token}?paid=1"}},
    }


def _permanent(exc: stripe.StripeError) -> bool:
    """Stripe, "Error handling": 4xx other than 409 (idempotency conflict) and 429 (rate limit)
    will fail the same way again; connection errors, 409, 429 and 5xx are worth a retry."""
    status = getattr(exc, "http_status", None)
    return status is not None and 400 <= status < 500 and status not in (409, 429)


@handler("stripe.link_create")
def deliver_link_create(effect) -> str:
    """Create the link (the effect's key is Stripe's Idempotency-Key), then record it on the
    invoice in a short transaction, unless the invoice moved on meanwhile (paid, voided, another
    amount): then the new link is deactivated at once and, if money is still open, a fitting one
    asked for."""
    from l2c_app.billing.models import Invoice
    from l2c_app.billing.service import begin_write, lock_invoice_row, open_amount
    from l2c_app.core.audit import Actor, record_action
    from l2c_app.core.db import session_scope
    from l2c_app.outbox.service import Permanent

    amount = int(effect.payload["amount_minor"])
    with session_scope() as session:
        invoice = session.get(Invoice, effect.payload["invoice_id"])
        if invoice is None:
            raise Permanent("the invoice is gone")
        params = _link_params(invoice, amount)
    try:
        link = get_client().v1.payment_links.create(params,  # type: ignore[arg-type]
                                                    {"idempotency_key": effect.idempotency_key})
    except stripe.StripeError as exc:
        if _permanent(exc):
            raise Permanent(f"Stripe refused the payment link: {exc.user_message or exc}") from None
        raise
    with session_scope() as session:
        begin_write(session)
        lock_invoice_row(session, effect.payload["invoice_id"])
        invoice = session.get(Invoice, effect.payload["invoice_id"])
        wanted = (invoice is not None and invoice.status not in ("void", "paid")
                  and open_amount(session, invoice) == amount)
        if not wanted:
            deactivate_link(session, link.id)
            if invoice is not None and invoice.status not in ("void", "paid"):
                ensure_payment_link(session, invoice)
            return f"{link.id} (not needed any more: deactivated)"
        old = invoice.payment_link_id
        if old == link.id:
            return link.id
        invoice.payment_link_id, invoice.payment_link_url = link.id, link.url
        invoice.payment_link_amount_minor = amount
        session.add(invoice)
        if old:
            deactivate_link(session, old)
        record_action(session, Actor("system", None, "stripe"), "invoice", invoice.id, "payment_link",
                      {"link": link.id, "amount_minor": amount, "replaced": old})
    return link.id


def link_generation(session: Session, invoice_id: int) -> int:
    """How many links this invoice has had (each one leaves a `payment_link` audit row), so the
    next one's idempotency key is new even when the amount and the previous link repeat."""
    from sqlmodel import func, select

    from l2c_app.core.models import AuditLog

    return int(session.exec(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "invoice", AuditLog.entity_id == invoice_id,
        AuditLog.action == "payment_link")).one())


def replace_invoice_link(session: Session, invoice) -> str | None:
    """A new link for the open amount, the old one deactivated: after the old one was used up
    by a session whose payment then failed (a limited link stays inactive, Stripe "Payment
    Links": a link with `restrictions.completed_sessions.limit` deactivates once reached)."""
    deactivate_invoice_link(session, invoice)
    return ensure_payment_link(session, invoice)


def deactivate_link(session: Session, link_id: str) -> None:
    """Queue `active: false` for the link (an outbox effect: never a Stripe call under a lock)."""
    enqueue(session, "stripe.link_deactivate", {"link_id": link_id}, f"l2c-deactivate-{link_id}",
            summary=f"Deactivate Stripe payment link {link_id}")


@handler("stripe.link_deactivate")
def deliver_link_deactivate(effect) -> str:
    from l2c_app.outbox.service import Permanent

    try:
        get_client().v1.payment_links.update(effect.payload["link_id"], {"active": False},
                                              {"idempotency_key": effect.idempotency_key})
    except stripe.StripeError as exc:
        if _permanent(exc):  # the link may already be gone; the money rules do not depend on it
            raise Permanent(f"Stripe refused: {exc.user_message or exc}") from None
        raise
    return "deactivated"


def deactivate_invoice_link(session: Session, invoice) -> None:
    """After payment (or void): nobody should pay through this link again."""
    if not invoice.payment_link_id:
        return
    if enabled():
        deactivate_link(session, invoice.payment_link_id)
    invoice.payment_link_id = None
    invoice.payment_link_url = None
    invoice.payment_link_amount_minor = None
    session.add(invoice)


def _plain(obj: Any) -> dict:
    """An SDK object as plain JSON-able data: SDK 16 turns decimal-string fields (a price's
    `unit_amount_decimal`) into Decimal; for_json=True gives them back as strings."""
    return obj.to_dict(recursive=True, for_json=True)


def events_since(created_after: int | None, types: tuple[str, ...] = EVENT_TYPES) -> list[dict]:
    """Every event of `types` created at or after `created_after` (all pages), oldest first.

    Stripe, "List all events": `types` filters (up to 20), `created[gte]` bounds, newest first,
    and the list is paged (`has_more`, `starting_after`); auto_paging_iter walks every page.
    Events are kept 30 days, so a cursor older than that still works (it just finds fewer).
    """
    params: dict[str, Any] = {"limit": 100, "types": list(types)}
    if created_after:
        params["created"] = {"gte": int(created_after)}
    events = [_plain(e) for e in get_client().v1.events.list(params).auto_paging_iter()]  # type: ignore[arg-type]
    return list(reversed(events))


def recent_events(limit: int = 100, created_after: int | None = None) -> list[dict]:
    """Compatibility: the newest events of the handled types (oldest first), all pages."""
    return events_since(created_after)


def complete_checkout_sessions(created_after: int | None = None) -> list[dict]:
    """Checkout sessions with status=complete (all pages; since `created_after` when given)."""
    params: dict[str, Any] = {"limit": 100, "status": "complete"}
    if created_after:
        params["created"] = {"gte": int(created_after)}
    return [_plain(s) for s in get_client().v1.checkout.sessions.list(params).auto_paging_iter()]  # type: ignore[arg-type]


def recent_checkout_sessions(limit: int = 100) -> list[dict]:
    return complete_checkout_sessions()


def retrieve_payment_intent(pi_id: str) -> dict:
    return _plain(get_client().v1.payment_intents.retrieve(pi_id))


def refunds_of_charge(charge_id: str) -> list[dict]:
    """Every refund of a charge (Stripe, "List all refunds" with `charge`): since API 2022-11-15
    a charge no longer embeds its refunds, so charge.refunded tells the total, not which."""
    return [_plain(r) for r in get_client().v1.refunds.list({"charge": charge_id, "limit": 100}).auto_paging_iter()]


def balance_transaction_of_payment_intent(pi_id: str) -> dict | None:
    """The balance transaction of the intent's latest charge (fee, net), or None while there is
    no charge yet (a bank debit still processing).

    Stripe, "Balance Transaction object": `amount`, `fee` (with `fee_details`) and `net`, in the
    currency of the balance, which is not always the charge's. Read by expanding
    `latest_charge.balance_transaction` on the PaymentIntent (one request, "Expanding responses").
    """
    pi = _plain(get_client().v1.payment_intents.retrieve(
        pi_id, {"expand": ["latest_charge.balance_transaction"]}))  # type: ignore[arg-type]
    charge = pi.get("latest_charge")
    if not isinstance(charge, dict):
        return None
    bt = charge.get("balance_transaction")
    if isinstance(bt, str):  # an SDK or API that did not expand it: ask for it by id
        bt = _plain(get_client().v1.balance_transactions.retrieve(bt))
    return bt if isinstance(bt, dict) else None
