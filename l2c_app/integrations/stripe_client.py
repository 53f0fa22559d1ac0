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
    """The invoice's payment link for its open amount (made, kept or replaced); None without Stripe."""
    from l2c_app.billing.service import open_amount
    from l2c_app.core.audit import Actor, record_action

    if not enabled():
        return None
    amount = open_amount(session, invoice)
    if amount <= 0:
        deactivate_invoice_link(session, invoice)
        return None
    if invoice.payment_link_id and invoice.payment_link_amount_minor == amount:
        return invoice.payment_link_url
    client = get_client()
    base = get_settings().app_base_url
    meta = {"invoice_id": str(invoice.id), "invoice_number": invoice.number or "", "source": "l2c"}
    params: dict[str, Any] = {
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
    key = f"l2c-inv{invoice.id}-gen{link_generation(session, invoice.id)}-{amount}"
    link = client.v1.payment_links.create(params, {"idempotency_key": key})  # type: ignore[arg-type]
    old = invoice.payment_link_id
    invoice.payment_link_id, invoice.payment_link_url = link.id, link.url
    invoice.payment_link_amount_minor = amount
    session.add(invoice)
    if old and old != link.id:
        _deactivate(old)
    record_action(session, Actor("system", None, "stripe"), "invoice", invoice.id, "payment_link",
                  {"link": link.id, "amount_minor": amount, "replaced": old})
    return link.url


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


def _deactivate(link_id: str) -> None:
    try:
        get_client().v1.payment_links.update(link_id, {"active": False})
    except stripe.StripeError as exc:  # the link may already be gone; the money rules do not depend on it
        log.warning("could not deactivate payment link %s: %s", link_id, exc)


def deactivate_invoice_link(session: Session, invoice) -> None:
    """After payment (or void): nobody should pay through this link again."""
    if not invoice.payment_link_id:
        return
    if enabled():
        _deactivate(invoice.payment_link_id)
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
