"""Margin and utilisation (issue 17), counted with set-based SQL in minor units per currency.

Margin of a group (a project, a client or a month) over [date_from, date_to]:

    revenue  = billed + unbilled
      billed   = net amounts (inclusive tax taken out) of invoice lines of issued invoices
                 (not draft, not void) dated in the range; a credit note's lines count
                 against it unless it credits a whole invoice that is void (then neither counts);
      unbilled = billing's own `unbilled_total(project, up_to=date_to)` (never re-derived here):
                 work not billed yet is revenue to come; by month it falls in date_to's month;
    cost     = time + expenses
      time     = per group, round(sum(minutes x cost rate in effect on the entry's day) / 60),
                 in the cost rate's currency (time of a person without a rate costs nothing and
                 is reported as `uncosted_minutes`);
      expenses = every expense (billable or not) dated in the range, net of tax;
    margin   = revenue - cost, per currency (amounts of different currencies are never added).

Utilisation of a person = billable hours / capacity, capacity = the organisation's
`capacity_hours_per_week` (default 40) x days of the range (or of the week inside it) / 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.unbilled_totals import unbilled_totals
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import DomainError
from l2c_app.core.formats import week_start
from l2c_app.core.models import User
from l2c_app.core.money import round_minor
from l2c_app.pipeline.models import Account
from l2c_app.projects.models import CostRate, Expense, Project, TimeEntry

MARGIN_GROUPS = ("project", "client", "month")
UTILISATION_GROUPS = ("person", "week")
CAPACITY_KEY = "capacity_hours_per_week"
DEFAULT_CAPACITY = 40


@dataclass
class MarginRow:
    key: str
    label: str
    currency: str
    billed_minor: int = 0
    unbilled_minor: int = 0
    time_cost_minor: int = 0
    expense_minor: int = 0
    uncosted_minutes: int = 0
    time_exact: int = field(default=0, repr=False)  # sum(minutes x rate), rounded once at the end

    @property
    def revenue_minor(self) -> int:
        return self.billed_minor + self.unbilled_minor

    @property
    def margin_minor(self) -> int:
        return self.revenue_minor - self.time_cost_minor - self.expense_minor


def capacity_hours(session: Session) -> int:
    org = get_organisation(session)
    return int((org.settings or {}).get(CAPACITY_KEY, DEFAULT_CAPACITY)) if org else DEFAULT_CAPACITY


def save_capacity_hours(session: Session, actor: Actor, hours: int) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
        raise DomainError("Capacity is a whole number of hours per week, 1 to 168", CAPACITY_KEY)
    org = get_organisation(session)
    if org is None:
        raise DomainError("The organisation is not set up yet")
    org.settings = {**(org.settings or {}), CAPACITY_KEY: hours}
    session.add(org)
    record_action(session, actor, "organisation", org.id, "capacity", {CAPACITY_KEY: hours})
    session.flush()
    return hours


def _check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise DomainError("'to' is on or after 'from'", "to")
    if (date_to - date_from).days > 3700:
        raise DomainError("At most ten years at once", "from")


def _month(session: Session, col):
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", col)
    return func.to_char(col, "YYYY-MM")


def _key(session: Session, group: str, day_col):
    if group == "project":
        return cast(Project.id, BigInteger)
    if group == "client":
        return func.coalesce(Project.account_id, 0)
    return _month(session, day_col)


def margin(session: Session, date_from: date, date_to: date, group: str = "project") -> list[MarginRow]:
    if group not in MARGIN_GROUPS:
        raise DomainError(f"group is one of {', '.join(MARGIN_GROUPS)}", "group")
    _check_range(date_from, date_to)
    rows: dict[tuple[str, str], MarginRow] = {}

    def row(key, currency: str) -> MarginRow:
        k = (str(key), currency)
        if k not in rows:
            rows[k] = MarginRow(str(key), str(key), currency)
        return rows[k]

    # billed revenue: one aggregate over issued invoice lines
    credited = aliased(Invoice)
    net = InvoiceLine.amount_minor - case((InvoiceLine.tax_inclusive.is_(True), InvoiceLine.tax_minor), else_=0)
    counted = or_(
        Invoice.kind != "credit_note",
        ~exists().where(credited.id == Invoice.credit_for_invoice_id, credited.status == "void"),
    )
    k = _key(session, group, Invoice.issue_date)
    stmt = (
        select(k, Invoice.currency, func.sum(net))
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Project, Project.id == InvoiceLine.project_id)
        .where(
            Invoice.status.not_in(("draft", "void")),
            Invoice.issue_date >= date_from,
            Invoice.issue_date <= date_to,
            counted,
        )
        .group_by(k, Invoice.currency)
    )
    for key, cur, amount in session.execute(stmt):
        row(key, cur).billed_minor += int(amount or 0)
    # unbilled: billing's own figure per project, as of date_to, for every project at once through
    # its twin-tested set-based path (`billing.unbilled_totals`, equal to `unbilled_total` per project)
    amounts = {pid: v for pid, v in unbilled_totals(session, None, date_to).items() if v}
    projects = session.execute(select(Project.id, Project.account_id, Project.currency)).all() if amounts else []
    for pid, account_id, cur in projects:
        amount = amounts.get(pid, 0)
        if amount:
            key = pid if group == "project" else (account_id or 0) if group == "client" else date_to.strftime("%Y-%m")
            row(key, cur).unbilled_minor += amount
    # cost of time: the rate whose effective_from is the latest on or before the entry's day
    # (each rate runs until the next one of the same person: one range join, no anti-join per entry;
    # effective_from is unique per person, so the ranges never overlap). The next rate's day is a
    # MIN over a self-join, not a window function: a window makes PostgreSQL scan the million
    # entries in one process, an aggregate lets it split the scan over parallel workers (3x).
    later = aliased(CostRate)
    rate = (
        select(
            CostRate.id,
            CostRate.user_id,
            CostRate.effective_from,
            CostRate.amount_minor,
            CostRate.currency,
            func.min(later.effective_from).label("until"),
        )
        .outerjoin(later, and_(later.user_id == CostRate.user_id, later.effective_from > CostRate.effective_from))
        .group_by(CostRate.id, CostRate.user_id, CostRate.effective_from, CostRate.amount_minor, CostRate.currency)
        .subquery("rate")
    )
    in_effect = and_(
        rate.c.user_id == TimeEntry.user_id,
        rate.c.effective_from <= TimeEntry.day,
        or_(rate.c.until.is_(None), TimeEntry.day < rate.c.until),
    )
    # by project or month the entry carries its key: no join to the projects (only clients need it)
    k = cast(TimeEntry.project_id, BigInteger) if group == "project" else _key(session, group, TimeEntry.day)
    stmt = select(
        k,
        rate.c.currency,
        func.sum(cast(TimeEntry.minutes, BigInteger) * rate.c.amount_minor),
        func.sum(case((rate.c.id.is_(None), TimeEntry.minutes), else_=0)),
    ).select_from(TimeEntry)
    if group == "client":
        stmt = stmt.join(Project, Project.id == TimeEntry.project_id)
    stmt = (
        stmt.outerjoin(rate, in_effect)
        .where(TimeEntry.day >= date_from, TimeEntry.day <= date_to)
        .group_by(k, rate.c.currency)
    )
    uncosted_currency = _uncosted_currency(session, group)
    for key, cur, exact, uncosted in session.execute(stmt):
        if cur is None:  # no rate: report the minutes against the project's currency row
            row(key, uncosted_currency(key)).uncosted_minutes += int(uncosted or 0)
            continue
        row(key, cur).time_exact += int(exact or 0)
    # expenses: all of them (billable ones come back as revenue when billed)
    k = _key(session, group, Expense.day)
    stmt = (
        select(k, Project.currency, func.sum(Expense.amount_minor))
        .select_from(Expense)
        .join(Project, Project.id == Expense.project_id)
        .where(Expense.day >= date_from, Expense.day <= date_to)
        .group_by(k, Project.currency)
    )
    for key, cur, amount in session.execute(stmt):
        row(key, cur).expense_minor += int(amount or 0)
    for r in rows.values():
        r.time_cost_minor = round_minor(Decimal(r.time_exact) / 60)
    _label(session, group, rows.values())
    return sorted(rows.values(), key=lambda r: (r.label.lower(), r.key, r.currency))


def _uncosted_currency(session: Session, group: str):
    """Where minutes without a cost rate are reported: the project's currency, else the
    organisation's (both read once, on the first such group, not once per group)."""
    found: dict[str, object] = {}

    def currency(key) -> str:
        if not found:
            org = get_organisation(session)
            found["org"] = org.currency if org else "EUR"
            found["projects"] = (
                dict(session.execute(select(Project.id, Project.currency)).all()) if group == "project" else {}
            )
        projects: dict = found["projects"]  # type: ignore[assignment]
        return projects.get(int(key), found["org"]) if group == "project" else str(found["org"])

    return currency


def _label(session: Session, group: str, rows) -> None:
    rows = list(rows)
    if group == "month":
        return
    ids = {int(r.key) for r in rows}
    model = Project if group == "project" else Account
    stmt = select(model.id, model.name)
    if len(ids) <= 500:  # else every name is read: no thousands of ids bound into the SQL
        stmt = stmt.where(model.id.in_(ids))
    names = dict(session.execute(stmt).all())
    if group == "client":
        names[0] = "No client"
    for r in rows:
        r.label = names.get(int(r.key), r.key)


@dataclass
class UtilisationRow:
    user_id: int
    name: str
    period: str  # "" for the whole range, else the week's first day (ISO)
    billable_minutes: int
    total_minutes: int
    capacity_minutes: int

    @property
    def utilisation_percent(self) -> Decimal | None:
        if not self.capacity_minutes:
            return None
        exact = Decimal(self.billable_minutes) * 100 / Decimal(self.capacity_minutes)
        return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # half-up, as every figure here


def utilisation(session: Session, date_from: date, date_to: date, group: str = "person") -> list[UtilisationRow]:
    """Every person who logged time in the range: one aggregate per person and day, folded into weeks."""
    if group not in UTILISATION_GROUPS:
        raise DomainError(f"group is one of {', '.join(UTILISATION_GROUPS)}", "group")
    _check_range(date_from, date_to)
    per_week = capacity_hours(session) * 60
    billable = func.sum(case((TimeEntry.billable.is_(True), TimeEntry.minutes), else_=0))
    stmt = (
        select(TimeEntry.user_id, User.name, TimeEntry.day, billable, func.sum(TimeEntry.minutes))
        .join(User, User.id == TimeEntry.user_id)
        .where(TimeEntry.day >= date_from, TimeEntry.day <= date_to)
        .group_by(TimeEntry.user_id, User.name, TimeEntry.day)
    )
    acc: dict[tuple[int, str], list] = {}
    for uid, name, day, bill, total in session.execute(stmt):
        period = "" if group == "person" else week_start(day).isoformat()
        slot = acc.setdefault((uid, period), [name, 0, 0])
        slot[1] += int(bill or 0)
        slot[2] += int(total or 0)

    def capacity(period: str) -> int:
        if not period:
            days = (date_to - date_from).days + 1
        else:
            start = date.fromisoformat(period)
            days = (min(date_to, start + timedelta(days=6)) - max(date_from, start)).days + 1
        return round_minor(Decimal(per_week) * days / 7)

    out = [UtilisationRow(uid, v[0], period, v[1], v[2], capacity(period)) for (uid, period), v in acc.items()]
    return sorted(out, key=lambda r: (r.name.lower(), r.user_id, r.period))


__all__ = [
    "MARGIN_GROUPS",
    "UTILISATION_GROUPS",
    "MarginRow",
    "UtilisationRow",
    "capacity_hours",
    "margin",
    "save_capacity_hours",
    "utilisation",
]
