"""Leaks before the money: open leads with no owner or untouched, accepted quotes with no
contract, signed contracts with no project (each with the records behind it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlmodel import Session

from l2c_app.contracts.models import Contract
from l2c_app.core.models import User
from l2c_app.core.timeutil import utcnow
from l2c_app.insights.basics import (
    LIST_LIMIT,
    OPEN_LEAD_STATUSES,
    _aware,
    _totals,
    lead_days,
)
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Activity, Deal
from l2c_app.projects.models import Project, ProjectQuote
from l2c_app.quotes.models import Quote

# --- 1. leads ---------------------------------------------------------------------------------


def lead_gaps(session: Session, now: datetime | None = None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Open leads with no owner (should always be 0) and new leads nobody touched for N days.

    Untouched: still `new` (nobody qualified, disqualified, converted or merged it), created more
    than N days ago, and no activity by a person on it since (system notes do not count).
    """
    now = now or utcnow()
    days = lead_days(session)
    cutoff = now - timedelta(days=days)
    unowned = and_(Lead.owner_id.is_(None), Lead.status.in_(OPEN_LEAD_STATUSES))
    touched = exists().where(Activity.lead_id == Lead.id, Activity.user_id.is_not(None), Activity.created_at >= cutoff)
    stale = and_(Lead.status == "new", Lead.created_at < cutoff, ~touched)
    unowned_n = session.execute(select(func.count()).select_from(Lead).where(unowned)).scalar_one()
    stale_n = session.execute(select(func.count()).select_from(Lead).where(stale)).scalar_one()
    cols = (Lead.id, Lead.name, Lead.company, Lead.created_at, User.name.label("owner"))
    base = select(*cols).outerjoin(User, User.id == Lead.owner_id)
    unowned_rows = session.execute(base.where(unowned).order_by(Lead.created_at).limit(limit)).all()
    stale_rows = session.execute(base.where(stale).order_by(Lead.created_at).limit(limit)).all()

    def row(r) -> dict[str, Any]:
        return {
            "id": r.id,
            "name": r.name,
            "company": r.company or "",
            "owner": r.owner or "",
            "days": (now - _aware(r.created_at)).days,
            "href": f"/leads?lead={r.id}",
        }

    return {
        "unowned": int(unowned_n),
        "unowned_rows": [row(r) for r in unowned_rows],
        "days": days,
        "stale": int(stale_n),
        "stale_rows": [row(r) for r in stale_rows],
    }


# --- 2. hand-offs -----------------------------------------------------------------------------


def handoff_gaps(session: Session, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Accepted quotes with no contract, and signed contracts with no project.

    A quote counts as handed off when a live contract (not voided or declined) was made from it,
    or when it already fed a project (a project may start from the won deal without a contract).
    A signed contract counts as handed off when a project points to it, or when its quote already
    fed a project (the one-click step would refuse a second project).
    """
    live_contract = exists().where(Contract.quote_id == Quote.id, Contract.status.not_in(("voided", "declined")))
    fed = exists().where(ProjectQuote.quote_id == Quote.id)
    q_cond = and_(Quote.status == "accepted", ~live_contract, ~fed)
    q_n = session.execute(select(func.count()).select_from(Quote).where(q_cond)).scalar_one()
    q_sum = session.execute(
        select(Quote.currency, func.sum(Quote.total_minor)).where(q_cond).group_by(Quote.currency)
    ).all()
    q_rows = session.execute(
        select(
            Quote.id,
            Quote.title,
            Quote.number,
            Quote.version,
            Quote.total_minor,
            Quote.currency,
            Quote.accepted_at,
            Deal.title.label("deal"),
        )
        .join(Deal, Deal.id == Quote.deal_id)
        .where(q_cond)
        .order_by(Quote.accepted_at, Quote.id)
        .limit(limit)
    ).all()

    has_project = exists().where(Project.contract_id == Contract.id)
    quote_fed = exists().where(ProjectQuote.quote_id == Contract.quote_id)
    c_cond = and_(Contract.status == "completed", ~has_project, ~quote_fed)
    c_n = session.execute(select(func.count()).select_from(Contract).where(c_cond)).scalar_one()
    c_rows = session.execute(
        select(Contract.id, Contract.title, Contract.completed_at, Deal.title.label("deal"))
        .join(Deal, Deal.id == Contract.deal_id)
        .where(c_cond)
        .order_by(Contract.completed_at, Contract.id)
        .limit(limit)
    ).all()
    return {
        "quotes": int(q_n),
        "quotes_total": _totals(q_sum),
        "quote_rows": [
            {
                "id": r.id,
                "title": f"{r.title} #{r.number} v{r.version}",
                "deal": r.deal,
                "total_minor": int(r.total_minor),
                "currency": r.currency,
                "accepted": r.accepted_at.date().isoformat() if r.accepted_at else "",
                "href": f"/quotes/{r.id}",
            }
            for r in q_rows
        ],
        "contracts": int(c_n),
        "contract_rows": [
            {
                "id": r.id,
                "title": r.title,
                "deal": r.deal,
                "signed": r.completed_at.date().isoformat() if r.completed_at else "",
                "href": f"/contracts/{r.id}",
            }
            for r in c_rows
        ],
    }
