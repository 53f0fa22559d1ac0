"""The leak ledger: each leak with its count, its money, its age and the one action that fixes it.

Built from insights.service's figures (the counts and totals are theirs, never recounted),
plus set-based reads of the oldest record behind each leak. Money stays integer minor units
per currency; `money_text` makes the display string. Age is in whole days of the
organisation's calendar (today minus the oldest record's day), or None where a leak has no
dated record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.contracts.models import Contract
from l2c_app.core.timeutil import utcnow
from l2c_app.insights import service
from l2c_app.insights.settings import insights_settings
from l2c_app.leads.models import Lead
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.projects.models import (
    ChangeOrder,
    Expense,
    Milestone,
    Project,
    ProjectQuote,
    Retainer,
    RetainerPeriod,
    TimeEntry,
)
from l2c_app.quotes.models import Quote

Totals = dict[str, int]


def _day(value: datetime | date | None, tz: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(tz)).date()
    return value


def _age(oldest: datetime | date | None, today: date, tz: str) -> int | None:
    day = _day(oldest, tz)
    return max(0, (today - day).days) if day else None


def overdue_cutoff(today: date, grace_days: int) -> date:
    """An invoice is overdue (for Insights) when its due date is before this day."""
    return today - timedelta(days=grace_days)


def contract_values(session: Session) -> tuple[Totals, datetime | None]:
    """Signed contracts with no project: their value (the quote they were made from) and the
    oldest signature."""
    has_project = select(Project.id).where(Project.contract_id == Contract.id).exists()
    quote_fed = select(ProjectQuote.id).where(ProjectQuote.quote_id == Contract.quote_id).exists()
    cond = and_(Contract.status == "completed", ~has_project, ~quote_fed)
    sums = session.execute(
        select(Quote.currency, func.sum(Quote.total_minor))
        .select_from(Contract)
        .join(Quote, Quote.id == Contract.quote_id)
        .where(cond)
        .group_by(Quote.currency)
    ).all()
    oldest = session.execute(select(func.min(Contract.completed_at)).where(cond)).scalar_one()
    return {c: int(v) for c, v in sums if v}, oldest


def oldest_accepted_quote(session: Session) -> datetime | None:
    live_contract = (
        select(Contract.id)
        .where(Contract.quote_id == Quote.id, Contract.status.not_in(("voided", "declined")))
        .exists()
    )
    fed = select(ProjectQuote.id).where(ProjectQuote.quote_id == Quote.id).exists()
    return session.execute(
        select(func.min(Quote.accepted_at)).where(Quote.status == "accepted", ~live_contract, ~fed)
    ).scalar_one()


_READ = object()  # oldest_unbilled's default: read the oldest unbilled time itself


def oldest_unbilled(
    session: Session, project_ids: list[int], up_to: date, oldest_time: date | None | object = _READ
) -> date | None:
    """The oldest day of work not billed yet on these projects (time, expenses, due retainer
    months, reached milestones (reached, else due), approved change orders (approved, else
    made)); fixed-fee items carry no day of their own.

    `oldest_time`: the oldest unbilled time of these projects when the caller already has it
    (`service.unbilled_work` reads it in the pass that sums the time), so the anti-join over every
    time entry runs once per request; else it is read here (the reference path; a test compares)."""
    if not project_ids:
        return None
    # Each source's oldest day per project (GROUP BY, no list of thousands of ids bound into the
    # SQL), kept for the projects asked.
    wanted = set(project_ids)

    def oldest(stmt) -> date | None:
        days = [_to_day(d) for pid, d in session.execute(stmt) if pid in wanted and d is not None]
        return min((d for d in days if d is not None), default=None)

    if oldest_time is _READ:
        approval = billing.billing_settings(session)["time_approval_required"]
        time_cond = [
            TimeEntry.billable.is_(True),
            TimeEntry.day <= up_to,
            ~billing.live_link("time", TimeEntry.id),
        ]
        if approval:
            time_cond.append(TimeEntry.approved_at.is_not(None))
        oldest_time = oldest(
            select(TimeEntry.project_id, func.min(TimeEntry.day)).where(*time_cond).group_by(TimeEntry.project_id)
        )
    days: list[Any] = [
        oldest_time,
        oldest(
            select(Expense.project_id, func.min(Expense.day))
            .where(Expense.billable.is_(True), Expense.day <= up_to, ~billing.live_link("expense", Expense.id))
            .group_by(Expense.project_id)
        ),
        oldest(
            select(Retainer.project_id, func.min(RetainerPeriod.period_start))
            .join(Retainer, Retainer.id == RetainerPeriod.retainer_id)
            .where(RetainerPeriod.period_start <= up_to, ~billing.live_link("retainer_period", RetainerPeriod.id))
            .group_by(Retainer.project_id)
        ),
        oldest(
            select(Milestone.project_id, func.min(func.coalesce(Milestone.reached_on, Milestone.due_date)))
            .where(Milestone.status == "reached", ~billing.live_link("milestone", Milestone.id))
            .group_by(Milestone.project_id)
        ),
        oldest(
            select(ChangeOrder.project_id, func.min(func.coalesce(ChangeOrder.approved_at, ChangeOrder.created_at)))
            .where(ChangeOrder.status == "approved", ~billing.live_link("change_order", ChangeOrder.id))
            .group_by(ChangeOrder.project_id)
        ),
    ]
    found = [_to_day(d) for d in days if d is not None]
    return min((d for d in found if d is not None), default=None)


def _to_day(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else _as_date(value)


def _leak(
    key: str, title: str, count: int, money: Totals | None, age: int | None, action: str, href: str, unit: str
) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "count": int(count),
        "money": money,
        "age_days": age,
        "action": action,
        "href": href,
        "unit": unit,
    }


def leaks(
    session: Session, today: date | None = None, now: datetime | None = None, parts: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every leak of the Insights page in order: key, title, count, money ({currency: minor},
    or None when the leak has no money), age_days (the oldest record's age in days, None
    without records), the action's label and the page where it is done.

    `parts`: insights.service's figures when the caller already read them (the dashboard)."""
    tz = service._org_tz(session)
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(tz)).date()
    grace = insights_settings(session)["insights_overdue_grace_days"]
    p = dict(parts or {})
    leads = p.get("leads") or service.lead_gaps(session, now)
    hand = p.get("hand") or service.handoff_gaps(session)
    unbilled = p.get("unbilled") or service.unbilled_work(session, today)
    overdue = p.get("overdue") or service.overdue_invoices(session, today, grace_days=grace)
    drafts = p.get("drafts") or service.stale_drafts(session, now)
    unmatched = p.get("unmatched") or service.unmatched_payments(session)
    credit = p.get("credit") or service.client_credit(session)

    unowned_oldest = session.execute(
        select(func.min(Lead.created_at)).where(Lead.owner_id.is_(None), Lead.status.in_(service.OPEN_LEAD_STATUSES))
    ).scalar_one()
    c_money, c_oldest = contract_values(session)
    u_oldest = oldest_unbilled(session, unbilled["ids"], today, unbilled.get("oldest_time", _READ))
    o_oldest = session.execute(
        select(func.min(Invoice.due_date)).where(
            Invoice.status.in_(billing.OPEN_STATUSES),
            Invoice.kind != "credit_note",
            Invoice.due_date.is_not(None),
            Invoice.due_date < overdue_cutoff(today, grace),
        )
    ).scalar_one()
    p_oldest = session.execute(
        select(func.min(func.coalesce(Payment.received_on, func.date(Payment.created_at)))).where(
            Payment.invoice_id.is_(None), Payment.status != "failed"
        )
    ).scalar_one()
    with_credit = [a for a in credit["account_ids"] if a is not None]  # client_credit's rows, not read again
    cr_oldest = (
        session.execute(
            select(func.min(ClientCredit.created_at)).where(ClientCredit.account_id.in_(with_credit))
        ).scalar_one()
        if with_credit
        else None
    )
    d_oldest = session.execute(
        select(func.min(Invoice.created_at)).where(
            Invoice.status == "draft", Invoice.created_at < now - timedelta(days=drafts["days"])
        )
    ).scalar_one()

    return [
        _leak(
            "unowned_leads",
            "Leads with no owner",
            leads["unowned"],
            None,
            _age(unowned_oldest, today, tz),
            "Assign owners",
            "/leads",
            "lead",
        ),
        _leak(
            "stale_leads",
            "Untouched new leads",
            leads["stale"],
            None,
            leads["stale_rows"][0]["days"] if leads["stale_rows"] else None,
            "Follow up the leads",
            "/leads",
            "lead",
        ),
        _leak(
            "quotes",
            "Accepted quotes with no contract",
            hand["quotes"],
            hand["quotes_total"],
            _age(oldest_accepted_quote(session), today, tz),
            "Make the contract",
            "/contracts",
            "quote",
        ),
        _leak(
            "contracts",
            "Signed contracts with no project",
            hand["contracts"],
            c_money,
            _age(c_oldest, today, tz),
            "Start the project",
            "/projects",
            "contract",
        ),
        # The Invoices page lists every project with work to bill, each with its Create invoice step.
        _leak(
            "unbilled",
            "Unbilled work",
            unbilled["count"],
            unbilled["totals"],
            _age(u_oldest, today, tz),
            "Create the invoice",
            "/invoices",
            "project",
        ),
        # Reminders go from the invoice itself (Send again); with several, the list.
        _leak(
            "overdue",
            "Overdue invoices",
            overdue["count"],
            overdue["open"],
            _age(o_oldest, today, tz),
            "Send reminder",
            overdue["rows"][0]["href"] if overdue["count"] == 1 else "/invoices",
            "invoice",
        ),
        _leak(
            "drafts",
            "Drafts never issued",
            drafts["count"],
            drafts["totals"],
            _age(d_oldest, today, tz),
            "Issue the drafts",
            "/invoices",
            "draft",
        ),
        _leak(
            "unmatched",
            "Unmatched payments",
            unmatched["count"],
            unmatched["totals"],
            _age(_as_date(p_oldest), today, tz),
            "Match payments",
            "/payments",
            "payment",
        ),
        _leak(
            "credit",
            "Overpayments and client credit",
            credit["count"],
            credit["totals"],
            _age(cr_oldest, today, tz),
            "Apply or refund credit",
            "/payments",
            "client",
        ),
    ]


def _as_date(value: Any) -> date | None:
    """SQLite's date() answers text; PostgreSQL a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def days_text(n: int | None) -> str:
    if n is None:
        return ""
    return "1 day" if n == 1 else f"{n} days"


def display(rows: list[dict[str, Any]], zero_currency: str) -> list[dict[str, str]]:
    """The ledger as strings for the page (pages never format money)."""
    out = []
    for r in rows:
        money = "" if r["money"] is None else service.money_text(r["money"], service.format_money(0, zero_currency))
        out.append(
            {
                "key": r["key"],
                "count": str(r["count"]),
                "money": money,
                "age": f"oldest {days_text(r['age_days'])}" if r["count"] and r["age_days"] is not None else "",
                "action": r["action"],
                "href": r["href"],
            }
        )
    return out
