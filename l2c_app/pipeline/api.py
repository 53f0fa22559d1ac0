"""REST routes of the pipeline: deals."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import page
from l2c_app.core.auth import Principal
from l2c_app.pipeline.models import Deal

router = APIRouter(tags=["deals"])


def deal_json(deal: Deal) -> dict:
    return {
        "id": deal.id, "title": deal.title, "account_id": deal.account_id, "contact_id": deal.contact_id,
        "stage_id": deal.stage_id, "status": deal.status, "value": deal.value_minor, "currency": deal.currency,
        "probability": deal.probability, "owner_id": deal.owner_id, "lead_id": deal.lead_id,
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
        "created_at": deal.created_at.isoformat(),
    }


@router.get("/api/v1/deals")
def list_deals(
    status: str | None = Query(None, description="open, won or lost"),
    owner_id: int | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("pipeline")),
) -> dict:
    stmt = select(Deal)
    if status:
        stmt = stmt.where(Deal.status == status)
    if owner_id:
        stmt = stmt.where(Deal.owner_id == owner_id)
    return page(session, stmt, Deal, cursor, limit, deal_json)
