"""Cash forecast: the money expected in each of the next weeks, read from the records.

No table and no write. Weeks are the organisation's (`core.formats.week_start`, its locale's
first weekday), counted from the organisation's today (`core.timeutil.org_today`). Each amount
is integer minor units in its own currency, in one of five parts kept apart:

- `overdue`: open invoices whose expected payment day has already passed: expected today.
- `invoiced`: open invoices (sent or partially paid, billing's open amount) expected on
  their due date + the client's lateness.
- `scheduled`: not invoiced yet and not done yet: planned milestones by their due date, and
  retainer months by their first day; expected on that day + the client's terms + lateness.
- `unbilled`: work done that no live invoice bills (billing's own `unbilled_total` per
  project, read for all at once by its set-based twin `billing.unbilled_totals`); billed today,
  so expected today + terms + lateness.
- `pipeline`: open deals by expected close, value x probability (the deal's own, else its
  stage's), summed exactly per week and currency and rounded once (the board's rule).

The rules, stated once:
- Lateness of a client = the median (lower median: a day that happened) of the days late of its
  paid invoices (the last payment's day - the due date), an early payment counting as 0; 0 when
  the client has no paid invoice.
- Terms of not-yet-invoiced money = the client's payment terms, else the organisation's invoice
  terms (Settings > Billing).
- A day before today becomes today (late money is expected now, never in the past); a day after
  the last week is outside the forecast. Milestones with no due date and deals with no expected
  close are counted, not placed (`notes`).

Every query is set-based (one per source), billing's unbilled figure included.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, case, cast, func, or_, select
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.billable import _add_months
from l2c_app.billing.models import Invoice
from l2c_app.billing.unbilled_totals import unbilled_totals
from l2c_app.core import formats
from l2c_app.core.errors import DomainError
from l2c_app.core.money import round_minor
from l2c_app.core.timeutil import org_today
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account, Deal, PipelineStage
from l2c_app.projects.models import Milestone, Project, Retainer, RetainerPeriod
from l2c_app.projects.service import retainer_period_amount

_ID_LIST_LIMIT = 500  # above this many ids, read the rows unfiltered and keep the wanted ones
PARTS = ("overdue", "invoiced", "scheduled", "unbilled", "pipeline")
PART_LABELS = {
    "overdue": "Overdue invoices",
    "invoiced": "Open invoices",
    "scheduled": "Milestones and retainers",
    "unbilled": "Unbilled work",
    "pipeline": "Weighted pipeline",
}
WEEKS = 13
MAX_WEEKS = 53
EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)  # `from`/`to` bounds (no date arithmetic overflow)


class Item(NamedTuple):
    """One expected amount: its part, currency, day, client and minor units (pipeline: x100).
    A tuple: tens of thousands are built per forecast."""

    part: str
    currency: str
    day: date
    account_id: int | None
    amount: int


# --- lateness and terms -------------------------------------------------------------------------


def days_late(session: Session, tz: str = "UTC") -> dict[int, list[int]]:
    """Per client, the days late of each paid invoice (its last succeeded payment's day - due date)."""
    rows = session.execute(
        select(
            Invoice.account_id,
            Invoice.due_date,
            func.max(Payment.received_on).label("on"),
            func.max(case((Payment.received_on.is_(None), Payment.created_at))).label("at"),
        )
        .join(Payment, Payment.invoice_id == Invoice.id)
        .where(
            Invoice.status == "paid",
            Invoice.kind != "credit_note",
            Invoice.due_date.is_not(None),
            Invoice.account_id.is_not(None),
            Payment.status == "succeeded",
        )
        .group_by(Invoice.id, Invoice.account_id, Invoice.due_date)
    ).all()
    out: dict[int, list[int]] = {}
    for r in rows:
        days = [d for d in (r.on, _local_day(r.at, tz)) if d is not None]
        if days:
            out.setdefault(r.account_id, []).append((max(days) - r.due_date).days)
    return out


def _local_day(value: datetime | None, tz: str) -> date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).date()


def lateness(samples: list[int]) -> int:
    """THE lateness rule: lower median of the days late, early payments as 0; 0 with no history."""
    return statistics.median_low([max(0, d) for d in samples]) if samples else 0


def client_lateness(session: Session, tz: str = "UTC") -> dict[int, int]:
    return {acc: lateness(days) for acc, days in days_late(session, tz).items()}


def _terms(session: Session) -> tuple[int, dict[int, int]]:
    """The organisation's invoice terms (days) and each client's own where set."""
    org_days = billing.TERMS.get(billing.billing_settings(session)["invoice_terms"], 30)
    own = session.execute(select(Account.id, Account.payment_terms).where(Account.payment_terms.is_not(None))).all()
    return org_days, {a: billing.TERMS[t] for a, t in own if t in billing.TERMS}


# --- the sources ----------------------------------------------------------------------------------


def _open_invoices(session: Session) -> list[tuple[int | None, str, date, int]]:
    """Open amounts summed in SQL per client, currency and due day (the due date, else issue date
    + the invoice's terms: grouped on those columns, so the day is computed once per group in
    Python, portable to SQLite). The lateness rule is applied to these groups by `items`."""
    open_minor = billing.open_minor_sql()
    rows = session.execute(
        select(
            Invoice.account_id,
            Invoice.currency,
            Invoice.due_date,
            Invoice.issue_date,
            Invoice.terms_days,
            func.sum(open_minor).label("open_minor"),
        )
        .where(Invoice.status.in_(billing.OPEN_STATUSES), Invoice.kind != "credit_note", open_minor > 0)
        .where(or_(Invoice.due_date.is_not(None), Invoice.issue_date.is_not(None)))
        .group_by(Invoice.account_id, Invoice.currency, Invoice.due_date, Invoice.issue_date, Invoice.terms_days)
    ).all()
    return [
        (acc, cur, due or (issued + timedelta(days=terms)), int(amount))
        for acc, cur, due, issued, terms, amount in rows
    ]


def _planned_milestones(session: Session) -> tuple[list[tuple[int | None, str, date, int]], int]:
    cond = and_(
        Milestone.kind == "milestone",
        Milestone.status != "reached",
        Milestone.amount_minor != 0,
        ~billing.live_link("milestone", Milestone.id),
    )
    rows = session.execute(
        select(Project.account_id, Project.currency, Milestone.due_date, Milestone.amount_minor)
        .join(Project, Project.id == Milestone.project_id)
        .where(cond)
    ).all()
    dated = [(r.account_id, r.currency, r.due_date, int(r.amount_minor)) for r in rows if r.due_date]
    return dated, len(rows) - len(dated)


def _retainer_months(session: Session, today: date, last: date) -> list[tuple[int | None, str, date, int]]:
    """Months of active retainers up to `last` that nothing else counts: a month with a period row
    that started by today is billing's unbilled work (or billed); a billed month is skipped."""
    rets = session.execute(
        select(Retainer, Project.account_id, Project.currency)
        .join(Project, Project.id == Retainer.project_id)
        .where(Retainer.active.is_(True), Retainer.start_date <= last)
    ).all()
    if not rets:
        return []
    ids = [r[0].id for r in rets]
    periods = {
        (p.retainer_id, p.period_start): p.linked
        for p in session.execute(
            select(
                RetainerPeriod.retainer_id,
                RetainerPeriod.period_start,
                billing.live_link("retainer_period", RetainerPeriod.id).label("linked"),
            ).where(RetainerPeriod.retainer_id.in_(ids))
        ).all()
    }
    out = []
    for ret, account_id, currency in rets:
        n = 0
        while ret.months is None or n < ret.months:
            start = _add_months(ret.start_date, n)
            if start > last:
                break
            key = (ret.id, start)
            counted = key in periods and (periods[key] or start <= today)
            amount = retainer_period_amount(ret, n)
            if not counted and amount:
                out.append((account_id, currency, start, amount))
            n += 1
    return out


def _unbilled(session: Session, today: date) -> list[tuple[int | None, str, int]]:
    """(client, currency, amount) per project with unbilled work: billing's figure for every
    project at once (`billing.unbilled_totals`, unbilled_total's twin)."""
    amounts = {pid: v for pid, v in unbilled_totals(session, None, today).items() if v}
    if not amounts:
        return []
    stmt = select(Project.id, Project.account_id, Project.currency)
    if len(amounts) <= _ID_LIST_LIMIT:
        stmt = stmt.where(Project.id.in_(sorted(amounts)))
    return [(acc, cur, amounts[pid]) for pid, acc, cur in session.execute(stmt) if pid in amounts]


def _pipeline(session: Session) -> tuple[list[tuple[int | None, str, date, int]], int]:
    """Open deals: (client, currency, expected close, value x probability %, exact), summed per
    client, currency and day in SQL (exact integers: a sum per day is the sum of its deals), and
    the number of deals with no expected close."""
    prob = func.coalesce(Deal.probability, PipelineStage.probability)
    rows = session.execute(
        select(
            Deal.account_id,
            Deal.currency,
            Deal.expected_close,
            func.sum(cast(Deal.value_minor, BigInteger) * prob).label("exact"),
            func.count().label("n"),
        )
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(Deal.status == "open", PipelineStage.kind == "open", Deal.value_minor > 0)
        .group_by(Deal.account_id, Deal.currency, Deal.expected_close)
    ).all()
    dated = [(r.account_id, r.currency, r.expected_close, int(r.exact or 0)) for r in rows if r.expected_close]
    return dated, sum(int(r.n) for r in rows if not r.expected_close)


# --- the forecast -------------------------------------------------------------------------------


def items(session: Session, today: date, last: date) -> tuple[list[Item], dict[str, int], dict[int, int]]:
    """Every expected amount (days clamped to today), the notes and the clients' lateness."""
    tz = formats.org_zone(session)
    lag = client_lateness(session, tz)
    org_terms, own_terms = _terms(session)

    def later(account_id: int | None) -> int:
        return lag.get(account_id, 0) if account_id is not None else 0

    def terms(account_id: int | None) -> int:
        return own_terms.get(account_id, org_terms) if account_id is not None else org_terms

    out: list[Item] = []
    for acc, cur, due, amount in _open_invoices(session):
        day = due + timedelta(days=later(acc))
        out.append(Item("overdue" if day < today else "invoiced", cur, max(day, today), acc, amount))
    milestones, undated_milestones = _planned_milestones(session)
    for acc, cur, billable, amount in milestones + _retainer_months(session, today, last):
        out.append(Item("scheduled", cur, max(billable, today) + timedelta(days=terms(acc) + later(acc)), acc, amount))
    for acc, cur, amount in _unbilled(session, today):
        out.append(Item("unbilled", cur, today + timedelta(days=terms(acc) + later(acc)), acc, amount))
    deals, undated_deals = _pipeline(session)
    for acc, cur, close, exact in deals:
        out.append(Item("pipeline", cur, max(close, today), acc, exact))
    return out, {"undated_milestones": undated_milestones, "undated_deals": undated_deals}, lag


def _round_parts(parts: dict[str, int]) -> dict[str, int]:
    """Pipeline sums are exact (x100); round once. Adds the total."""
    out = {p: parts.get(p, 0) for p in PARTS}
    out["pipeline"] = round_minor(Decimal(out["pipeline"]) / 100)
    out["total"] = sum(out[p] for p in PARTS)
    return out


def window(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    weeks: int | None = None,
    today: date | None = None,
) -> tuple[date, date, date]:
    """(today, first day of the first week, last day of the last week): `start` defaults to today,
    `end` to the end of `weeks` (13) weeks; both snap to whole weeks."""
    today = today or org_today(session)
    for day, field in ((start, "from"), (end, "to")):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise DomainError(f"Choose a day between {EARLIEST.isoformat()} and {LATEST.isoformat()}.", field)
    fmt = formats.formats(session)
    first = formats.week_start(start or today, fmt)
    if end is not None and weeks is not None:
        raise DomainError("Give either an end date or a number of weeks, not both.", "weeks")
    if end is not None:
        if end < first:
            raise DomainError("The end date is before the start date.", "to")
        n = (formats.week_start(end, fmt) - first).days // 7 + 1
    else:
        n = WEEKS if weeks is None else weeks
    if not 1 <= n <= MAX_WEEKS:
        raise DomainError(f"The forecast covers 1 to {MAX_WEEKS} weeks.", "weeks")
    return today, first, first + timedelta(days=7 * n - 1)


def forecast(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    weeks: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The weeks, each with its parts per currency (minor units), the totals and the rules' inputs."""
    today, first, last = window(session, start, end, weeks, today)
    found, notes, lag = items(session, today, last)
    n = (last - first).days // 7 + 1
    sums: list[dict[str, dict[str, int]]] = [{} for _ in range(n)]
    by_client: dict[tuple[int | None, str], dict[str, int]] = {}
    for it in found:
        if not first <= it.day <= last:
            continue
        week = sums[(it.day - first).days // 7].setdefault(it.currency, {})
        week[it.part] = week.get(it.part, 0) + it.amount
        mine = by_client.setdefault((it.account_id, it.currency), {})
        mine[it.part] = mine.get(it.part, 0) + it.amount
    currencies = sorted({c for w in sums for c in w})
    out_weeks = []
    totals: dict[str, dict[str, int]] = {c: {p: 0 for p in (*PARTS, "total")} for c in currencies}
    for i, w in enumerate(sums):
        amounts = {c: _round_parts(parts) for c, parts in sorted(w.items())}
        for c, parts in amounts.items():
            for k, v in parts.items():
                totals[c][k] += v
        out_weeks.append(
            {"start": first + timedelta(days=7 * i), "end": first + timedelta(days=7 * i + 6), "amounts": amounts}
        )
    wanted = {a for a, _ in by_client if a is not None}
    names_stmt = select(Account.id, Account.name)
    if len(wanted) <= _ID_LIST_LIMIT:  # else every name: no thousands of ids bound into the SQL
        names_stmt = names_stmt.where(Account.id.in_(wanted))
    names = dict(session.execute(names_stmt).all()) if wanted else {}
    clients = [
        {
            "account_id": acc,
            "client": names.get(acc, "No client") if acc else "No client",
            "currency": cur,
            "lateness_days": lag.get(acc, 0) if acc else 0,
            **_round_parts(parts),
        }
        for (acc, cur), parts in by_client.items()
    ]
    clients.sort(key=lambda c: (c["currency"], -c["total"], c["client"]))
    return {
        "today": today,
        "from": first,
        "to": last,
        "weeks": out_weeks,
        "currencies": currencies,
        "totals": totals,
        "clients": clients,
        "notes": notes,
    }


# --- CSV ----------------------------------------------------------------------------------------


def forecast_csv(data: dict[str, Any]) -> str:
    """One row per week and currency: the parts in minor units and as amounts; cells through
    `core.csvsafe.safe_cell` (no cell a spreadsheet would run as a formula)."""
    import csv
    import io

    from l2c_app.core.csvsafe import safe_cell
    from l2c_app.core.money import to_major

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "week_start",
            "week_end",
            "currency",
            *[f"{p}_minor" for p in (*PARTS, "total")],
            *[p for p in (*PARTS, "total")],
        ]
    )
    for w in data["weeks"]:
        for cur, parts in w["amounts"].items():
            keys = (*PARTS, "total")
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        w["start"].isoformat(),
                        w["end"].isoformat(),
                        cur,
                        *[parts[k] for k in keys],
                        *[str(to_major(parts[k], cur)) for k in keys],
                    )
                ]
            )
    return buf.getvalue()
