"""Pydantic models of the payment routes: exactly the keys of `payments.api.payment_json`
and `payments.webhooks.stripe_sync` (dates stay the ISO strings they make; money in minor units)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt


class MatchIn(BaseModel):
    """Unknown keys are ignored, as the route always did (not `extra="forbid"`: existing
    clients may send more)."""

    invoice_id: StrictInt = Field(description="the invoice the payment pays")


class PaymentOut(BaseModel):
    id: int
    invoice_id: int | None
    amount_minor: int
    currency: str
    method: str
    status: str
    received_on: str | None
    reference: str | None
    stripe_payment_intent_id: str | None
    from_other_app: bool = Field(description="a payment of another app sharing the Stripe account")


class PaymentList(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class StripeSyncOut(BaseModel):
    events: int
    applied: int
    sessions: int
