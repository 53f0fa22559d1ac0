"""Approving time: who may approve a project's time, the self-approval rule, approving a week,
what waits for approval, and billable time.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.formats import week_start  # the locale's first day (Sunday for en-US, else Monday)
from l2c_app.core.models import User
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import WeekApproved
from l2c_app.projects.common import APPROVER_ROLES, DeliveryError, _project
from l2c_app.projects.models import Project, TimeEntry
from l2c_app.projects.settings import delivery_settings


def can_approve(session: Session, approver: User, project: Project) -> bool:
    return approver.role in APPROVER_ROLES or project.lead_user_id == approver.id


def approvers_of(session: Session, project: Project) -> set[int]:
    """Active users who may approve time on `project`: the approver roles and its lead."""
    ids = set(session.exec(select(User.id).where(User.is_active, col(User.role).in_(APPROVER_ROLES))))
    if project.lead_user_id is not None:
        lead = session.get(User, project.lead_user_id)
        if lead is not None and lead.is_active:
            ids.add(lead.id)
    return {i for i in ids if i is not None}


def self_approval_refusal(
    session: Session, approver_id: int, user_id: int, project: Project, settings: dict[str, bool] | None = None
) -> str:
    """Why `approver_id` may not approve `user_id`'s week (empty when they may): nobody approves
    their own time, unless they are the project's only approver and the organisation allows it."""
    if approver_id != user_id:
        return ""
    settings = settings or delivery_settings(session)
    if settings["sole_approver_self_approval"] and approvers_of(session, project) <= {approver_id}:
        return ""
    if settings["sole_approver_self_approval"]:
        return "You cannot approve your own week: another approver of this project does."
    return "You cannot approve your own week: the organisation requires another approver."


def approve_week(
    session: Session, actor: Actor, approver_id: int, *, user_id: int, project_id: int, monday: date
) -> int:
    """The project lead (or the billing role) approves one person's week on a project."""
    approver = session.get(User, approver_id)
    project = _project(session, project_id)
    if approver is None or not can_approve(session, approver, project):
        raise DeliveryError("Only the project lead or the billing role approves time.", kind="forbidden")
    if why := self_approval_refusal(session, approver_id, user_id, project):
        raise DeliveryError(why, field="user_id", kind="forbidden", code="own_week")
    monday = week_start(monday)
    entries = list(
        session.exec(
            select(TimeEntry).where(
                TimeEntry.user_id == user_id,
                TimeEntry.project_id == project_id,
                TimeEntry.day >= monday,
                TimeEntry.day < monday + timedelta(days=7),
                TimeEntry.approved_at.is_(None),
            )
        )
    )  # type: ignore[union-attr]
    if not entries:
        raise DeliveryError("Nothing left to approve for that week.", kind="conflict")
    now = utcnow()
    for e in entries:
        e.approved_at, e.approved_by_id = now, approver_id
        session.add(e)
    record_action(
        session,
        actor,
        "project",
        project_id,
        "time_approved",
        {
            "user_id": user_id,
            "week": monday.isoformat(),
            "entries": [e.id for e in entries],
            "minutes": sum(e.minutes for e in entries),
        },
    )
    notify(
        session,
        user_id,
        "time_approved",
        f"Your time on “{project.name}” for the week of {formats.day(monday)} was approved.",
        "/time",
        email=False,
    )
    emit(
        session,
        "time.week_approved",
        WeekApproved(
            project_id=project_id,
            user_id=user_id,
            week_start=monday.isoformat(),
            minutes=sum(e.minutes for e in entries),
        ),
    )
    return len(entries)


def pending_approvals(session: Session, approver_id: int) -> list[dict]:
    """Weeks with unapproved time, per person and project, that this approver may approve."""
    approver = session.get(User, approver_id)
    if approver is None:
        return []
    stmt = (
        select(TimeEntry.user_id, User.name, TimeEntry.project_id, Project.name, TimeEntry.day, TimeEntry.minutes)
        .join(User, User.id == TimeEntry.user_id)
        .join(Project, Project.id == TimeEntry.project_id)
        .where(TimeEntry.approved_at.is_(None))
    )  # type: ignore[union-attr]
    if approver.role not in APPROVER_ROLES:
        stmt = stmt.where(Project.lead_user_id == approver_id)
    weeks: dict[tuple, dict] = {}
    for uid, uname, pid, pname, day, minutes in session.exec(stmt):
        monday = week_start(day)
        key = (uid, pid, monday)
        w = weeks.setdefault(
            key,
            {
                "key": f"{uid}:{pid}:{monday.isoformat()}",
                "user_id": uid,
                "user_name": uname,
                "project_id": pid,
                "project_name": pname,
                "monday": monday.isoformat(),
                "minutes": 0,
            },
        )
        w["minutes"] += minutes
    out = sorted(weeks.values(), key=lambda w: (w["monday"], w["project_name"], w["user_name"]))
    settings = delivery_settings(session)
    for w in out:
        w["hours"] = formats.hours(w["minutes"])
        w["week_label"] = formats.day(date.fromisoformat(w["monday"]))
        # Why this approver may not approve it (their own week), shown next to a disabled button.
        w["blocked"] = (
            self_approval_refusal(session, approver_id, w["user_id"], _project(session, w["project_id"]), settings)
            if w["user_id"] == approver_id
            else ""
        )
    return out


def billable_time(session: Session, project_id: int) -> list[TimeEntry]:
    """Time the billing stage may invoice: billable, not billed yet, approved when the
    organisation requires approval."""
    from l2c_app.billing.models import BilledSource

    billed = select(BilledSource.source_id).where(
        BilledSource.source_type == "time", BilledSource.released_at.is_(None)
    )  # type: ignore[union-attr]
    stmt = select(TimeEntry).where(
        TimeEntry.project_id == project_id,
        TimeEntry.billable.is_(True),  # type: ignore[attr-defined]
        TimeEntry.id.not_in(billed),
    )  # type: ignore[union-attr]
    if delivery_settings(session)["time_approval_required"]:
        stmt = stmt.where(TimeEntry.approved_at.is_not(None))  # type: ignore[union-attr]
    return list(session.exec(stmt.order_by(TimeEntry.day, TimeEntry.id)))


def time_entry_json(e: TimeEntry, locked: str | None = None) -> dict:
    return {
        "id": e.id,
        "project_id": e.project_id,
        "budget_line_id": e.budget_line_id,
        "task_id": e.task_id,
        "user_id": e.user_id,
        "date": e.day.isoformat(),
        "minutes": e.minutes,
        "billable": e.billable,
        "rate_minor": e.rate_minor,
        "note": e.note,
        "approved_at": e.approved_at.isoformat() if e.approved_at else None,
        "approved_by_id": e.approved_by_id,
        "locked": locked,
    }
