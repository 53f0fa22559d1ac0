"""Insights: where money leaks, read from the records every other stage already keeps.

No table of its own and no write: every figure is a set-based query over leads, quotes,
contracts, projects, invoices and payments, and every figure comes with the records
behind it (each with the link to open it). Unbilled work is billing's own rule
(`billing.service.unbilled_total`, the billed-once test included, asked for every project at
once through its twin-tested set-based path `billing.unbilled_totals`), never re-derived here.

Money stays integer minor units per currency (`{currency: minor}`); the display strings
are made with `core.money.format_money`, one per currency, joined with " + ".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, cast, exists, func, or_, select
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.billing.unbilled_totals import unbilled_totals
from l2c_app.contracts.models import Contract
from l2c_app.core.auth import get_organisation
from l2c_app.core.models import User
from l2c_app.core.money import format_money, round_minor
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.insights.settings import insights_settings
from l2c_app.leads.models import Lead
from l2c_app.payments.models import Payment, Refund
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Account, Activity, Deal, PipelineStage
from l2c_app.projects.models import Project, ProjectQuote
from l2c_app.quotes.models import Quote

OPEN_LEAD_STATUSES = ("new", "qualified")
DEFAULT_LEAD_DAYS = 3  # a new lead waits at most this long unless the pipeline's stale days are set
DRAFT_DAYS = 7  # a draft invoice older than this was probably forgotten
LIST_LIMIT = 10  # rows listed per card (the counts and totals always cover every row)

Totals = dict[str, int]


# --- helpers ----------------------------------------------------------------------------------


def money_text(totals: Totals, empty: str = "-") -> str:
    """{"EUR": 12345, "USD": 500} -> "$5.00 + €123.45" (one formatted amount per currency)."""
    parts = [format_money(v, c) for c, v in sorted(totals.items()) if v]
    return " + ".join(parts) if parts else empty


def _totals(rows) -> Totals:
    return {cur: int(v or 0) for cur, v in rows if v}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _org_tz(session: Session) -> str:
    org = get_organisation(session)
    return (org.timezone if org else None) or "UTC"


def lead_days(session: Session) -> int:
    """N for "new leads untouched for more than N days": the pipeline's stale-days setting when
    the organisation set one, else 3 (the pipeline's own default, 14, suits deals, not leads)."""
    org = get_organisation(session)
    own = (org.settings or {}).get("insights_lead_days") if org else None  # Settings > Insights, when set
    if own is not None:
        return int(own)
    chosen = ((org.settings or {}).get("pipeline") or {}).get("stale_days") if org else None
    return pipeline.stale_days(session) if chosen is not None else DEFAULT_LEAD_DAYS


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


# --- 3. unbilled work -------------------------------------------------------------------------


def unbilled_work(session: Session, up_to: date | None = None, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Per project, the work done up to `up_to` that no live invoice line bills yet
    (`billing.service.unbilled_total`: approved billable time, reached milestones and fixed
    items, approved change orders, due retainer periods, billable expenses), computed for all
    projects at once by its set-based twin `billing.unbilled_totals` (one query per source kind)."""
    up_to = up_to or org_today(session)
    amounts = {pid: v for pid, v in unbilled_totals(session, None, up_to).items() if v}
    projects = []
    if amounts:
        rows = session.execute(
            select(Project.id, Project.name, Project.currency, Account.name.label("client"))
            .outerjoin(Account, Account.id == Project.account_id)
            .where(Project.id.in_(sorted(amounts)))
        ).all()
        for r in rows:
            amount = amounts[r.id]
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


# --- 6. the cycle this month ------------------------------------------------------------------


def month_bounds(today: date, tz: str) -> tuple[date, datetime]:
    """First day of `today`'s month, and its start as a UTC instant in the organisation's zone."""
    first = today.replace(day=1)
    return first, datetime.combine(first, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def cycle_figures(session: Session, today: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Pipeline open and weighted value (the board's rule: value x probability %, the deal's own
    probability else its stage's, summed exactly and rounded once), and this month's won deals,
    invoiced total and collected money (succeeded payments less refunds, by the organisation's
    calendar month)."""
    tz = _org_tz(session)
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(tz)).date()
    first, start = month_bounds(today, tz)

    prob = func.coalesce(Deal.probability, PipelineStage.probability)
    pipe = session.execute(
        select(
            Deal.currency, func.count(), func.sum(Deal.value_minor), func.sum(cast(Deal.value_minor, BigInteger) * prob)
        )
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(Deal.status == "open", PipelineStage.kind == "open")
        .group_by(Deal.currency)
    ).all()
    open_count = sum(int(r[1]) for r in pipe)

    won = session.execute(
        select(Deal.currency, func.count(), func.sum(Deal.value_minor))
        .where(Deal.status == "won", Deal.closed_at >= start)
        .group_by(Deal.currency)
    ).all()

    invoiced = session.execute(
        select(Invoice.currency, func.sum(Invoice.total_minor))
        .where(
            Invoice.kind != "credit_note",
            Invoice.status.not_in(("draft", "void")),
            Invoice.issue_date >= first,
            Invoice.issue_date <= today,
        )
        .group_by(Invoice.currency)
    ).all()

    received = or_(
        and_(Payment.received_on.is_not(None), Payment.received_on >= first, Payment.received_on <= today),
        and_(Payment.received_on.is_(None), Payment.created_at >= start),
    )
    # Credit applied to an invoice is money received earlier, not collected again; a reversed
    # payment is not money at all (its status is "reversed").
    paid = session.execute(
        select(Payment.currency, func.sum(Payment.amount_minor))
        .where(Payment.status == "succeeded", Payment.method != "credit", received)
        .group_by(Payment.currency)
    ).all()
    refunded = session.execute(
        select(Payment.currency, func.sum(Refund.amount_minor))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.created_at >= start)
        .group_by(Payment.currency)
    ).all()
    collected = _totals(paid)
    for cur, v in refunded:
        collected[cur] = collected.get(cur, 0) - int(v or 0)

    return {
        "month": first,
        "open_count": open_count,
        "open": _totals((r[0], r[2]) for r in pipe),
        "weighted": {r[0]: round_minor(Decimal(int(r[3] or 0)) / 100) for r in pipe if r[3]},
        "won_count": sum(int(r[1]) for r in won),
        "won": _totals((r[0], r[2]) for r in won),
        "invoiced": _totals(invoiced),
        "collected": {c: v for c, v in collected.items() if v},
    }


# --- the page ---------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def dashboard(session: Session, today: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything the Insights page shows, as display strings (pages never format money)."""
    tz = _org_tz(session)
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(tz)).date()
    leads = lead_gaps(session, now)
    hand = handoff_gaps(session)
    unbilled = unbilled_work(session, today)
    overdue = overdue_invoices(session, today)
    drafts = stale_drafts(session, now)
    unmatched = unmatched_payments(session)
    cycle = cycle_figures(session, today, now)
    credit = client_credit(session)
    from l2c_app.insights import ledger  # money, age and action of each leak (it reads this module)

    leak_rows = ledger.leaks(
        session,
        today,
        now,
        {
            "leads": leads,
            "hand": hand,
            "unbilled": unbilled,
            "overdue": overdue,
            "drafts": drafts,
            "unmatched": unmatched,
            "credit": credit,
        },
    )

    org = get_organisation(session)
    zero = format_money(0, org.currency if org else "EUR")

    def m(totals: Totals) -> str:
        return money_text(totals, zero)

    figures = {
        "month": cycle["month"].strftime("%B %Y"),
        "open": m(cycle["open"]),
        "open_count": str(cycle["open_count"]),
        "weighted": m(cycle["weighted"]),
        "won": m(cycle["won"]),
        "won_count": str(cycle["won_count"]),
        "invoiced": m(cycle["invoiced"]),
        "collected": m(cycle["collected"]),
        "unowned": str(leads["unowned"]),
        "lead_days": str(leads["days"]),
        "stale_leads": str(leads["stale"]),
        "quotes": str(hand["quotes"]),
        "quotes_total": m(hand["quotes_total"]),
        "contracts": str(hand["contracts"]),
        "unbilled": m(unbilled["totals"]),
        "unbilled_count": str(unbilled["count"]),
        "overdue": str(overdue["count"]),
        "overdue_open": m(overdue["open"]),
        "overdue_oldest": _days(overdue["oldest_days"]),
        "grace_days": str(overdue["grace_days"]),
        "drafts": str(drafts["count"]),
        "drafts_total": m(drafts["totals"]),
        "draft_days": str(drafts["days"]),
        "unmatched": str(unmatched["count"]),
        "unmatched_total": m(unmatched["totals"]),
        "credit": str(credit["count"]),
        "credit_total": m(credit["totals"]),
        "written_off": m(credit["written_off"]),
        "leaks": str(
            leads["unowned"]
            + leads["stale"]
            + hand["quotes"]
            + hand["contracts"]
            + unbilled["count"]
            + overdue["count"]
            + drafts["count"]
            + unmatched["count"]
        ),
    }

    def lead_row(r):
        return {
            "label": r["name"] + (f" ({r['company']})" if r["company"] else ""),
            "href": r["href"],
            "detail": f"{_days(r['days'])} old" + (f" · {r['owner']}" if r["owner"] else ""),
        }

    return {
        "figures": figures,
        "ledger": {r["key"]: r for r in ledger.display(leak_rows, org.currency if org else "EUR")},
        "unowned_leads": [lead_row(r) for r in leads["unowned_rows"]],
        "stale_leads": [lead_row(r) for r in leads["stale_rows"]],
        "quotes": [
            {
                "label": f"{r['deal']}: {r['title']}",
                "href": r["href"],
                "detail": format_money(r["total_minor"], r["currency"])
                + (f" · accepted {r['accepted']}" if r["accepted"] else ""),
            }
            for r in hand["quote_rows"]
        ],
        "contracts": [
            {
                "label": f"{r['deal']}: {r['title']}",
                "href": r["href"],
                "detail": f"signed {r['signed']}" if r["signed"] else "signed",
            }
            for r in hand["contract_rows"]
        ],
        "unbilled": [
            {
                "label": p["name"] + (f" ({p['client']})" if p["client"] else ""),
                "href": p["href"],
                "detail": format_money(p["amount_minor"], p["currency"]),
            }
            for p in unbilled["projects"]
        ],
        "overdue": [
            {
                "label": r["number"] + (f" · {r['client']}" if r["client"] else ""),
                "href": r["href"],
                "detail": f"{format_money(r['open_minor'], r['currency'])} open · {_days(r['days'])} overdue",
            }
            for r in overdue["rows"]
        ],
        "credits": [
            {
                "label": r["client"],
                "href": r["href"],
                "detail": f"{format_money(r['balance_minor'], r['currency'])} credit"
                + (
                    f" of {format_money(r['held_minor'], r['currency'])} overpaid"
                    if r["held_minor"] != r["balance_minor"]
                    else " overpaid"
                ),
            }
            for r in credit["rows"]
        ],
        "drafts": [
            {
                "label": f"Draft {r['id']}" + (f" · {r['client']}" if r["client"] else ""),
                "href": r["href"],
                "detail": f"{format_money(r['total_minor'], r['currency'])} · {_days(r['days'])} old",
            }
            for r in drafts["rows"]
        ],
    }
