"""What is billable: a project's candidates up to a day (approved billable time, reached
milestones and fixed items, approved change orders, due retainer periods, billable expenses)
that no live invoice line bills yet, and the unbilled total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, and_, cast, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing.common import BillingError, billing_settings
from l2c_app.billing.models import BilledSource
from l2c_app.core.lines import marked_up
from l2c_app.core.money import round_minor
from l2c_app.core.timeutil import org_today
from l2c_app.projects.models import (
    BudgetLine,
    ChangeOrder,
    Expense,
    Milestone,
    Project,
    Retainer,
    RetainerPeriod,
    TimeEntry,
)
from l2c_app.projects.service import retainer_period_amount
from l2c_app.quotes.models import TaxRate

# --- what is billable --------------------------------------------------------------------------


def live_link(source_type: str, id_col):
    """EXISTS a live billed-source link for the row (the unbilled test)."""
    return exists().where(
        BilledSource.source_type == source_type, BilledSource.source_id == id_col, BilledSource.released_at.is_(None)
    )


def _time_filter(project_id: int, up_to: date, approval_required: bool, exclude_ids: set[int] | None = None):
    conds = [
        TimeEntry.project_id == project_id,
        TimeEntry.billable.is_(True),
        TimeEntry.day <= up_to,
        ~live_link("time", TimeEntry.id),
    ]
    if approval_required:
        conds.append(TimeEntry.approved_at.is_not(None))
    if exclude_ids:
        conds.append(TimeEntry.id.not_in(sorted(exclude_ids)))
    return and_(*conds)


def ensure_retainer_periods(session: Session, project_id: int, up_to: date) -> int:
    """Create the RetainerPeriod rows of every month that has started by `up_to`."""
    made = 0
    for ret in session.exec(select(Retainer).where(Retainer.project_id == project_id, Retainer.active.is_(True))):
        have = set(session.exec(select(RetainerPeriod.period_start).where(RetainerPeriod.retainer_id == ret.id)))
        start = ret.start_date
        n = 0
        while True:
            month_start = _add_months(start, n)
            if month_start > up_to or (ret.months is not None and n >= ret.months):
                break
            if month_start not in have:
                # a fixed term's months share the quoted amount exactly (the first take the remainder)
                session.add(
                    RetainerPeriod(
                        retainer_id=ret.id, period_start=month_start, amount_minor=retainer_period_amount(ret, n)
                    )
                )
                made += 1
            n += 1
    if made:
        session.flush()
    return made


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Candidate:
    """One proposed line (before it is written): what the Create invoice dialog lists."""

    key: str  # "time:bl:3:12000", "time:entry:7", "milestone:4" ...
    source_type: str
    description: str
    quantity: Decimal
    unit: str
    unit_price_minor: int
    amount_minor: int
    tax_percent: Decimal
    tax_rate_id: int | None
    source_ids: list[int]
    tax_inclusive: bool = False  # the rate's tax is inside amount_minor

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "source_type": self.source_type,
            "description": self.description,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_price_minor": self.unit_price_minor,
            "amount_minor": self.amount_minor,
            "tax_percent": str(self.tax_percent),
            "tax_inclusive": self.tax_inclusive,
            "count": len(self.source_ids),
        }


def _tax_map(session: Session) -> dict[int, tuple[Decimal, bool]]:
    """tax rate id -> (percent, inclusive)."""
    return {t.id: (Decimal(t.percent), bool(t.inclusive)) for t in session.exec(select(TaxRate))}


NO_TAX = (Decimal(0), False)


def _cand(
    key: str,
    source_type: str,
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price_minor: int,
    amount_minor: int,
    taxes: dict[int, tuple[Decimal, bool]],
    tax_id: int | None,
    source_ids: list[int],
) -> Candidate:
    percent, inclusive = taxes.get(tax_id, NO_TAX) if tax_id else NO_TAX
    return Candidate(
        key,
        source_type,
        description,
        quantity,
        unit,
        unit_price_minor,
        amount_minor,
        percent,
        tax_id,
        source_ids,
        inclusive,
    )


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.001"))


def _grouped_time(
    session: Session,
    project_id: int,
    up_to: date,
    approval_required: bool,
    taxes: dict[int, tuple[Decimal, bool]],
    exclude_keys: set[str],
) -> list[Candidate]:
    """Approved time aggregated per budget line (role) and rate: one aggregate SELECT."""
    exact = func.sum(cast(TimeEntry.minutes, BigInteger) * TimeEntry.rate_minor)
    stmt = (
        sa_select(
            TimeEntry.budget_line_id,
            TimeEntry.rate_minor,
            func.sum(TimeEntry.minutes),
            exact,
            func.count(TimeEntry.id),
            BudgetLine.role,
            BudgetLine.tax_rate_id,
        )
        .select_from(TimeEntry)
        .outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
        .where(_time_filter(project_id, up_to, approval_required))
        .group_by(TimeEntry.budget_line_id, TimeEntry.rate_minor, BudgetLine.role, BudgetLine.tax_rate_id)
        .order_by(BudgetLine.role, TimeEntry.rate_minor)
    )
    out = []
    for bl_id, rate, minutes, exact_sum, count, role, tax_id in session.execute(stmt):
        key = f"time:bl:{bl_id or 0}:{rate}"
        if key in exclude_keys:
            continue
        amount = round_minor(Decimal(int(exact_sum)) / Decimal(60))
        out.append(
            _cand(
                key,
                "time",
                f"{role or 'Time'} ({count} {'entry' if count == 1 else 'entries'})",
                _hours(int(minutes)),
                "hour",
                int(rate),
                amount,
                taxes,
                tax_id,
                [],
            )
        )
    return out


def _itemised_time(
    session: Session,
    project_id: int,
    up_to: date,
    approval_required: bool,
    taxes: dict[int, tuple[Decimal, bool]],
    exclude_keys: set[str],
) -> list[Candidate]:
    stmt = (
        sa_select(
            TimeEntry.id,
            TimeEntry.day,
            TimeEntry.minutes,
            TimeEntry.rate_minor,
            TimeEntry.note,
            BudgetLine.role,
            BudgetLine.tax_rate_id,
        )
        .select_from(TimeEntry)
        .outerjoin(BudgetLine, BudgetLine.id == TimeEntry.budget_line_id)
        .where(_time_filter(project_id, up_to, approval_required))
        .order_by(TimeEntry.day, TimeEntry.id)
    )
    out = []
    for te_id, day, minutes, rate, note, role, tax_id in session.execute(stmt):
        key = f"time:entry:{te_id}"
        if key in exclude_keys:
            continue
        desc = f"{day.isoformat()} {role or 'Time'}" + (f": {note}" if note else "")
        out.append(
            _cand(
                key,
                "time",
                desc[:500],
                _hours(minutes),
                "hour",
                rate,
                round_minor(Decimal(minutes) * rate / Decimal(60)),
                taxes,
                tax_id,
                [te_id],
            )
        )
    return out


def _other_candidates(
    session: Session, project: Project, up_to: date, taxes: dict[int, tuple[Decimal, bool]], exclude_keys: set[str]
) -> list[Candidate]:
    pid = project.id
    out: list[Candidate] = []

    def add(
        source_type: str,
        sid: int,
        desc: str,
        amount: int,
        tax_id: int | None,
        qty=Decimal(1),
        unit="unit",
        unit_price: int | None = None,
    ) -> None:
        key = f"{source_type}:{sid}"
        if key not in exclude_keys:
            out.append(
                _cand(
                    key,
                    source_type,
                    desc[:500],
                    qty,
                    unit,
                    amount if unit_price is None else unit_price,
                    amount,
                    taxes,
                    tax_id,
                    [sid],
                )
            )

    ms = select(Milestone).where(
        Milestone.project_id == pid,
        ~live_link("milestone", Milestone.id),
        or_(
            Milestone.kind == "fixed",
            and_(
                Milestone.kind == "milestone",
                Milestone.status == "reached",
                or_(Milestone.reached_on.is_(None), Milestone.reached_on <= up_to),
            ),
        ),
    )
    for m in session.exec(ms.order_by(Milestone.id)):
        add(
            "milestone",
            m.id,
            m.name if m.kind == "fixed" else f"Milestone reached: {m.name}",
            m.amount_minor,
            m.tax_rate_id,
        )
    # An hours change order is billed through its time (its budget line), never as an item too.
    cos = select(ChangeOrder).where(
        ChangeOrder.project_id == pid,
        ChangeOrder.status == "approved",
        ChangeOrder.kind == "fixed",
        ~live_link("change_order", ChangeOrder.id),
    )
    for co in session.exec(cos.order_by(ChangeOrder.number, ChangeOrder.id)):
        first_line = (co.description or "").strip().splitlines()[0] if co.description else ""
        key = f"change_order:{co.id}"
        if key not in exclude_keys:
            # The rate the client approved (kept on the change order), not today's rate row.
            out.append(
                Candidate(
                    key,
                    "change_order",
                    f"Change order #{co.number}: {first_line}"[:500],
                    Decimal(1),
                    "unit",
                    co.amount_minor,
                    co.amount_minor,
                    Decimal(co.tax_percent or 0),
                    co.tax_rate_id,
                    [co.id],
                    bool(co.tax_inclusive),
                )
            )
    rps = (
        select(RetainerPeriod, Retainer)
        .join(Retainer, Retainer.id == RetainerPeriod.retainer_id)
        .where(
            Retainer.project_id == pid,
            RetainerPeriod.period_start <= up_to,
            ~live_link("retainer_period", RetainerPeriod.id),
        )
    )
    for rp, ret in session.exec(rps.order_by(RetainerPeriod.period_start, RetainerPeriod.id)):
        add(
            "retainer_period",
            rp.id,
            f"{ret.name}: {rp.period_start:%B %Y}",
            rp.amount_minor,
            ret.tax_rate_id,
            unit="month",
        )
    exps = select(Expense).where(
        Expense.project_id == pid, Expense.billable.is_(True), Expense.day <= up_to, ~live_link("expense", Expense.id)
    )
    for e in session.exec(exps.order_by(Expense.day, Expense.id)):
        # Billed at its amount plus its markup (core.lines.marked_up: rounded once); taxed by the line rule.
        add(
            "expense",
            e.id,
            f"Expense {e.day.isoformat()}: {e.description}",
            marked_up(e.amount_minor, e.markup_percent or 0),
            e.tax_rate_id,
        )
    return out


def unbilled_candidates(
    session: Session,
    project_id: int,
    up_to: date,
    itemise: bool | None = None,
    exclude_keys: set[str] | None = None,
    create_periods: bool = True,
    only_types: set[str] | None = None,
) -> list[Candidate]:
    """Every billable item of the project not yet billed, up to `up_to` (what the dialog proposes)."""
    project = _project(session, project_id)
    cfg = billing_settings(session)
    itemise = cfg["itemise_time"] if itemise is None else itemise
    exclude_keys = exclude_keys or set()
    if create_periods:
        ensure_retainer_periods(session, project_id, up_to)
    taxes = _tax_map(session)
    approval = bool(cfg["time_approval_required"])
    time = (_itemised_time if itemise else _grouped_time)(session, project_id, up_to, approval, taxes, exclude_keys)
    out = time + _other_candidates(session, project, up_to, taxes, exclude_keys)
    # Nothing of zero value is billed: a 0.00 line would only draft an invoice that can
    # never be issued (its sources stay unlinked and are worth nothing).
    return [c for c in out if c.amount_minor != 0 and (only_types is None or c.source_type in only_types)]


def unbilled_total(session: Session, project_id: int, up_to: date | None = None) -> int:
    up_to = up_to or org_today(session)
    return sum(
        c.amount_minor for c in unbilled_candidates(session, project_id, up_to, itemise=False, create_periods=False)
    )


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise BillingError(f"No project {project_id}", "project_id", kind="not_found")
    return project
