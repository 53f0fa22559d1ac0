"""The project's team and budget lines, and one time entry edited or deleted by its id.

Plain functions `fn(session, actor, ...)` the REST routes call; they raise `DeliveryError`
(`field` names the input) and leave committing to the caller.

Money: a budget line added here is budget minutes x hourly rate, priced by
`core.lines.time_amount` (the one rule). A line that came from a quote or a change order
keeps the amount the client agreed to: its hours and rate do not change here (a change
order changes the plan), only its label.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_delete, record_update, snapshot
from l2c_app.core.lines import time_amount
from l2c_app.core.models import User
from l2c_app.core.money import check_amount
from l2c_app.projects import common
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine, ProjectMember, Task, TimeEntry

_UNSET = object()


# --- members --------------------------------------------------------------------------------


def members_of(session: Session, project_id: int) -> list[ProjectMember]:
    common._project(session, project_id)
    return list(
        session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id).order_by(ProjectMember.id))
    )


def member_json(session: Session, m: ProjectMember) -> dict:
    user = session.get(User, m.user_id)
    return {
        "id": m.id,
        "project_id": m.project_id,
        "user_id": m.user_id,
        "name": user.name if user else "",
        "budget_line_id": m.budget_line_id,
        "rate_minor": m.rate_minor,
        "effective_rate_minor": svc.rate_for(session, m.project_id, m.user_id, m.budget_line_id),
        "updated_at": m.updated_at,
    }


def set_member(
    session: Session,
    actor: Actor,
    project_id: int,
    user_id: int,
    budget_line_id: int | None = None,
    rate_minor: int | None = None,
) -> ProjectMember:
    """Add a person to the project, or change their billing role and own rate (None: the role's rate)."""
    if rate_minor is not None:
        if rate_minor < 0:
            raise svc.DeliveryError("A rate is 0 or more.", field="rate_minor")
        check_amount(rate_minor, "rate_minor", "The rate")
    return svc.add_member(session, actor, project_id, user_id, budget_line_id, rate_minor)


def remove_member(session: Session, actor: Actor, project_id: int, member_id: int) -> None:
    """Take a person off the project. Their logged time stays (each entry keeps its rate)."""
    m = session.get(ProjectMember, member_id)
    if m is None or m.project_id != project_id:
        raise svc.DeliveryError("No such member of this project.", field="member_id", kind="not_found")
    record_delete(session, actor, m)
    session.delete(m)
    session.flush()


# --- budget lines ---------------------------------------------------------------------------


def budget_lines_of(session: Session, project_id: int) -> list[BudgetLine]:
    common._project(session, project_id)
    return list(session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id)))


def budget_line_json(bl: BudgetLine) -> dict:
    return {
        "id": bl.id,
        "project_id": bl.project_id,
        "role": bl.role,
        "budget_minutes": bl.budget_minutes,
        "rate_minor": bl.rate_minor,
        "amount_minor": bl.amount_minor,
        "tax_rate_id": bl.tax_rate_id,
        "from_quote": bl.quote_line_id is not None,
        "from_change_order": bl.change_order_id is not None,
        "updated_at": bl.updated_at,
    }


def _check(minutes: int, rate_minor: int) -> None:
    if minutes < 0:
        raise svc.DeliveryError("Budget minutes are 0 or more.", field="budget_minutes")
    if rate_minor < 0:
        raise svc.DeliveryError("A rate is 0 or more.", field="rate_minor")
    check_amount(rate_minor, "rate_minor", "The rate")


def _line(session: Session, project_id: int, line_id: int) -> BudgetLine:
    bl = session.get(BudgetLine, line_id)
    if bl is None or bl.project_id != project_id:
        raise svc.DeliveryError("No such budget line on this project.", field="line_id", kind="not_found")
    return bl


def add_budget_line(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    role: str,
    budget_minutes: int,
    rate_minor: int,
    tax_rate_id: int | None = None,
) -> BudgetLine:
    project = common._project(session, project_id)
    if project.status == "done":
        raise svc.DeliveryError(
            f"“{project.name}” is done: its plan no longer changes.", field="project_id", kind="conflict"
        )
    role = (role or "").strip()
    if not role:
        raise svc.DeliveryError("Name the role.", field="role")
    _check(budget_minutes, rate_minor)
    bl = BudgetLine(
        project_id=project_id,
        role=role[:100],
        budget_minutes=budget_minutes,
        rate_minor=rate_minor,
        amount_minor=time_amount(budget_minutes, rate_minor),
        tax_rate_id=tax_rate_id,
    )
    session.add(bl)
    record_create(session, actor, bl)
    return bl


def update_budget_line(
    session: Session,
    actor: Actor,
    project_id: int,
    line_id: int,
    *,
    role=_UNSET,
    budget_minutes=_UNSET,
    rate_minor=_UNSET,
    tax_rate_id=_UNSET,
) -> BudgetLine:
    bl = _line(session, project_id, line_id)
    agreed = bl.quote_line_id is not None or bl.change_order_id is not None
    if agreed and (budget_minutes is not _UNSET or rate_minor is not _UNSET or tax_rate_id is not _UNSET):
        raise svc.DeliveryError(
            "This line's hours, rate and tax were agreed with the client (quote or change "
            "order); a change order changes them.",
            field="budget_minutes",
            kind="conflict",
        )
    before = snapshot(bl)
    if role is not _UNSET:
        if not (role or "").strip():
            raise svc.DeliveryError("Name the role.", field="role")
        bl.role = role.strip()[:100]
    if budget_minutes is not _UNSET:
        bl.budget_minutes = budget_minutes
    if rate_minor is not _UNSET:
        bl.rate_minor = rate_minor
    if tax_rate_id is not _UNSET:
        bl.tax_rate_id = tax_rate_id
    _check(bl.budget_minutes, bl.rate_minor)
    if not agreed:
        bl.amount_minor = time_amount(bl.budget_minutes, bl.rate_minor)
    session.add(bl)
    record_update(session, actor, bl, before)
    return bl


def delete_budget_line(session: Session, actor: Actor, project_id: int, line_id: int) -> None:
    """Only a line added by hand and not yet used (no time, member or task points at it)."""
    bl = _line(session, project_id, line_id)
    if bl.quote_line_id is not None or bl.change_order_id is not None:
        raise svc.DeliveryError(
            "This line was agreed with the client (quote or change order) and stays.", field="line_id", kind="conflict"
        )
    for model, what in (
        (TimeEntry, "time is logged on it"),
        (ProjectMember, "a member bills under it"),
        (Task, "a task belongs to it"),
    ):
        used = session.exec(select(func.count()).select_from(model).where(model.budget_line_id == line_id)).one()  # type: ignore[attr-defined]
        if used:
            raise svc.DeliveryError(f"This budget line cannot be deleted: {what}.", field="line_id", kind="conflict")
    record_delete(session, actor, bl)
    session.delete(bl)
    session.flush()


# --- one time entry by id -------------------------------------------------------------------


def _entry(session: Session, entry_id: int) -> TimeEntry:
    e = session.get(TimeEntry, entry_id)
    if e is None:
        raise svc.DeliveryError("No such time entry.", field="entry_id", kind="not_found")
    return e


def update_time_entry(
    session: Session,
    actor: Actor,
    entry_id: int,
    *,
    minutes: int | str | None = None,
    billable: bool | None = None,
    note: str | None = None,
) -> svc.CellResult:
    """Change an entry's minutes, billable flag or note: the grid's rules apply (`upsert_time`:
    approved or billed entries are locked, 24 h a day); 0 minutes deletes it."""
    e = _entry(session, entry_id)
    return svc.upsert_time(
        session,
        actor,
        user_id=e.user_id,
        project_id=e.project_id,
        day=e.day,
        minutes=e.minutes if minutes is None else minutes,
        budget_line_id=e.budget_line_id,
        task_id=e.task_id,
        billable=billable,
        note=note,
    )


def delete_time_entry(session: Session, actor: Actor, entry_id: int) -> int:
    """Delete an entry (refused when approved or billed); returns the person's minutes left that day."""
    e = _entry(session, entry_id)
    return svc.upsert_time(
        session,
        actor,
        user_id=e.user_id,
        project_id=e.project_id,
        day=e.day,
        minutes=0,
        budget_line_id=e.budget_line_id,
        task_id=e.task_id,
    ).day_minutes
