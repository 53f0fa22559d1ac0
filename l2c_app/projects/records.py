"""Reading a project (detail, budget and burn, lists), its status, milestones, members and
timeline.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.models import User
from l2c_app.core.money import round_minor
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.change_orders import change_order_json
from l2c_app.projects.common import BURN_OVER, BURN_WARNING, DeliveryError, NotFound, _project, _time_money
from l2c_app.projects.conversion import _accepted_unlinked_quotes
from l2c_app.projects.models import (
    BudgetLine,
    ChangeOrder,
    Milestone,
    Project,
    ProjectMember,
    ProjectQuote,
    Retainer,
    TimeEntry,
)


def _burn(actual: int, budget: int) -> int | None:
    return None if budget <= 0 else int(round_minor(Decimal(actual) * 100 / budget))


def _level(burn: int | None) -> str:
    if burn is None:
        return "none"
    return "over" if burn >= BURN_OVER else "warning" if burn >= BURN_WARNING else "ok"


def budget_report(session: Session, project_id: int) -> dict:
    """Budget vs actual per budget line and in total (hours and money, burn %, level)."""
    project = _project(session, project_id)
    lines = list(session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id)))
    used_min: dict[int | None, int] = defaultdict(int)
    used_money: dict[int | None, int] = defaultdict(int)
    for bl_id, minutes, rate in session.exec(
        select(TimeEntry.budget_line_id, TimeEntry.minutes, TimeEntry.rate_minor).where(
            TimeEntry.project_id == project_id
        )
    ):
        used_min[bl_id] += minutes
        used_money[bl_id] += _time_money(minutes, rate)
    rows = []
    for bl in lines:
        burn = (
            _burn(used_money[bl.id], bl.amount_minor) if bl.amount_minor else _burn(used_min[bl.id], bl.budget_minutes)
        )
        rows.append(
            {
                "id": bl.id,
                "role": bl.role,
                "budget_minutes": bl.budget_minutes,
                "rate_minor": bl.rate_minor,
                "budget_minor": bl.amount_minor,
                "actual_minutes": used_min[bl.id],
                "actual_minor": used_money[bl.id],
                "burn": burn,
                "level": _level(burn),
                "from_change_order": bl.change_order_id is not None,
            }
        )
    budget_minor = sum(r["budget_minor"] for r in rows)
    budget_minutes = sum(r["budget_minutes"] for r in rows)
    actual_minor = sum(used_money.values())
    actual_minutes = sum(used_min.values())
    burn = _burn(actual_minor, budget_minor) if budget_minor else _burn(actual_minutes, budget_minutes)

    def warn(subject: str, pct: int | None, level: str) -> dict:
        tail = " It is over budget." if level == "over" else ""
        return {"text": f"{subject} has used {pct}% of its budget.{tail}", "level": level}

    warnings = [warn(r["role"], r["burn"], r["level"]) for r in rows if r["level"] in ("warning", "over")]
    if _level(burn) in ("warning", "over"):
        warnings.insert(0, warn("The project", burn, _level(burn)))
    return {
        "currency": project.currency,
        "lines": rows,
        "unplanned_minutes": used_min[None],
        "unplanned_minor": used_money[None],
        "total": {
            "budget_minutes": budget_minutes,
            "budget_minor": budget_minor,
            "actual_minutes": actual_minutes,
            "actual_minor": actual_minor,
            "burn": burn,
            "level": _level(burn),
        },
        "warnings": warnings,
    }


def planned_total(session: Session, project_id: int, include_change_orders: bool = False) -> int:
    """Money of the plan: milestones and fixed items, budget lines, retainers (whole term).
    With `include_change_orders`, approved change orders count too (the raised budget)."""
    cond_ms = Milestone.project_id == project_id
    cond_bl = BudgetLine.project_id == project_id
    if not include_change_orders:
        cond_bl = and_(cond_bl, BudgetLine.change_order_id.is_(None))  # type: ignore[union-attr]
    total = session.exec(select(func.coalesce(func.sum(Milestone.amount_minor), 0)).where(cond_ms)).one()
    total += session.exec(select(func.coalesce(func.sum(BudgetLine.amount_minor), 0)).where(cond_bl)).one()
    total += session.exec(
        select(func.coalesce(func.sum(Retainer.planned_minor), 0)).where(Retainer.project_id == project_id)
    ).one()
    if include_change_orders:  # hours change orders are already budget lines
        total += session.exec(
            select(func.coalesce(func.sum(ChangeOrder.amount_minor), 0)).where(
                ChangeOrder.project_id == project_id, ChangeOrder.status == "approved", ChangeOrder.kind == "fixed"
            )
        ).one()
    return int(total)


def project_detail(session: Session, project_id: int) -> dict:
    """Everything the project page and `GET /api/v1/projects/{id}` show."""
    from l2c_app.contracts.models import Contract
    from l2c_app.pipeline.models import Account, Deal

    project = _project(session, project_id)
    deal = session.get(Deal, project.deal_id) if project.deal_id else None
    account = session.get(Account, project.account_id) if project.account_id else None
    contract = session.get(Contract, project.contract_id) if project.contract_id else None
    lead = session.get(User, project.lead_user_id) if project.lead_user_id else None
    lines = {bl.id: bl for bl in session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id))}
    team = []
    for m, u in session.exec(
        select(ProjectMember, User)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
        .order_by(User.name)
    ):
        bl = lines.get(m.budget_line_id) if m.budget_line_id else None
        team.append(
            {
                "id": m.id,
                "user_id": u.id,
                "name": u.name,
                "email": u.email,
                "billing_role": bl.role if bl else "",
                "budget_line_id": m.budget_line_id,
                "rate_minor": m.rate_minor if m.rate_minor is not None else (bl.rate_minor if bl else 0),
                "is_lead": u.id == project.lead_user_id,
            }
        )
    milestones = [
        {
            "id": ms.id,
            "kind": ms.kind,
            "name": ms.name,
            "amount_minor": ms.amount_minor,
            "due_date": ms.due_date.isoformat() if ms.due_date else None,
            "status": ms.status,
            "reached_on": ms.reached_on.isoformat() if ms.reached_on else None,
        }
        for ms in session.exec(
            select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.due_date, Milestone.id)
        )
    ]
    retainers = [
        {
            "id": r.id,
            "name": r.name,
            "amount_minor": r.amount_minor,
            "months": r.months,
            "planned_minor": r.planned_minor,
            "start_date": r.start_date.isoformat(),
            "active": r.active,
            "email_invoices": r.email_invoices,
        }
        for r in session.exec(select(Retainer).where(Retainer.project_id == project_id))
    ]
    cos = [
        change_order_json(co)
        for co in session.exec(
            select(ChangeOrder).where(ChangeOrder.project_id == project_id).order_by(ChangeOrder.number)
        )
    ]
    quotes = list(session.exec(select(ProjectQuote.quote_id).where(ProjectQuote.project_id == project_id)))
    return {
        "id": project.id,
        "name": project.name,
        "status": project.status,
        "currency": project.currency,
        "deal_id": project.deal_id,
        "deal_title": deal.title if deal else "",
        "account_id": project.account_id,
        "account_name": account.name if account else "",
        "contract_id": project.contract_id,
        "signed_pdf_url": f"/api/v1/contracts/{contract.id}/pdf" if contract and contract.signed_document_id else None,
        "quote_ids": quotes,
        "lead_user_id": project.lead_user_id,
        "lead_name": lead.name if lead else "",
        "billable_default": project.billable_default,
        "planned_minor": planned_total(session, project_id),
        "budget_with_change_orders_minor": planned_total(session, project_id, include_change_orders=True),
        "team": team,
        "milestones": milestones,
        "retainers": retainers,
        "change_orders": cos,
        "budget": budget_report(session, project_id),
        "created_at": project.created_at.isoformat(),
    }


def quotes_to_add(session: Session, project_id: int) -> list[dict]:
    """Accepted quotes of the project's deal that have not fed a project yet."""
    project = _project(session, project_id)
    if project.deal_id is None:
        return []
    from l2c_app.quotes.service import quote_label

    return [
        {"id": q.id, "label": f"Quote {quote_label(q)}: {q.title}"}
        for q in _accepted_unlinked_quotes(session, project.deal_id)
    ]


def team_options(session: Session, project_id: int) -> dict:
    users = session.exec(select(User).where(User.is_active.is_(True)).order_by(User.name))  # type: ignore[attr-defined]
    lines = session.exec(select(BudgetLine).where(BudgetLine.project_id == project_id).order_by(BudgetLine.id))
    return {
        "users": [{"id": str(u.id), "name": u.name} for u in users],
        "lines": [{"id": str(b.id), "role": b.role} for b in lines],
    }


def ready_contracts(session: Session) -> list[dict]:
    """Signed contracts without a project yet (one click each on /projects)."""
    from l2c_app.contracts.models import Contract
    from l2c_app.pipeline.models import Deal

    has_project = select(Project.contract_id).where(col(Project.contract_id).is_not(None))
    rows = session.exec(
        select(Contract, Deal.title)
        .join(Deal, col(Deal.id) == Contract.deal_id)
        .where(Contract.status == "completed", col(Contract.id).not_in(has_project))
        .order_by(col(Contract.id).desc())
        .limit(20)
    )
    return [{"id": str(c.id), "title": c.title, "deal": title} for c, title in rows]


def list_projects(session: Session, status: str | None = None) -> list[dict]:
    from l2c_app.pipeline.models import Account

    stmt = (
        select(Project, Account.name).outerjoin(Account, Account.id == Project.account_id).order_by(Project.id.desc())
    )  # type: ignore[union-attr]
    if status:
        stmt = stmt.where(Project.status == status)
    out = []
    for p, account_name in session.exec(stmt):
        rep = budget_report(session, p.id)
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "status": p.status,
                "account": account_name or "",
                "currency": p.currency,
                "planned_minor": planned_total(session, p.id, include_change_orders=True),
                "burn": rep["total"]["burn"],
                "level": rep["total"]["level"],
                "actual_minutes": rep["total"]["actual_minutes"],
            }
        )
    return out


def projects_of_deal(session: Session, deal_id: int) -> list[dict]:
    return [
        {"id": p.id, "name": p.name, "status": p.status}
        for p in session.exec(select(Project).where(Project.deal_id == deal_id).order_by(Project.id))
    ]


PROJECT_STATUSES = ("active", "on_hold", "done")


def set_project_status(session: Session, actor: Actor, project_id: int, status: str) -> Project:
    """active, on hold, or done (a done project takes no more time)."""
    if status not in PROJECT_STATUSES:
        raise DeliveryError(f"status must be one of {', '.join(PROJECT_STATUSES)}.", field="status")
    project = _project(session, project_id)
    if project.status != status:
        before = snapshot(project)
        project.status = status
        session.add(project)
        record_update(session, actor, project, before, action="status")
        add_deal_event(
            session,
            project.deal_id,
            f"Project “{project.name}” is now {status.replace('_', ' ')}",
            user_id=actor.user_id,
        )
    return project


def mark_milestone_reached(session: Session, actor: Actor, milestone_id: int, on: date | None = None) -> Milestone:
    ms = session.get(Milestone, milestone_id)
    if ms is None:
        raise NotFound("Milestone", "milestone_id")
    if ms.status == "reached":
        raise DeliveryError(
            f"“{ms.name}” was already reached on {ms.reached_on}.", field="milestone_id", kind="conflict"
        )
    before = snapshot(ms)
    ms.status, ms.reached_on = "reached", on or org_today(session)
    session.add(ms)
    record_update(session, actor, ms, before, action="reached")
    project = session.get(Project, ms.project_id)
    add_deal_event(
        session, project.deal_id if project else None, f"Milestone “{ms.name}” reached", user_id=actor.user_id
    )
    return ms


def add_member(
    session: Session,
    actor: Actor,
    project_id: int,
    user_id: int,
    budget_line_id: int | None = None,
    rate_minor: int | None = None,
) -> ProjectMember:
    _project(session, project_id)
    if session.get(User, user_id) is None:
        raise NotFound("User", "user_id")
    if budget_line_id is not None:
        bl = session.get(BudgetLine, budget_line_id)
        if bl is None or bl.project_id != project_id:
            raise DeliveryError("Pick a budget line of this project.", field="budget_line_id")
    member = session.exec(
        select(ProjectMember).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
    ).first()
    if member is None:
        member = ProjectMember(
            project_id=project_id, user_id=user_id, budget_line_id=budget_line_id, rate_minor=rate_minor
        )
        session.add(member)
        record_create(session, actor, member)
    else:
        before = snapshot(member)
        member.budget_line_id, member.rate_minor = budget_line_id, rate_minor
        session.add(member)
        record_update(session, actor, member, before)
    return member


def project_timeline(session: Session, project_id: int, limit: int = 30) -> list[dict]:
    """The project's audit trail and its deal's events, newest first."""
    from l2c_app.core.models import AuditLog
    from l2c_app.pipeline.models import Activity

    project = _project(session, project_id)
    items = []
    for a in session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "project", AuditLog.entity_id == project_id)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    ):  # type: ignore[union-attr]
        if a.action in ("create", "update"):
            continue  # the deal events below tell those in words
        items.append({"at": a.at, "text": a.action.replace("_", " ").capitalize(), "who": a.actor})
    if project.deal_id:
        for act in session.exec(
            select(Activity)
            .where(Activity.deal_id == project.deal_id)
            .order_by(Activity.created_at.desc())
            .limit(limit)
        ):  # type: ignore[attr-defined]
            items.append({"at": act.created_at, "text": act.subject, "who": ""})
    items.sort(key=lambda i: i["at"], reverse=True)
    tz = formats.org_zone(session)
    return [{"at": formats.moment(i["at"], tz), "text": i["text"], "who": i["who"]} for i in items[:limit]]
