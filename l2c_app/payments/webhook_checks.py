"""Stripe webhooks, before anything is stored: the signature (`verify`) and what a signed event
may contain (`check_event`). See payments/webhooks.py for the threat model.

Verify before anything else: the raw body, exactly as received (kept: it is what is signed and
what is recorded), is checked by the payments port's Stripe gateway (`verify_webhook`, the SDK's
own `WebhookSignature`) with the signing secret; a timestamp more than TOLERANCE seconds old or
ahead is refused (replays). Only then is the body read as an event; nothing is stored before.
"""

from __future__ import annotations

from typing import Any

from l2c_app.ports import payments
from l2c_app.ports.payments import EVENT_TYPES

TOLERANCE = 300
# The types a handler applies (webhook_record.HANDLERS; tests check both lists are the same).
HANDLED = frozenset(EVENT_TYPES)
# Stripe's largest charge is 8 digits in most currencies (12 in a few zero-decimal ones);
# 10^14 minor units is far above any real amount and far below 2^63 (BigInteger columns).
MAX_AMOUNT = 10**14
AMOUNT_FIELDS = ("amount", "amount_total", "amount_received", "amount_refunded", "amount_captured", "amount_subtotal")


BadSignature = payments.BadWebhookSignature  # the port's refusal (webhook_record catches it)


def verify(payload: bytes, sig_header: str | None, secret: str | None) -> dict:
    """Verify the signature BEFORE anything else; returns the event as a plain dict."""
    if not secret:
        raise BadSignature("STRIPE_WEBHOOK_SECRET is not configured")
    # Stripe sends these whichever gateway is the default (a secret without an API key still verifies).
    event = payments.named("stripe").verify_webhook(payload, sig_header, secret, TOLERANCE)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadSignature("not a Stripe event")
    return event


# --- what a signed event may contain -------------------------------------------------------


def _bad_amount(value: Any) -> bool:
    # bool is an int in Python; "5000" is a string: both are not Stripe amounts.
    return not (type(value) is int and 0 <= value <= MAX_AMOUNT)


def check_event(event: dict) -> str | None:
    """Why this (signed) event cannot be real, or None. Checked before anything is applied."""
    if "created" in event and event["created"] is not None and type(event["created"]) is not int:
        return "created: not an integer timestamp"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data.object: not an object"
    if str(event["type"]) not in HANDLED:
        return None  # not read: recorded as ignored whatever it holds
    obj = data["object"]
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        return "data.object.id: not a string"
    for name in AMOUNT_FIELDS:
        if obj.get(name) is not None and _bad_amount(obj[name]):
            return f"data.object.{name}: {obj[name]!r} is not an amount in [0, {MAX_AMOUNT}]"
    currency = obj.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        return f"data.object.currency: {currency!r} is not an ISO currency code"
    if obj.get("metadata") is not None and not isinstance(obj["metadata"], dict):
        return "data.object.metadata: not an object"
    for name in ("payment_intent", "charge", "latest_charge", "payment_link"):
        if obj.get(name) is not None and not isinstance(obj[name], (str, dict)):
            return f"data.object.{name}: not an id"
    if obj.get("status") is not None and not isinstance(obj["status"], str):
        return "data.object.status: not a string"
    bts = obj.get("balance_transactions")
    if bts is not None and not (
        isinstance(bts, list)
        and all(isinstance(b, dict) and type(b.get("amount")) is int and abs(b["amount"]) <= MAX_AMOUNT for b in bts)
    ):
        return "data.object.balance_transactions: not a list of balance transactions"
    if obj.get("object") == "payout" or str(event["type"]).startswith("payout."):
        if type(obj.get("amount")) is not int or not isinstance(obj.get("currency"), str):
            return "data.object: a payout needs an integer amount and a currency"
        if obj.get("arrival_date") is not None and type(obj["arrival_date"]) is not int:
            return "data.object.arrival_date: not an integer timestamp"
        for name in ("failure_code", "failure_message"):
            if obj.get(name) is not None and not isinstance(obj[name], str):
                return f"data.object.{name}: not a string"
    amount_refunded, amount = obj.get("amount_refunded"), obj.get("amount")
    if type(amount_refunded) is int and type(amount) is int and amount_refunded > amount:
        return "data.object.amount_refunded: more than the charge's amount"
    return None
