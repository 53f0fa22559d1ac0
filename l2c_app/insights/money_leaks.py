"""Leaks of money: unbilled work (billing's own figure, every project at once), overdue invoices,
drafts never issued, unmatched payments and client credit (each with the records behind it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.billing.unbilled_totals import unbilled_figures
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.insights.basics import (
    ID_LIST_LIMIT,
    LIST_LIMIT,
    Totals,
    _aware,
    _totals,
)
from l2c_app.insights.settings import insights_settings
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account
from l2c_app.projects.models import Project

# --- 3. unbilled work -------------------------------------------------------------------------


def unbilled_work(session: Session, up_to: date | None = None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Per project, the work done up to `up_to` that no live invoice line bills yet
    (`billing.service.unbilled_total`: approved billable time, reached milestones and fixed
    items, approved change orders, due retainer periods, billable expenses), computed for all
    projects at once by its set-based twin `billing.unbilled_totals` (one query per source kind)."""
    up_to = up_to or org_today(session)
    figures = unbilled_figures(session, None, up_to)
    amounts = {pid: v for pid, v in figures.totals.items() if v}
    projects = []
    if amounts:
        stmt = select(Project.id, Project.name, Project.currency, Account.name.label("client")).outerjoin(
            Account, Account.id == Project.account_id
        )
        if len(amounts) <= ID_LIST_LIMIT:  # else every project is read: no thousands of ids bound into the SQL
            stmt = stmt.where(Project.id.in_(sorted(amounts)))
        for r in session.execute(stmt).all():
            amount = amounts.get(r.id, 0)
            if amount:
                projects.append(
                    {
                        "id": r.id,
                        "name": r.name,
                        "client": r.client or "",
                        "currency": r.currency,
                        "amount_minor": int(amount),
                        "href": f"/projects/{r.id}",
                    }
                )
    projects.sort(key=lambda p: (-p["amount_minor"], p["id"]))
    totals: Totals = {}
    for p in projects:
        totals[p["currency"]] = totals.get(p["currency"], 0) + p["amount_minor"]
    return {
        "count": len(projects),
        "totals": totals,
        "projects": projects[:limit],
        "up_to": up_to,
        "ids": [p["id"] for p in projects],
        # the oldest unbilled time of these projects, from the same pass (the ledger's age)
        "oldest_time": min(
            (figures.oldest_time[p["id"]] for p in projects if p["id"] in figures.oldest_time), default=None
        ),
    }


# --- 4. invoices ------------------------------------------------------------------------------


def overdue_invoices(
    session: Session, today: date | None = None, limit: int = LIST_LIMIT, grace_days: int | None = None
) -> dict[str, Any]:
    """Issued invoices (sent or partially paid) more than `grace_days` past their due date
    (Settings > Insights, 0 unless set), with what is still open."""
    today = today or org_today(session)
    if grace_days is None:
        grace_days = insights_settings(session)["insights_overdue_grace_days"]
    cond = and_(
        Invoice.status.in_(billing.OPEN_STATUSES),
        Invoice.kind != "credit_note",
        Invoice.due_date.is_not(None),
        Invoice.due_date < today - timedelta(days=grace_days),
    )
    # the ledger's figure: due (total - partial credit notes) - paid - written off
    open_minor = Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor - Invoice.written_off_minor
    n, oldest = session.execute(select(func.count(), func.min(Invoice.due_date)).where(cond)).one()
    sums = session.execute(select(Invoice.currency, func.sum(open_minor)).where(cond).group_by(Invoice.currency)).all()
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.due_date,
            Invoice.currency,
            open_minor.label("open_minor"),
            Account.name.label("client"),
        )
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(cond)
        .order_by(Invoice.due_date, Invoice.id)
        .limit(limit)
    ).all()
    return {
        "count": int(n),
        "open": _totals(sums),
        "oldest_days": (today - oldest).days if oldest else 0,
        "grace_days": grace_days,
        "rows": [
            {
                "id": r.id,
                "number": r.number or f"Draft {r.id}",
                "client": r.client or "",
                "due_date": r.due_date.isoformat(),
                "days": (today - r.due_date).days,
                "open_minor": max(0, int(r.open_minor)),
                "currency": r.currency,
                "href": f"/invoices/{r.id}",
            }
            for r in rows
        ],
    }


def stale_drafts(
    session: Session, now: datetime | None = None, days: int | None = None, limit: int = LIST_LIMIT
) -> dict[str, Any]:
    """Draft invoices created more than `days` ago (Settings > Insights, 7 unless set) and never issued."""
    now = now or utcnow()
    days = insights_settings(session)["insights_draft_days"] if days is None else days
    cond = and_(Invoice.status == "draft", Invoice.created_at < now - timedelta(days=days))
    n = session.execute(select(func.count()).select_from(Invoice).where(cond)).scalar_one()
    sums = session.execute(
        select(Invoice.currency, func.sum(Invoice.total_minor)).where(cond).group_by(Invoice.currency)
    ).all()
    rows = session.execute(
        select(Invoice.id, Invoice.created_at, Invoice.total_minor, Invoice.currency, Account.name.label("client"))
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(cond)
        .order_by(Invoice.created_at, Invoice.id)
        .limit(limit)
    ).all()
    return {
        "count": int(n),
        "totals": _totals(sums),
        "days": days,
        "rows": [
            {
                "id": r.id,
                "client": r.client or "",
                "days": (now - _aware(r.created_at)).days,
                "total_minor": int(r.total_minor),
                "currency": r.currency,
                "href": f"/invoices/{r.id}",
            }
            for r in rows
        ],
    }


# --- 5. payments ------------------------------------------------------------------------------


def unmatched_payments(session: Session) -> dict[str, Any]:
    """Payments that arrived with no invoice (the Payments page lists them with a Match step)."""
    cond = and_(Payment.invoice_id.is_(None), Payment.status != "failed")
    n = session.execute(select(func.count()).select_from(Payment).where(cond)).scalar_one()
    sums = session.execute(
        select(Payment.currency, func.sum(Payment.amount_minor)).where(cond).group_by(Payment.currency)
    ).all()
    return {"count": int(n), "totals": _totals(sums), "href": "/payments"}


def client_credit(session: Session, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Overpayments kept as client credit (billing.ledger's balance: held - applied) and what
    was written off; the credit is money the business owes back or must apply."""
    from l2c_app.billing import ledger

    rows = [r for r in ledger.credit_balances(session) if r["balance"] > 0]
    shown = {r["account_id"] for r in rows[:limit] if r["account_id"] is not None}  # names of the listed rows only
    names = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(shown))).all()) if shown else {}
    written = session.execute(
        select(Invoice.currency, func.sum(Invoice.written_off_minor))
        .where(Invoice.written_off_minor > 0)
        .group_by(Invoice.currency)
    ).all()
    totals: Totals = {}
    for r in rows:
        totals[r["currency"]] = totals.get(r["currency"], 0) + r["balance"]
    return {
        "count": len(rows),
        "totals": totals,
        "written_off": _totals(written),
        "account_ids": [r["account_id"] for r in rows],  # every client holding credit (the ledger's age)
        "rows": [
            {
                "client": names.get(r["account_id"], "No client"),
                "balance_minor": r["balance"],
                "held_minor": r["held"],
                "currency": r["currency"],
                "href": "/payments",
            }
            for r in rows[:limit]
        ],
    }
