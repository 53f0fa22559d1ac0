"""Typed REST routes of delivery that the cycle needs beyond `projects/api.py`: approving
a person's week of time and marking a milestone reached.

    POST /api/v1/projects/{id}/weeks/approve   {user_id, week (any day of it), approver_id?}
    POST /api/v1/projects/{id}/weeks/reopen    the same body: the approval taken back (not invoiced entries)
    POST /api/v1/milestones/{id}/reached       {on?}

Threat model: `require("approve_time")` / `require("projects")`. The service decides who
may approve (the project lead or the billing roles): a signed-in user approves as
themself; an API key names the approver (default: the project's lead), who must be
allowed to approve.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError
from l2c_app.core.formats import week_start
from l2c_app.projects import service as svc
from l2c_app.projects import weeks
from l2c_app.projects.models import Project

router = APIRouter(prefix="/api/v1", tags=["projects"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeekApproval(_In):
    user_id: StrictInt
    week: date
    approver_id: StrictInt | None = None


class WeekApproved(BaseModel):
    project_id: int
    user_id: int
    week: date
    approved_entries: int


class Reached(_In):
    on: date | None = None


class MilestoneOut(BaseModel):
    id: int
    project_id: int
    name: str
    kind: str
    amount_minor: int
    currency: str
    status: str
    reached_on: date | None


def _approver(session: Session, who: Principal, project_id: int, body: WeekApproval) -> int:
    if who.user is not None:
        return who.user.id  # type: ignore[return-value]
    project = session.get(Project, project_id)
    approver_id = body.approver_id or (project.lead_user_id if project else None)
    if approver_id is None:
        raise DomainError("name the approver (the project has no lead)", "approver_id")
    return approver_id


@router.post("/projects/{project_id}/weeks/approve", response_model=WeekApproved)
def approve_week(
    project_id: int,
    body: WeekApproval,
    session: Session = Depends(db),
    who: Principal = Depends(require("approve_time")),
) -> dict:
    count = svc.approve_week(
        session,
        who.actor,
        _approver(session, who, project_id, body),
        user_id=body.user_id,
        project_id=project_id,
        monday=body.week,
    )
    return {"project_id": project_id, "user_id": body.user_id, "week": week_start(body.week), "approved_entries": count}


@router.post("/projects/{project_id}/weeks/reopen", response_model=WeekApproved)
def reopen_week(
    project_id: int,
    body: WeekApproval,
    session: Session = Depends(db),
    who: Principal = Depends(require("approve_time")),
) -> dict:
    """Take an approval back (entries already invoiced stay approved); `approved_entries` counts those reopened."""
    count = weeks.reopen_week(
        session,
        who.actor,
        _approver(session, who, project_id, body),
        user_id=body.user_id,
        project_id=project_id,
        monday=body.week,
    )
    return {"project_id": project_id, "user_id": body.user_id, "week": week_start(body.week), "approved_entries": count}


@router.post("/milestones/{milestone_id}/reached", response_model=MilestoneOut)
def milestone_reached(
    milestone_id: int,
    body: Reached | None = None,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> dict:
    ms = svc.mark_milestone_reached(session, who.actor, milestone_id, body.on if body else None)
    project = session.get(Project, ms.project_id)
    return {
        "id": ms.id,
        "project_id": ms.project_id,
        "name": ms.name,
        "kind": ms.kind,
        "amount_minor": ms.amount_minor,
        "currency": project.currency if project else "",
        "status": ms.status,
        "reached_on": ms.reached_on,
    }
