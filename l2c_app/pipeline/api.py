"""REST routes of the pipeline: deals and stages.

A stage move through `PATCH /api/v1/deals/{id}` goes through the same use case as a drag on
the board (`pipeline.service.move_deal`): a StageChange (via "api"), an audit row, a
timeline event. Money is integer minor units plus `currency`.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.models import User
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.api_models import AccountOut, AccountPatch, DealIn, DealList, DealOut, DealPatch, StageList
from l2c_app.pipeline.models import Deal

router = APIRouter(tags=["deals"])


@router.get("/api/v1/stages", response_model=StageList)
def list_stages(
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(require("pipeline")),
) -> StageList:
    return StageList.model_validate({"items": svc.stages_json(session, updated_since), "next_cursor": None})


@router.get("/api/v1/deals", response_model=DealList)
def list_deals(
    status: str | None = Query(None, description="open, won or lost"),
    owner_id: int | None = None,
    stage_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("pipeline")),
) -> DealList:
    stmt = select(Deal)
    if status:
        if status not in ("open", "won", "lost"):
            raise DomainError("one of open, won, lost", "status")
        stmt = stmt.where(Deal.status == status)
    if owner_id:
        stmt = stmt.where(Deal.owner_id == owner_id)
    if stage_id:
        stmt = stmt.where(Deal.stage_id == stage_id)
    return DealList(**page(session, stmt, Deal, cursor, limit, lambda d: svc.deal_json(session, d), updated_since))


def _owner_from(session: Session, data: dict) -> int | None:
    if data.get("owner_email"):
        user = session.exec(select(User).where(User.email == str(data["owner_email"]).lower())).first()
        if user is None:
            raise DomainError("no team member with this e-mail", "owner_email")
        return user.id
    return data.get("owner_id")


@router.post("/api/v1/deals", status_code=201, response_model=DealOut)
def create_deal(
    body: DealIn,
    session: Session = Depends(db),
    principal: Principal = Depends(require("pipeline")),
) -> DealOut:
    payload = body.model_dump(exclude_unset=True)
    unknown = sorted(body.model_extra or {})
    if unknown:
        raise DomainError("not a field of a deal", unknown[0])
    if "client_id" in payload:  # the client record's name for the account
        if "account_id" in payload and payload["account_id"] != payload["client_id"]:
            raise DomainError("give client_id or account_id, not two different clients", "client_id")
        payload = {**payload, "account_id": payload["client_id"]}
    deal = svc.create_deal(
        session,
        principal.actor,
        title=payload.get("title") or "",
        value_minor=payload.get("value", 0),
        currency=payload.get("currency"),
        account_id=payload.get("account_id"),
        contact_id=payload.get("contact_id"),
        stage_id=payload.get("stage_id"),
        owner_id=_owner_from(session, payload),
        expected_close=payload.get("expected_close"),
        probability=payload.get("probability"),
        source=payload.get("source"),
        description=payload.get("description"),
        via="api",
    )
    return DealOut(**svc.deal_json(session, deal))


@router.get("/api/v1/deals/{deal_id}", response_model=DealOut)
def get_deal(deal_id: int, session: Session = Depends(db), _: Principal = Depends(require("pipeline"))) -> DealOut:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("no such deal", "deal_id")
    return DealOut(**svc.deal_json(session, deal))


@router.patch("/api/v1/deals/{deal_id}", response_model=DealOut)
def patch_deal(
    deal_id: int,
    body: DealPatch,
    session: Session = Depends(db),
    principal: Principal = Depends(require("pipeline")),
) -> DealOut:
    """Change fields; `stage_id` moves the deal (recorded like a board move); `status` won/lost closes it."""
    if session.get(Deal, deal_id) is None:
        raise NotFound("no such deal", "deal_id")
    changes = body.model_dump(exclude_unset=True)  # unknown keys are the service's to refuse
    if "owner_email" in changes:
        changes["owner_id"] = _owner_from(session, changes)
        changes.pop("owner_email")
    deal = svc.update_deal(session, principal.actor, deal_id, changes, via="api")
    return DealOut(**svc.deal_json(session, deal))


@router.patch("/api/v1/accounts/{account_id}", tags=["accounts"], response_model=AccountOut)
def patch_account(
    account_id: int,
    body: AccountPatch,
    session: Session = Depends(db),
    principal: Principal = Depends(require("pipeline")),
) -> AccountOut:
    """Change a client's `name`, `address` or `tax_id` (printed on its invoices as "Client VAT id")."""
    from l2c_app.pipeline.accounts import account_details, update_account_details

    payload = body.model_dump(exclude_unset=True)
    unknown = sorted(body.model_extra or {})
    if unknown:
        raise DomainError("not a field of a client", unknown[0])
    values = {k: (None if payload[k] is None else str(payload[k])) for k in payload}
    update_account_details(session, principal.actor, account_id, **values)  # DomainError -> 404/422
    session.commit()  # committed before the answer says it succeeded
    return AccountOut(**account_details(session, account_id))
