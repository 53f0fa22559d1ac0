"""Submitting a person's week for approval, and reopening an approved week.

Submit: the person hands in their week (every project they logged time on); the approver
sees it as submitted. Approving does not need a submission (an approver may approve what
is there). Reopening an approval also withdraws the person's submission: they fix the time
and submit again.

Reopening an approved week: the approver takes the approval back so the person can fix
their time. Entries already invoiced stay approved and locked (billed once, never changed);
the rest lose their approval and become editable (and unbillable while time approval is
required) again."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_action, record_create, record_delete
from l2c_app.core.formats import week_start
from l2c_app.core.models import User
from l2c_app.projects import common, time_entries
from l2c_app.projects import service as svc
from l2c_app.projects.models import TimeEntry, WeekSubmission


def reopen_week(
    session: Session, actor: Actor, approver_id: int, *, user_id: int, project_id: int, monday: date
) -> int:
    """Take back the approval of one person's week on a project; returns the entries reopened."""
    approver = session.get(User, approver_id)
    project = common._project(session, project_id)
    if approver is None or not svc.can_approve(session, approver, project):
        raise svc.DeliveryError("Only the project lead or the billing role reopens approved time.", kind="forbidden")
    monday = week_start(monday)
    entries = list(
        session.exec(
            select(TimeEntry).where(
                TimeEntry.user_id == user_id,
                TimeEntry.project_id == project_id,
                TimeEntry.day >= monday,
                TimeEntry.day < monday + timedelta(days=7),
                TimeEntry.approved_at.is_not(None),
            )
        )
    )  # type: ignore[union-attr]
    billed = time_entries._billed_time_ids(session, [e.id for e in entries])  # type: ignore[misc]
    reopen = [e for e in entries if e.id not in billed]
    if not reopen:
        raise svc.DeliveryError("Nothing approved and not yet invoiced in that week.", field="week", kind="conflict")
    for e in reopen:
        e.approved_at, e.approved_by_id = None, None
        session.add(e)
    record_action(
        session,
        actor,
        "project",
        project_id,
        "time_reopened",
        {
            "user_id": user_id,
            "week": monday.isoformat(),
            "entries": [e.id for e in reopen],
            "kept_billed": sorted(billed),
        },
    )
    withdraw(session, actor, user_id, monday)
    return len(reopen)


def submission(session: Session, user_id: int, monday: date) -> WeekSubmission | None:
    return session.exec(
        select(WeekSubmission).where(WeekSubmission.user_id == user_id, WeekSubmission.week_start == week_start(monday))
    ).first()


def submit_week(session: Session, actor: Actor, user_id: int, monday: date) -> WeekSubmission:
    """The person hands in their week for approval (refused when empty or already handed in)."""
    if session.get(User, user_id) is None:
        raise svc.DeliveryError("No such person.", field="user_id", kind="not_found")
    monday = week_start(monday)
    if submission(session, user_id, monday) is not None:
        raise svc.DeliveryError("This week is already submitted.", field="week", kind="conflict")
    if not _entries(session, user_id, monday):
        raise svc.DeliveryError("Nothing logged that week: there is nothing to submit.", field="week")
    row = WeekSubmission(user_id=user_id, week_start=monday)
    session.add(row)
    record_create(session, actor, row)
    return row


def withdraw(session: Session, actor: Actor, user_id: int, monday: date) -> bool:
    """Take a submission back (the person, or a reopened approval); False when there was none."""
    row = submission(session, user_id, monday)
    if row is None:
        return False
    record_delete(session, actor, row)
    session.delete(row)
    session.flush()
    return True


def _entries(session: Session, user_id: int, monday: date, project_id: int | None = None) -> list[TimeEntry]:
    stmt = select(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.day >= monday, TimeEntry.day < monday + timedelta(days=7)
    )
    if project_id is not None:
        stmt = stmt.where(TimeEntry.project_id == project_id)
    return list(session.exec(stmt))


def week_status(session: Session, user_id: int, monday: date, project_id: int | None = None) -> dict:
    """One person's week (on one project, or all): open, submitted, partly approved or approved."""
    monday = week_start(monday)
    entries = _entries(session, user_id, monday, project_id)
    sub = submission(session, user_id, monday)
    approved = sum(1 for e in entries if e.approved_at is not None)
    if entries and approved == len(entries):
        status = "approved"
    elif approved:
        status = "partly_approved"
    elif sub is not None:
        status = "submitted"
    else:
        status = "open"
    return {
        "user_id": user_id,
        "week": monday,
        "project_id": project_id,
        "status": status,
        "submitted_at": sub.submitted_at if sub else None,
        "entries": len(entries),
        "approved_entries": approved,
        "minutes": sum(e.minutes for e in entries),
    }


STATUS_TEXT = {
    "open": "Not submitted",
    "submitted": "Submitted for approval",
    "partly_approved": "Partly approved",
    "approved": "Approved",
}


def week_status_text(session: Session, user_id: int, monday: date) -> str:
    """The time grid's line about the week: open, submitted (when), partly approved, approved."""
    st = week_status(session, user_id, monday)
    if st["status"] == "submitted" and st["submitted_at"] is not None:
        return f"Submitted for approval on {formats.day(st['submitted_at'].date())}"
    return STATUS_TEXT[st["status"]]


def pending_with_submission(session: Session, approver_id: int) -> list[dict]:
    """The approvals list, each week marked submitted or not (approving needs no submission)."""
    rows = svc.pending_approvals(session, approver_id)
    handed_in = {(s.user_id, s.week_start.isoformat()) for s in session.exec(select(WeekSubmission))}
    for w in rows:
        w["submitted"] = "Submitted" if (w["user_id"], w["monday"]) in handed_in else "Not submitted"
    return rows
