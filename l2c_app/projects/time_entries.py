"""Time: the weekly grid, one cell per person, row and day, locks (approved or billed time),
the 24 h a day check, and the top-bar timer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.formats import week_start  # the locale's first day (Sunday for en-US, else Monday)
from l2c_app.core.models import User
from l2c_app.core.timeutil import MINUTES_PER_DAY, org_today, utcnow
from l2c_app.projects.common import DeliveryError, NotFound, _project
from l2c_app.projects.duration import format_minutes, parse_duration
from l2c_app.projects.models import BudgetLine, Project, ProjectMember, Task, TimeEntry
from l2c_app.projects.settings import FUTURE_LOCK, delivery_settings, future_day_refusal

# --- time ---------------------------------------------------------------------------------------


def _billed_time_ids(session: Session, ids: list[int]) -> set[int]:
    from l2c_app.billing.models import BilledSource

    if not ids:
        return set()
    return set(
        session.exec(
            select(BilledSource.source_id).where(
                BilledSource.source_type == "time",
                BilledSource.source_id.in_(ids),  # type: ignore[attr-defined]
                BilledSource.released_at.is_(None),
            )
        )
    )  # type: ignore[union-attr]


def is_locked(session: Session, entry: TimeEntry) -> str | None:
    """Why an entry cannot change any more (billed or approved), or None."""
    if entry.id is not None and _billed_time_ids(session, [entry.id]):
        return "billed"
    if entry.approved_at is not None:
        return "approved"
    return None


def rate_for(session: Session, project_id: int, user_id: int, budget_line_id: int | None) -> int:
    """The hourly rate at the time of entry: the member's own rate, else the budget line's."""
    member = session.exec(
        select(ProjectMember).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
    ).first()
    if member is not None and member.rate_minor is not None:
        return member.rate_minor
    line_id = budget_line_id or (member.budget_line_id if member else None)
    if line_id:
        bl = session.get(BudgetLine, line_id)
        if bl is not None:
            return bl.rate_minor
    return 0


def day_total(session: Session, user_id: int, day: date, exclude_id: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
        TimeEntry.user_id == user_id, TimeEntry.day == day
    )
    if exclude_id is not None:
        stmt = stmt.where(TimeEntry.id != exclude_id)
    return int(session.exec(stmt).one())


def _cell(
    session: Session, user_id: int, project_id: int, budget_line_id: int | None, task_id: int | None, day: date
) -> TimeEntry | None:
    stmt = select(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.project_id == project_id, TimeEntry.day == day
    )
    stmt = stmt.where(
        TimeEntry.budget_line_id == budget_line_id if budget_line_id else TimeEntry.budget_line_id.is_(None)
    )  # type: ignore[union-attr]
    stmt = stmt.where(TimeEntry.task_id == task_id if task_id else TimeEntry.task_id.is_(None))  # type: ignore[union-attr]
    return session.exec(stmt.order_by(TimeEntry.id)).first()


@dataclass
class CellResult:
    entry: TimeEntry | None  # None: the cell was cleared
    day_minutes: int  # the person's total for that day after the change


def upsert_time(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    project_id: int,
    day: date,
    minutes: int | str,
    budget_line_id: int | None = None,
    task_id: int | None = None,
    billable: bool | None = None,
    note: str | None = None,
) -> CellResult:
    """Set one cell of the grid (user, project, budget line/task, day) to `minutes`.
    0 clears it. Refused: locked cells (billed or approved), more than 24 h that day."""
    mins = parse_duration(minutes) if isinstance(minutes, str) else minutes
    if isinstance(mins, bool) or not isinstance(mins, int) or mins < 0:
        raise DeliveryError("Minutes must be a whole number, 0 or more.", field="minutes")
    project = _project(session, project_id)
    if project.status == "done":
        raise DeliveryError(f"“{project.name}” is done: time can no longer be logged on it.", field="project_id")
    # Lock the person's row for this transaction: their saves run one at a time, so two
    # racing saves can neither pass the 24 h check together nor create one cell twice
    # (PostgreSQL row lock; SQLite already serialises writers).
    if session.exec(select(User.id).where(User.id == user_id).with_for_update()).first() is None:
        raise NotFound("User", "user_id")
    if budget_line_id is not None:
        bl = session.get(BudgetLine, budget_line_id)
        if bl is None or bl.project_id != project_id:
            raise DeliveryError("That budget line is not part of the project.", field="budget_line_id")
    if task_id is not None:  # an unknown task was a foreign-key violation (500); another project's task a mix-up
        task = session.get(Task, task_id)
        if task is None or task.project_id != project_id:
            raise DeliveryError("That task is not part of the project.", field="task_id")
    if note is not None and len(note) > 1000:
        raise DeliveryError("A note holds at most 1000 characters.", field="note")
    if mins > 0 and (future := future_day_refusal(session, day)):  # clearing a cell stays possible
        raise DeliveryError(future, field="date", code="future_day")  # the API body names it `date`
    entry = _cell(session, user_id, project_id, budget_line_id, task_id, day)
    if entry is not None and (why := is_locked(session, entry)):
        raise DeliveryError(f"This time is {why} and can no longer change.", field="minutes", kind="conflict")
    others = day_total(session, user_id, day, exclude_id=entry.id if entry else None)
    if others + mins > MINUTES_PER_DAY:
        raise DeliveryError(
            f"{formats.weekday_name(day)} {formats.day(day)}: that makes {format_minutes(others + mins)} in one day; "
            "a day holds at most 24 h "
            f"(already {format_minutes(others) or '0:00'} logged elsewhere).",
            field="minutes",
        )
    if mins == 0:
        if entry is not None:
            record_action(session, actor, "timeentry", entry.id, "delete", snapshot(entry))
            session.delete(entry)
            session.flush()
        return CellResult(None, others)
    if entry is None:
        entry = TimeEntry(
            project_id=project_id,
            budget_line_id=budget_line_id,
            task_id=task_id,
            user_id=user_id,
            day=day,
            minutes=mins,
            billable=project.billable_default if billable is None else billable,
            rate_minor=rate_for(session, project_id, user_id, budget_line_id),
            note=note or None,
        )
        session.add(entry)
        record_create(session, actor, entry)
        _ensure_member(session, actor, project_id, user_id, budget_line_id)
    else:
        before = snapshot(entry)
        entry.minutes = mins
        if billable is not None:
            entry.billable = billable
        if note is not None:
            entry.note = note or None
        entry.updated_at = utcnow()
        session.add(entry)
        record_update(session, actor, entry, before)
    _recheck(session, user_id, project_id, budget_line_id, task_id, day)
    return CellResult(entry, others + mins)


def _recheck(
    session: Session, user_id: int, project_id: int, budget_line_id: int | None, task_id: int | None, day: date
) -> None:
    """After our write, inside our transaction: a save that raced ours and committed first
    is visible now (SQLite starts the write transaction at the first write), so the rules
    are checked again on what will be committed; the caller rolls back on error."""
    session.flush()
    total = day_total(session, user_id, day)
    if total > MINUTES_PER_DAY:
        raise DeliveryError(
            f"{formats.weekday_name(day)} {formats.day(day)}: that makes {format_minutes(total)} "
            "in one day; a day holds at most 24 h.",
            field="minutes",
        )
    stmt = (
        select(func.count())
        .select_from(TimeEntry)
        .where(
            TimeEntry.user_id == user_id,
            TimeEntry.project_id == project_id,
            TimeEntry.day == day,
            TimeEntry.budget_line_id == budget_line_id if budget_line_id else TimeEntry.budget_line_id.is_(None),  # type: ignore[union-attr]
            TimeEntry.task_id == task_id if task_id else TimeEntry.task_id.is_(None),
        )
    )  # type: ignore[union-attr]
    if session.exec(stmt).one() > 1:
        raise DeliveryError(
            "This cell was just saved from elsewhere: reload and try again.", field="minutes", kind="conflict"
        )


def _ensure_member(session: Session, actor: Actor, project_id: int, user_id: int, budget_line_id: int | None) -> None:
    exists = session.exec(
        select(ProjectMember.id).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
    ).first()
    if exists is None:
        member = ProjectMember(project_id=project_id, user_id=user_id, budget_line_id=budget_line_id)
        session.add(member)
        record_create(session, actor, member)


def set_row_billable(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    project_id: int,
    budget_line_id: int | None,
    monday: date,
    billable: bool,
) -> int:
    """The billable flag of one grid row for the week (locked entries keep theirs)."""
    changed = 0
    for e in _row_entries(session, user_id, project_id, budget_line_id, monday):
        if e.billable != billable and not is_locked(session, e):
            before = snapshot(e)
            e.billable = billable
            session.add(e)
            record_update(session, actor, e, before)
            changed += 1
    return changed


def _row_entries(
    session: Session, user_id: int, project_id: int, budget_line_id: int | None, monday: date
) -> list[TimeEntry]:
    stmt = select(TimeEntry).where(
        TimeEntry.user_id == user_id,
        TimeEntry.project_id == project_id,
        TimeEntry.day >= monday,
        TimeEntry.day < monday + timedelta(days=7),
    )
    stmt = stmt.where(
        TimeEntry.budget_line_id == budget_line_id if budget_line_id else TimeEntry.budget_line_id.is_(None)
    )  # type: ignore[union-attr]
    return list(session.exec(stmt))


def row_key(project_id: int, budget_line_id: int | None) -> str:
    return f"{project_id}:{budget_line_id or 0}"


def parse_row_key(key: str) -> tuple[int, int | None]:
    p, _, b = key.partition(":")
    return int(p), (int(b) or None) if b else None


def _row_labels(session: Session, keys: list[tuple[int, int | None]]) -> dict[str, dict]:
    pids = {p for p, _ in keys}
    if not pids:
        return {}
    projects = {p.id: p for p in session.exec(select(Project).where(Project.id.in_(pids)))}  # type: ignore[union-attr]
    bls = {b.id: b for b in session.exec(select(BudgetLine).where(BudgetLine.project_id.in_(pids)))}  # type: ignore[attr-defined]
    out = {}
    for p, b in keys:
        if p in projects:
            out[row_key(p, b)] = {
                "project_name": projects[p].name,
                "role": bls[b].role if b in bls else "",
                "billable": projects[p].billable_default,
            }
    return out


def week_grid(session: Session, user_id: int, monday: date, extra_rows: list[str] | None = None) -> dict:
    """The weekly grid of one person: rows project x budget line, cells Mon..Sun.

    One query reads the week (entries joined to their project, budget line and live
    billing link), so the grid costs the same with a year of history behind it.
    """
    from l2c_app.billing.models import BilledSource

    formats.formats(session)  # the organisation's locale (first day of the week) as stored now
    monday = week_start(monday)
    days = [monday + timedelta(days=i) for i in range(7)]
    settings, today = delivery_settings(session), org_today(session)
    future = ["" if settings["allow_future_time"] or d <= today else FUTURE_LOCK for d in days]
    stmt = (
        select(TimeEntry, Project.name, BudgetLine.role, BilledSource.id, User.name)
        .join(Project, Project.id == TimeEntry.project_id)
        .outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
        .outerjoin(User, User.id == TimeEntry.approved_by_id)
        .outerjoin(
            BilledSource,
            and_(
                BilledSource.source_type == "time",
                BilledSource.source_id == TimeEntry.id,
                BilledSource.released_at.is_(None),
            ),
        )  # type: ignore[union-attr]
        .where(TimeEntry.user_id == user_id, TimeEntry.day >= monday, TimeEntry.day <= days[-1])
        .order_by(Project.name, TimeEntry.budget_line_id, TimeEntry.day, TimeEntry.id)
    )
    rows: dict[str, dict] = {}

    def blank(key: str, project_id: int, bl_id: int | None, name: str, role: str, billable: bool) -> dict:
        return {
            "key": key,
            "project_id": project_id,
            "budget_line_id": bl_id or 0,
            "project_name": name,
            "role": role or "",
            "label": f"{name} · {role}" if role else name,
            "billable": billable,
            "cells": [
                {"day": d.isoformat(), "minutes": 0, "text": "", "locked": future[i], "note": "", "entry_id": 0}
                for i, d in enumerate(days)
            ],
            "total_minutes": 0,
            "approved_text": "",
            "approved_at": None,
        }

    for entry, pname, role, billed_id, approver in session.exec(stmt):
        key = row_key(entry.project_id, entry.budget_line_id)
        row = rows.get(key) or rows.setdefault(
            key, blank(key, entry.project_id, entry.budget_line_id, pname, role or "", entry.billable)
        )
        cell = row["cells"][(entry.day - monday).days]
        if cell["entry_id"]:  # a second entry in one cell (tasks, API): shown summed, edited no more
            cell["locked"] = cell["locked"] or "several entries"
        cell["minutes"] += entry.minutes
        cell["text"] = format_minutes(cell["minutes"])
        cell["note"] = entry.note or cell["note"]
        cell["entry_id"] = cell["entry_id"] or entry.id
        if billed_id is not None:
            cell["locked"] = "billed"
        elif entry.approved_at is not None and not cell["locked"]:
            cell["locked"] = "approved"
        if entry.approved_at is not None and (row["approved_at"] is None or entry.approved_at > row["approved_at"]):
            # "Approved by X on D": the row's latest approval (a week is approved at once).
            row["approved_at"] = entry.approved_at
            row["approved_text"] = f"Approved by {approver or 'an approver'} on {formats.day(entry.approved_at)}"
        row["total_minutes"] += entry.minutes
    missing = [parse_row_key(k) for k in extra_rows or [] if k not in rows]
    labels = _row_labels(session, missing)
    for p, b in missing:
        key = row_key(p, b)
        if key in labels:
            lab = labels[key]
            rows[key] = blank(key, p, b, lab["project_name"], lab["role"], lab["billable"])
    ordered = sorted(rows.values(), key=lambda r: (r["project_name"].lower(), r["role"].lower()))
    for r in ordered:
        r["total_text"] = format_minutes(r["total_minutes"]) or "0:00"
        r.pop("approved_at", None)
    day_totals = [sum(r["cells"][i]["minutes"] for r in ordered) for i in range(7)]
    return {
        "monday": monday.isoformat(),
        "days": [d.isoformat() for d in days],
        "rows": ordered,
        "day_totals": day_totals,
        "day_totals_text": [format_minutes(m) or "0:00" for m in day_totals],
        "total_minutes": sum(day_totals),
        "total_text": format_minutes(sum(day_totals)) or "0:00",
    }


def last_week_rows(session: Session, user_id: int, monday: date) -> list[str]:
    """Row keys of the week before `monday` (to copy them into this week)."""
    prev = week_start(monday) - timedelta(days=7)
    stmt = (
        select(TimeEntry.project_id, TimeEntry.budget_line_id)
        .distinct()
        .join(Project, Project.id == TimeEntry.project_id)
        .where(
            TimeEntry.user_id == user_id,
            TimeEntry.day >= prev,
            TimeEntry.day < prev + timedelta(days=7),
            Project.status != "done",
        )
    )
    return [row_key(p, b) for p, b in session.exec(stmt)]


def searchable_rows(session: Session, query: str = "", limit: int = 20) -> list[dict]:
    """Projects (and their budget lines) a person can add as grid rows."""
    stmt = select(Project).where(Project.status != "done")
    if query.strip():
        stmt = stmt.where(func.lower(Project.name).contains(query.strip().lower()))
    projects = list(session.exec(stmt.order_by(Project.name).limit(limit)))
    if not projects:
        return []
    bls: dict[int, list[BudgetLine]] = defaultdict(list)
    for bl in session.exec(
        select(BudgetLine)
        .where(BudgetLine.project_id.in_([p.id for p in projects]))  # type: ignore[attr-defined]
        .order_by(BudgetLine.id)
    ):
        bls[bl.project_id].append(bl)
    out = []
    for p in projects:
        if not bls[p.id]:
            out.append({"key": row_key(p.id, None), "label": p.name})
        for bl in bls[p.id]:
            out.append({"key": row_key(p.id, bl.id), "label": f"{p.name} · {bl.role}"})
    return out


def user_projects_for_timer(session: Session, user_id: int) -> list[dict]:
    """Projects the timer offers: those the person is a member of, else every active one."""
    mine = list(
        session.exec(
            select(Project)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(ProjectMember.user_id == user_id, Project.status == "active")
            .order_by(Project.name)
        )
    )
    if not mine:
        mine = list(session.exec(select(Project).where(Project.status == "active").order_by(Project.name).limit(50)))
    return [{"id": str(p.id), "name": p.name} for p in mine]


def add_timer_minutes(
    session: Session, actor: Actor, user_id: int, project_id: int, minutes: int, day: date | None = None
) -> CellResult:
    """The top-bar timer stopped: add its minutes to today's cell of the project."""
    day = day or org_today(session)
    minutes = max(1, minutes)
    entry = _cell(session, user_id, project_id, None, None, day)
    current = entry.minutes if entry else 0
    return upsert_time(session, actor, user_id=user_id, project_id=project_id, day=day, minutes=current + minutes)
