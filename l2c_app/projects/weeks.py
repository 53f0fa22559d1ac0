"""Reopening an approved week: the approver takes the approval back so the person can fix
their time. Entries already invoiced stay approved and locked (billed once, never changed);
the rest lose their approval and become editable (and unbillable while time approval is
required) again."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action
from l2c_app.core.formats import week_start
from l2c_app.core.models import User
from l2c_app.projects import service as svc
from l2c_app.projects.models import TimeEntry


def reopen_week(session: Session, actor: Actor, approver_id: int, *, user_id: int, project_id: int,
                monday: date) -> int:
    """Take back the approval of one person's week on a project; returns the entries reopened."""
    approver = session.get(User, approver_id)
    project = svc._project(session, project_id)
    if approver is None or not svc.can_approve(session, approver, project):
        raise svc.DeliveryError("Only the project lead or the billing role reopens approved time.", kind="forbidden")
    monday = week_start(monday)
    entries = list(session.exec(select(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.project_id == project_id, TimeEntry.day >= monday,
        TimeEntry.day < monday + timedelta(days=7), TimeEntry.approved_at.is_not(None))))  # type: ignore[union-attr]
    billed = svc._billed_time_ids(session, [e.id for e in entries])  # type: ignore[misc]
    reopen = [e for e in entries if e.id not in billed]
    if not reopen:
        raise svc.DeliveryError("Nothing approved and not yet invoiced in that week.", field="week", kind="conflict")
    for e in reopen:
        e.approved_at, e.approved_by_id = None, None
        session.add(e)
    record_action(session, actor, "project", project_id, "time_reopened",
                  {"user_id": user_id, "week": monday.isoformat(), "entries": [e.id for e in reopen],
                   "kept_billed": sorted(billed)})
    return len(reopen)
