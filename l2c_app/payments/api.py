"""HTTP routes of the payments stage: the Stripe webhook, the ledger, manual match, Stripe sync.

Threat model of `POST /api/webhooks/stripe`: see payments/webhooks.py. The request is
untrusted until its Stripe-Signature verifies (400 otherwise); the other routes need a
user or an API key allowed to use payments.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.billing.service import match_payment
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError
from l2c_app.payments.models import Payment
from l2c_app.payments.webhooks import handle_request, stripe_sync

router = APIRouter(tags=["payments"])


@router.post("/api/webhooks/stripe", include_in_schema=False)
async def stripe_webhook_raw(request: Request) -> JSONResponse:
    import asyncio
    import time

    from l2c_app.core.logs import event

    start = time.perf_counter()
    payload = await request.body()
    status, body = await asyncio.to_thread(handle_request, payload, request.headers.get("stripe-signature"))
    event("l2c.webhooks", provider="stripe", status=status, outcome=body.get("outcome") or body.get("detail"),
          ms=round((time.perf_counter() - start) * 1000, 1))
    return JSONResponse(body, status)


def payment_json(p: Payment) -> dict:
    return {"id": p.id, "invoice_id": p.invoice_id, "amount_minor": p.amount_minor, "currency": p.currency,
            "method": p.method, "status": p.status, "received_on": p.received_on.isoformat() if p.received_on else None,
            "reference": p.reference, "stripe_payment_intent_id": p.stripe_payment_intent_id,
            "from_other_app": p.stripe_foreign}


@router.get("/api/v1/payments")
def list_payments(unmatched: bool = False, other_apps: bool = False,
                  updated_since: datetime | None = UPDATED_SINCE, cursor: str | None = None,
                  limit: int = Query(50, ge=1, le=200),
                  session: Session = Depends(db), _: Principal = Depends(require("payments"))) -> dict:
    """`unmatched=true`: payments with no invoice, only those for l2c's own links unless
    `other_apps=true` (a Stripe account shared with another app sends us its payments too)."""
    stmt = select(Payment)
    if unmatched:
        stmt = stmt.where(Payment.invoice_id.is_(None))
        if not other_apps:
            stmt = stmt.where(Payment.stripe_foreign.is_(False))
    return page(session, stmt, Payment, cursor, limit, payment_json, updated_since)


@router.post("/api/v1/payments/{payment_id}/match")
def match(payment_id: int, body: dict, session: Session = Depends(db),
          principal: Principal = Depends(require("payments"))) -> dict:
    invoice_id = body.get("invoice_id")
    if not isinstance(invoice_id, int):
        raise DomainError("an integer is required", "invoice_id")
    return payment_json(match_payment(session, payment_id, invoice_id, principal.actor))


@router.post("/api/v1/payments/stripe-sync")
def sync(session: Session = Depends(db), _: Principal = Depends(require("payments"))) -> dict:
    return stripe_sync(session)
