"""HTTP routes of the payments stage: the Stripe webhook, the ledger, manual match, Stripe sync.

Threat model of `POST /api/webhooks/stripe`: see payments/webhooks.py. The request is
untrusted until its Stripe-Signature verifies (400 otherwise); the other routes need a
user or an API key allowed to use payments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.billing.service import match_payment
from l2c_app.core.auth import Principal
from l2c_app.payments import webhook_group
from l2c_app.payments.api_models import MatchIn, PaymentList, PaymentOut, StripeSyncOut
from l2c_app.payments.models import Payment
from l2c_app.payments.webhooks import stripe_sync

router = APIRouter(tags=["payments"])
# The Stripe webhook on a router of its own, which the API app includes before every other
# router: FastAPI tries the routers in order, and matching through the ~30 routers ahead of
# payments cost 13% of the server's CPU per event (py-spy, issue 18).
webhook_router = APIRouter(tags=["payments"])


@webhook_router.post("/api/webhooks/stripe", include_in_schema=False)
async def stripe_webhook_raw(request: Request) -> JSONResponse:
    import time

    from l2c_app.core.logs import event

    start = time.perf_counter()
    payload = await request.body()
    status, body = await webhook_group.handle(payload, request.headers.get("stripe-signature"))
    event(
        "l2c.webhooks",
        provider="stripe",
        status=status,
        outcome=body.get("outcome") or body.get("detail"),
        ms=round((time.perf_counter() - start) * 1000, 1),
    )
    return JSONResponse(body, status)


def payment_json(p: Payment) -> dict[str, Any]:
    return {
        "id": p.id,
        "invoice_id": p.invoice_id,
        "amount_minor": p.amount_minor,
        "currency": p.currency,
        "method": p.method,
        "status": p.status,
        "received_on": p.received_on.isoformat() if p.received_on else None,
        "reference": p.reference,
        "stripe_payment_intent_id": p.stripe_payment_intent_id,
        "from_other_app": p.stripe_foreign,
    }


@router.get("/api/v1/payments", response_model=PaymentList)
def list_payments(
    unmatched: bool = False,
    other_apps: bool = False,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("payments")),
) -> PaymentList:
    """`unmatched=true`: payments with no invoice, only those for l2c's own links unless
    `other_apps=true` (a Stripe account shared with another app sends us its payments too)."""
    stmt = select(Payment)
    if unmatched:
        stmt = stmt.where(Payment.invoice_id.is_(None))
        if not other_apps:
            stmt = stmt.where(Payment.stripe_foreign.is_(False))
    return PaymentList(**page(session, stmt, Payment, cursor, limit, payment_json, updated_since))


@router.post("/api/v1/payments/{payment_id}/match", response_model=PaymentOut)
def match(
    payment_id: int, body: MatchIn, session: Session = Depends(db), principal: Principal = Depends(require("payments"))
) -> PaymentOut:
    return PaymentOut(**payment_json(match_payment(session, principal.actor, payment_id, body.invoice_id)))


@router.post("/api/v1/payments/stripe-sync", response_model=StripeSyncOut)
def sync(session: Session = Depends(db), _: Principal = Depends(require("payments"))) -> StripeSyncOut:
    return StripeSyncOut(**stripe_sync(session))
