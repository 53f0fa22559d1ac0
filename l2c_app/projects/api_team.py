"""Typed REST routes of delivery beyond `projects/api.py` and `api_delivery.py`: the team and
budget lines of a project, one time entry edited or deleted, a week submitted, and a change
order sent or declined.

    GET    /api/v1/projects/{id}/members                 list (?updated_since=)
    POST   /api/v1/projects/{id}/members                 {user_id, budget_line_id?, rate_minor?} add or change
    DELETE /api/v1/projects/{id}/members/{member_id}
    GET    /api/v1/projects/{id}/budget-lines            list (?updated_since=)
    POST   /api/v1/projects/{id}/budget-lines            {role, budget_minutes, rate_minor, tax_rate_id?}
    PATCH  /api/v1/projects/{id}/budget-lines/{line_id}
    DELETE /api/v1/projects/{id}/budget-lines/{line_id}
    PATCH  /api/v1/time-entries/{id}                     {minutes?, billable?, note?}
    DELETE /api/v1/time-entries/{id}
    POST   /api/v1/weeks/submit                          {week, user_id?}
    GET    /api/v1/weeks/status                          ?user_id=&week=&project_id=
    POST   /api/v1/change-orders/{id}/send               {to?, message?: {to, cc, subject, body}}
    GET    /api/v1/change-orders/{id}/email-draft        the composer's draft (templates + merge values)
    POST   /api/v1/change-orders/{id}/decline            {reason?}

Rules live in `projects.plan`, `projects.weeks` and `projects.service` (locks: approved or
billed time does not change; quoted budget lines keep their agreed money). Threat model:
`require("projects")` for the plan and change orders, `require("time")` for time; a
signed-in user edits and submits only their own time unless owner/admin/billing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session

from l2c_app.api.compose import DraftOut, MessageIn, draft_out, message_of
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError, Forbidden
from l2c_app.projects import plan, weeks
from l2c_app.projects import service as svc
from l2c_app.projects.models import TimeEntry

router = APIRouter(prefix="/api/v1", tags=["projects"])
Minor = Annotated[StrictInt, Field(ge=0, le=2**53)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(_In):
    user_id: StrictInt
    budget_line_id: StrictInt | None = Field(None, description="the billing role (a budget line of the project)")
    rate_minor: Minor | None = Field(None, description="the person's own hourly rate; null: the role's rate")


class MemberOut(BaseModel):
    id: int
    project_id: int
    user_id: int
    name: str
    budget_line_id: int | None
    rate_minor: int | None
    effective_rate_minor: int
    updated_at: datetime


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class BudgetLineIn(_In):
    role: Annotated[str, Field(min_length=1, max_length=100)]
    budget_minutes: Annotated[StrictInt, Field(ge=0, le=10_000_000)]
    rate_minor: Minor
    tax_rate_id: StrictInt | None = None


class BudgetLinePatch(_In):
    role: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    budget_minutes: Annotated[StrictInt, Field(ge=0, le=10_000_000)] | None = None
    rate_minor: Minor | None = None
    tax_rate_id: StrictInt | None = None


class BudgetLineOut(BaseModel):
    id: int
    project_id: int
    role: str
    budget_minutes: int
    rate_minor: int
    amount_minor: int = Field(description="budget minutes x rate (core.lines.time_amount), or the quoted amount")
    tax_rate_id: int | None
    from_quote: bool
    from_change_order: bool
    updated_at: datetime


class BudgetLineList(BaseModel):
    items: list[BudgetLineOut]
    next_cursor: str | None = None


class TimeEntryPatch(_In):
    minutes: Annotated[StrictInt, Field(ge=0, le=1440)] | str | None = Field(
        None, description="integer minutes or a duration ('1:30'); 0 deletes the entry"
    )
    billable: StrictBool | None = None
    note: Annotated[str, Field(max_length=1000)] | None = None


class TimeEntryOut(BaseModel):
    id: int
    project_id: int
    budget_line_id: int | None
    task_id: int | None
    user_id: int
    date: date
    minutes: int
    billable: bool
    rate_minor: int
    note: str | None
    approved_at: datetime | None
    day_minutes: int


class WeekIn(_In):
    week: date = Field(description="any day of the week")
    user_id: StrictInt | None = Field(None, description="required with an API key; a user submits their own")


class WeekStatus(BaseModel):
    user_id: int
    week: date
    project_id: int | None
    status: str = Field(description="open, submitted, partly_approved or approved")
    submitted_at: datetime | None
    entries: int
    approved_entries: int
    minutes: int


class SendIn(_In):
    to: Annotated[str, Field(max_length=320)] | None = Field(None, description="default: the client's contact")
    message: MessageIn | None = Field(None, description="the composer's message; without it, the default e-mail")


class DeclineIn(_In):
    reason: Annotated[str, Field(max_length=500)] = ""


class ChangeOrderOut(BaseModel):
    id: int
    project_id: int
    number: int
    description: str
    kind: str
    status: str
    amount_minor: int
    tax_minor: int
    total_minor: int
    public_url: str
    provider: str | None


# --- members ----------------------------------------------------------------------------------


@router.get("/projects/{project_id}/members", response_model=MemberList)
def list_members(
    project_id: int,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(require("projects")),
) -> MemberList:
    rows = changed_since(plan.members_of(session, project_id), updated_since)
    return MemberList(items=[MemberOut(**plan.member_json(session, m)) for m in rows])


@router.post("/projects/{project_id}/members", status_code=201, response_model=MemberOut)
def set_member(
    project_id: int, body: MemberIn, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> MemberOut:
    """Add a person (or change their role and rate: the same call again)."""
    m = plan.set_member(session, who.actor, project_id, body.user_id, body.budget_line_id, body.rate_minor)
    session.flush()
    return MemberOut(**plan.member_json(session, m))


@router.delete("/projects/{project_id}/members/{member_id}", status_code=204)
def remove_member(
    project_id: int, member_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> Response:
    plan.remove_member(session, who.actor, project_id, member_id)
    return Response(status_code=204)


# --- budget lines -----------------------------------------------------------------------------


@router.get("/projects/{project_id}/budget-lines", response_model=BudgetLineList)
def list_budget_lines(
    project_id: int,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(require("projects")),
) -> BudgetLineList:
    rows = changed_since(plan.budget_lines_of(session, project_id), updated_since)
    return BudgetLineList(items=[BudgetLineOut(**plan.budget_line_json(b)) for b in rows])


@router.post("/projects/{project_id}/budget-lines", status_code=201, response_model=BudgetLineOut)
def add_budget_line(
    project_id: int, body: BudgetLineIn, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> BudgetLineOut:
    bl = plan.add_budget_line(
        session,
        who.actor,
        project_id,
        role=body.role,
        budget_minutes=body.budget_minutes,
        rate_minor=body.rate_minor,
        tax_rate_id=body.tax_rate_id,
    )
    session.flush()
    return BudgetLineOut(**plan.budget_line_json(bl))


@router.patch("/projects/{project_id}/budget-lines/{line_id}", response_model=BudgetLineOut)
def edit_budget_line(
    project_id: int,
    line_id: int,
    body: BudgetLinePatch,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> BudgetLineOut:
    bl = plan.update_budget_line(session, who.actor, project_id, line_id, **body.model_dump(exclude_unset=True))
    session.flush()
    return BudgetLineOut(**plan.budget_line_json(bl))


@router.delete("/projects/{project_id}/budget-lines/{line_id}", status_code=204)
def delete_budget_line(
    project_id: int, line_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> Response:
    plan.delete_budget_line(session, who.actor, project_id, line_id)
    return Response(status_code=204)


# --- one time entry ---------------------------------------------------------------------------


def _own_time(session: Session, who: Principal, user_id: int) -> None:
    """A signed-in user changes only their own time unless owner/admin/billing (as logging does)."""
    if who.user is not None and user_id != who.user.id and who.user.role not in svc.APPROVER_ROLES:
        raise Forbidden("you may only change your own time", "user_id")


def _entry_user(session: Session, entry_id: int) -> int:
    e = session.get(TimeEntry, entry_id)
    if e is None:
        raise DomainError("No such time entry.", "entry_id", kind="not_found")
    return e.user_id


@router.patch("/time-entries/{entry_id}", response_model=TimeEntryOut | None)
def edit_time_entry(
    entry_id: int, body: TimeEntryPatch, session: Session = Depends(db), who: Principal = Depends(require("time"))
) -> TimeEntryOut | Response:
    """Minutes, billable flag or note (409 when approved or billed); 0 minutes deletes it (204)."""
    _own_time(session, who, _entry_user(session, entry_id))
    res = plan.update_time_entry(
        session, who.actor, entry_id, minutes=body.minutes, billable=body.billable, note=body.note
    )
    if res.entry is None:
        return Response(status_code=204)
    session.flush()
    e = res.entry
    return TimeEntryOut(
        id=e.id,
        project_id=e.project_id,
        budget_line_id=e.budget_line_id,  # type: ignore[arg-type]
        task_id=e.task_id,
        user_id=e.user_id,
        date=e.day,
        minutes=e.minutes,
        billable=e.billable,
        rate_minor=e.rate_minor,
        note=e.note,
        approved_at=e.approved_at,
        day_minutes=res.day_minutes,
    )


@router.delete("/time-entries/{entry_id}", status_code=204)
def delete_time_entry(
    entry_id: int, session: Session = Depends(db), who: Principal = Depends(require("time"))
) -> Response:
    """Delete an entry (409 when approved or billed)."""
    _own_time(session, who, _entry_user(session, entry_id))
    plan.delete_time_entry(session, who.actor, entry_id)
    return Response(status_code=204)


# --- weeks ------------------------------------------------------------------------------------


def _week_user(who: Principal, user_id: int | None) -> int:
    if who.user is not None:
        if user_id not in (None, who.user.id) and who.user.role not in svc.APPROVER_ROLES:
            raise Forbidden("you may only submit your own week", "user_id")
        return user_id or who.user.id  # type: ignore[return-value]
    if user_id is None:
        raise DomainError("required with an API key", "user_id")
    return user_id


@router.post("/weeks/submit", response_model=WeekStatus)
def submit_week(body: WeekIn, session: Session = Depends(db), who: Principal = Depends(require("time"))) -> WeekStatus:
    """Hand in a person's week for approval (409 when already submitted; 422 when nothing is logged)."""
    user_id = _week_user(who, body.user_id)
    weeks.submit_week(session, who.actor, user_id, body.week)
    session.flush()
    return WeekStatus(**weeks.week_status(session, user_id, body.week))


@router.get("/weeks/status", response_model=WeekStatus)
def week_status(
    week: date,
    user_id: int | None = None,
    project_id: int | None = None,
    session: Session = Depends(db),
    who: Principal = Depends(require("time")),
) -> WeekStatus:
    return WeekStatus(**weeks.week_status(session, _week_user(who, user_id), week, project_id))


# --- change orders ----------------------------------------------------------------------------


def _co(co) -> ChangeOrderOut:
    return ChangeOrderOut(**{k: v for k, v in svc.change_order_json(co).items() if k in ChangeOrderOut.model_fields})


@router.post("/change-orders/{change_order_id}/send", response_model=ChangeOrderOut)
def send_change_order(
    change_order_id: int,
    body: SendIn | None = None,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> ChangeOrderOut:
    """E-mail the client the approval link (or a DocuSign envelope when the contract went through DocuSign)."""
    return _co(
        svc.send_change_order(
            session,
            who.actor,
            change_order_id,
            body.to if body else None,
            message=message_of(body.message if body else None),
        )
    )


@router.get("/change-orders/{change_order_id}/email-draft", response_model=DraftOut)
def change_order_email_draft(
    change_order_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> dict:
    """The composer's draft: today's e-mail as templates and the merge fields' values (to preview)."""
    return draft_out(svc.change_order_email_draft(session, who.actor, change_order_id))


@router.post("/change-orders/{change_order_id}/decline", response_model=ChangeOrderOut)
def decline_change_order(
    change_order_id: int,
    body: DeclineIn | None = None,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> ChangeOrderOut:
    """Record the client's no (given by phone or e-mail): the budget does not change."""
    return _co(svc.decline_change_order(session, who.actor, change_order_id, body.reason if body else ""))
