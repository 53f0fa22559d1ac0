"""Stripe adapter: payment links for invoices, and the reads the sync job needs.

Talks to Stripe with the official `stripe` package (`StripeClient`); `STRIPE_API_BASE`
points it at another API base (the tests' stand-in on 127.0.0.1). Without
`STRIPE_API_KEY` every function here is a no-op and invoices are paid by hand.

Idempotency: a link is created with the key `l2c-inv<id>-<open amount>-<previous link>`,
so a retry of the same send (a timeout, a double click) gets the same link back from
Stripe, while a changed open amount makes a new link and deactivates the old one.
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


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str | None) -> stripe.StripeClient:
    kwargs: dict[str, Any] = {"max_network_retries": 2}
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
    meta = {"invoice_id": str(invoice.id), "invoice_number": invoice.number or ""}
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
    key = f"l2c-inv{invoice.id}-{amount}-{invoice.payment_link_id or 'first'}"
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


def recent_events(limit: int = 100, created_after: int | None = None) -> list[dict]:
    params: dict[str, Any] = {"limit": limit}
    if created_after:
        params["created"] = {"gte": created_after}
    return [e.to_dict() for e in get_client().v1.events.list(params).data]  # type: ignore[arg-type]


def recent_checkout_sessions(limit: int = 100) -> list[dict]:
    return [s.to_dict() for s in get_client().v1.checkout.sessions.list({"limit": limit}).data]  # type: ignore[arg-type]


def retrieve_payment_intent(pi_id: str) -> dict:
    return get_client().v1.payment_intents.retrieve(pi_id).to_dict()
