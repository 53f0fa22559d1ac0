"""Stripe adapter: payment links, and the reads the sync job needs; plain data in and out.

It implements the payments gateway port (ports/payments.py, `GATEWAY`): stages reach it through
`ports.payments.gateway()`, never by importing this module. It knows nothing of invoices
(billing/payment_links.py decides which link an invoice needs and records it); it imports
only core and ports, so no stage is reached back into from here.

Talks to Stripe with the official `stripe` package (`StripeClient`); `STRIPE_API_BASE`
points it at another API base (the tests' stand-in on 127.0.0.1). Without
`STRIPE_API_KEY` every function here is a no-op and invoices are paid by hand.

API version: pinned here, once (API_VERSION), to the version the installed SDK was generated
for and tested with (pyproject bounds `stripe>=16,<17`). Every request sends it, and the
webhook endpoint should be created with the same version (README, "Connect Stripe") so
event payloads have the shapes the handlers read.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from typing import Any

import stripe

from l2c_app.core.config import get_settings
from l2c_app.ports.payments import EVENT_TYPES as PAYMENT_EVENT_TYPES
from l2c_app.ports.payments import BadWebhookSignature, GatewayRefused, LinkRequest, PaymentLink

log = logging.getLogger(__name__)


class StripeNotConfigured(RuntimeError):
    pass


# The one place the Stripe API version is chosen: the version stripe 16.x is generated for.
API_VERSION = "2026-10-28.endive"
# The event types l2c handles: the payments port's list (the stages read it there).
EVENT_TYPES = PAYMENT_EVENT_TYPES


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


class StripeRefused(GatewayRefused):
    """Stripe answered with an error; `permanent` when the same request would fail again."""


def _permanent(exc: stripe.StripeError) -> bool:
    """Stripe, "Error handling": 4xx other than 409 (idempotency conflict) and 429 (rate limit)
    will fail the same way again; connection errors, 409, 429 and 5xx are worth a retry."""
    status = getattr(exc, "http_status", None)
    return status is not None and 400 <= status < 500 and status not in (409, 429)


def _refused(exc: stripe.StripeError) -> StripeRefused:
    return StripeRefused(str(exc.user_message or exc), _permanent(exc))


def create_payment_link(params: dict[str, Any], idempotency_key: str) -> tuple[str, str]:
    """POST /v1/payment_links with the key as Stripe's Idempotency-Key: (id, url)."""
    try:
        link = get_client().v1.payment_links.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        raise _refused(exc) from None
    return link.id, link.url


def deactivate_payment_link(link_id: str, idempotency_key: str) -> None:
    """POST /v1/payment_links/{id} with active=false."""
    try:
        get_client().v1.payment_links.update(link_id, {"active": False}, {"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        raise _refused(exc) from None


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
    pi = _plain(get_client().v1.payment_intents.retrieve(pi_id, {"expand": ["latest_charge.balance_transaction"]}))  # type: ignore[arg-type]
    charge = pi.get("latest_charge")
    if not isinstance(charge, dict):
        return None
    bt = charge.get("balance_transaction")
    if isinstance(bt, str):  # an SDK or API that did not expand it: ask for it by id
        bt = _plain(get_client().v1.balance_transactions.retrieve(bt))
    return bt if isinstance(bt, dict) else None


def link_params(request: LinkRequest) -> dict[str, Any]:
    """POST /v1/payment_links parameters: one line of the amount, the metadata on the link and
    its payment intent, one completed session at most, back to `return_url` once paid."""
    return {
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_minor,
                    "product_data": {"name": request.description},
                },
            }
        ],
        "metadata": dict(request.metadata),
        "payment_intent_data": {"metadata": dict(request.metadata)},
        "restrictions": {"completed_sessions": {"limit": 1}},
        "after_completion": {"type": "redirect", "redirect": {"url": request.return_url}},
    }


def verify_webhook(payload: bytes, sig_header: str | None, secret: str, tolerance: int) -> dict:
    """Stripe's signature scheme (`Stripe-Signature: t=..,v1=..`, HMAC-SHA256 of `t.payload`)
    checked by the SDK's own `WebhookSignature` on the raw bytes, then the body as a plain dict.
    Local: no request to Stripe, so it needs no API key."""
    try:
        stripe.WebhookSignature.verify_header(payload, sig_header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise BadWebhookSignature(str(exc)) from None
    except UnicodeDecodeError:  # the SDK signs the text form of the body
        raise BadWebhookSignature("body is not UTF-8") from None
    # The SDK refuses only timestamps older than the tolerance; one from the future is refused too.
    stamp = next((part[2:] for part in (sig_header or "").split(",") if part.strip().startswith("t=")), "")
    if not stamp.strip().isdigit() or int(stamp) > time.time() + tolerance:
        raise BadWebhookSignature("timestamp outside the tolerance zone (in the future)")
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadWebhookSignature("body is not JSON") from None
    if not isinstance(event, dict):
        raise BadWebhookSignature("not a Stripe event")
    return event


class StripeGateway:
    """The payments gateway port on Stripe. Each method calls this module's function of the same
    name when it runs (tests wrap or replace those)."""

    name = "stripe"
    label = "Stripe"
    is_external = True

    def create_payment_link(self, request: LinkRequest, idempotency_key: str) -> PaymentLink:
        link_id, url = create_payment_link(link_params(request), idempotency_key)
        return PaymentLink(link_id, url)

    def deactivate_payment_link(self, link_id: str, idempotency_key: str) -> None:
        deactivate_payment_link(link_id, idempotency_key)

    def retrieve_payment_intent(self, pi_id: str) -> dict:
        return retrieve_payment_intent(pi_id)

    def refunds_of_charge(self, charge_id: str) -> list[dict]:
        return refunds_of_charge(charge_id)

    def balance_transaction_of_payment_intent(self, pi_id: str) -> dict | None:
        return balance_transaction_of_payment_intent(pi_id)

    def events_since(self, created_after: int | None) -> list[dict]:
        return events_since(created_after)

    def complete_checkout_sessions(self, created_after: int | None) -> list[dict]:
        return complete_checkout_sessions(created_after)

    def verify_webhook(self, payload: bytes, sig_header: str | None, secret: str, tolerance: int) -> dict:
        return verify_webhook(payload, sig_header, secret, tolerance)


GATEWAY = StripeGateway()
