"""REST routes of the delivery stage: contract -> project, projects, time entries, change orders.

Threat model: callers are API keys or signed-in users (`require(section)`); a user may
log time only for themself unless owner/admin/billing, and read others' time only with
the approve_time role; everything else is
checked by the services (locks, 24 h rule, billed-once). Errors are `{"detail": ...}`
naming the field.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from l2c_app.api.deps import client_ip, db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core.auth import Principal, can
from l2c_app.core.errors import DomainError, Forbidden
from l2c_app.projects import service as svc
from l2c_app.projects import time_entries
from l2c_app.projects.api_models import (
    ChangeOrderFull,
    ProjectOut,
    TimeEntryCleared,
    TimeEntryList,
    TimeEntrySet,
)
from l2c_app.projects.models import TimeEntry

router = APIRouter(prefix="/api/v1", tags=["projects"])


@router.post("/contracts/{contract_id}/project", status_code=201, response_model=ProjectOut)
def create_project(
    contract_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> ProjectOut:
    """Create the project of a signed contract (409 with the existing project's link if it exists)."""
    project = svc.create_project_from_contract(session, who.actor, contract_id)
    return ProjectOut.model_validate(svc.project_detail(session, project.id))


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(
    project_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> ProjectOut:
    return ProjectOut.model_validate(svc.project_detail(session, project_id))


@router.get("/time-entries", response_model=TimeEntryList)
def list_time_entries(
    session: Session = Depends(db),
    who: Principal = Depends(require("time")),
    project_id: int | None = None,
    user_id: int | None = None,
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> TimeEntryList:
    """Time entries, filtered; a user without the approve_time role sees only their own."""
    stmt = select(TimeEntry)
    if who.user is not None and not can(who.user.role, "approve_time"):
        if user_id not in (None, who.user.id):
            raise Forbidden("you may only read your own time", "user_id")
        user_id = who.user.id
    if project_id is not None:
        stmt = stmt.where(TimeEntry.project_id == project_id)
    if user_id is not None:
        stmt = stmt.where(TimeEntry.user_id == user_id)
    if date_from is not None:
        stmt = stmt.where(TimeEntry.day >= date_from)
    if date_to is not None:
        stmt = stmt.where(TimeEntry.day <= date_to)
    return TimeEntryList.model_validate(
        page(session, stmt, TimeEntry, cursor, limit, svc.time_entry_json, updated_since)
    )


class TimeEntryIn(BaseModel):
    project_id: int
    date: date
    minutes: int | str = Field(
        description="integer minutes, or a duration such as '1:30', '1.5', '90m' "
        "(digits alone as a string are refused: minutes or hours?)"
    )
    budget_line_id: int | None = None
    task_id: int | None = None
    user_id: int | None = None
    billable: bool | None = None
    note: str | None = None


@router.post(
    "/time-entries",
    response_model=TimeEntrySet | TimeEntryCleared,
    responses={201: {"description": "created", "model": TimeEntrySet}},
)
def upsert_time_entry(
    body: TimeEntryIn, session: Session = Depends(db), who: Principal = Depends(require("time"))
) -> JSONResponse:
    """Set one cell (user, project, budget line/task, date): 201 created, 200 changed or cleared."""
    user_id = body.user_id
    if who.user is not None:
        # Logging for someone else is an office task (owner, admin, billing), not a peer's.
        if user_id not in (None, who.user.id) and who.user.role not in svc.APPROVER_ROLES:
            raise Forbidden("you may only log your own time", "user_id")
        user_id = user_id or who.user.id
    if user_id is None:
        raise DomainError("required with an API key", "user_id")
    existed = (
        time_entries._cell(session, user_id, body.project_id, body.budget_line_id, body.task_id, body.date) is not None
    )
    res = svc.upsert_time(
        session,
        who.actor,
        user_id=user_id,
        project_id=body.project_id,
        day=body.date,
        minutes=body.minutes,
        budget_line_id=body.budget_line_id,
        task_id=body.task_id,
        billable=body.billable,
        note=body.note,
    )
    if res.entry is None:
        return JSONResponse({"cleared": True, "day_minutes": res.day_minutes}, 200)
    session.flush()
    return JSONResponse({**svc.time_entry_json(res.entry), "day_minutes": res.day_minutes}, 200 if existed else 201)


class ChangeOrderIn(BaseModel):
    description: str
    kind: str = "fixed"
    amount_minor: int | None = None
    minutes: int | str | None = None
    rate_minor: int | None = None
    role: str | None = None
    send_to: str | None = Field(None, description="e-mail the public approval link to this address")


@router.post("/projects/{project_id}/change-orders", status_code=201, response_model=ChangeOrderFull)
def create_change_order(
    project_id: int, body: ChangeOrderIn, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> ChangeOrderFull:
    co = svc.create_change_order(
        session,
        who.actor,
        project_id,
        description=body.description,
        kind=body.kind,
        amount_minor=body.amount_minor,
        minutes=body.minutes,
        rate_minor=body.rate_minor,
        role=body.role,
    )
    if body.send_to is not None:
        co = svc.send_change_order(session, who.actor, co.id, body.send_to)
    return ChangeOrderFull.model_validate(svc.change_order_json(co))


class ApproveIn(BaseModel):
    name: str = Field(description="the client's typed name (the approval signature)")


@router.post("/change-orders/{change_order_id}/approve", response_model=ChangeOrderFull)
def approve_change_order(
    change_order_id: int,
    body: ApproveIn,
    request: Request,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> ChangeOrderFull:
    """Record the client's approval (e.g. given on paper or by e-mail): the budget rises."""
    co = svc.approve_change_order(session, who.actor, change_order_id, body.name, client_ip(request))
    return ChangeOrderFull.model_validate(svc.change_order_json(co))
