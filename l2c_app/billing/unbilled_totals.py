"""The unbilled figure of many projects at once: the set-based twin of `service.unbilled_total`.

`unbilled_total(session, p, up_to)` sums `unbilled_candidates(p, up_to, itemise=False,
create_periods=False)`: about eight queries per project, which is 37 s for the Insights
dashboard at 2,500 projects. This module computes the same figure for every project in five
queries, one per kind of source, grouped by project, each with the same unbilled test
(`service.live_link`: NOT EXISTS a live billed-source link) and the same filters:

- time: billable entries up to the date (approved ones only when the organisation asks for
  approval), grouped per budget line and rate as `_grouped_time` groups them; each group's
  money is `core.lines.time_amount(minutes, rate)` (= round(sum(minutes x rate) / 60) as the
  grouped line rounds it: the rate is one per group), applied in Python to the group rows, so
  the rounding rule is the one rule, never re-written in SQL;
- fixed items (any status) and reached milestones (reached on or before the date, or undated);
- approved fixed change orders (an hours change order is billed through its time);
- retainer periods that exist and started by the date: periods not yet created are not
  counted, as `create_periods=False` does not create them;
- billable expenses up to the date (a marked-up one at `core.lines.marked_up`, row by row).

A candidate of zero value is left out by `unbilled_candidates`; it adds nothing to a sum, so
plain SUMs agree. `tests/billing/test_unbilled_totals_twin.py` runs both paths on the same
worlds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, or_, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from l2c_app.billing.service import billing_settings, live_link
from l2c_app.core.lines import marked_up, time_amount
from l2c_app.projects.models import ChangeOrder, Expense, Milestone, Retainer, RetainerPeriod, TimeEntry

# Above this many ids the filter is applied in Python (SQLite's bound-parameter limit; the
# queries scan the source tables either way).
_IN_LIMIT = 2000


@dataclass
class UnbilledFigures:
    """What one pass over the sources gives: each project's unbilled total, and the oldest day of
    its unbilled time (read in the same grouped query, so a caller that needs both, e.g. the
    Insights leak ledger, does not run the anti-join over every time entry twice)."""

    totals: dict[int, int]
    oldest_time: dict[int, date] = field(default_factory=dict)


def unbilled_totals(session: Session, project_ids: list[int] | None, up_to: date) -> dict[int, int]:
    """project id -> unbilled minor units up to `up_to` (the project's currency), equal to
    `service.unbilled_total(session, id, up_to)` for each.

    With `project_ids`, every id asked is a key (0 when nothing is unbilled); with None, the
    keys are the projects that have at least one unbilled source."""
    return unbilled_figures(session, project_ids, up_to).totals


def unbilled_figures(session: Session, project_ids: list[int] | None, up_to: date) -> UnbilledFigures:
    """`unbilled_totals`, plus per project the oldest day of unbilled billable time (the same
    entries the total counts)."""
    ids = None if project_ids is None else sorted(set(project_ids))
    totals: dict[int, int] = defaultdict(int)
    oldest: dict[int, date] = {}
    if ids is not None:
        for pid in ids:
            totals[pid] = 0
        if not ids:
            return UnbilledFigures({})
    in_sql = ids is not None and len(ids) <= _IN_LIMIT

    def scoped(project_col: Mapped[int], *conds: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(project_col.in_(ids or []), *conds) if in_sql else and_(*conds)

    # time: the grouped line's groups (budget line, rate), one rule for each group's money
    approval = bool(billing_settings(session)["time_approval_required"])
    t_conds = [col(TimeEntry.billable).is_(True), col(TimeEntry.day) <= up_to, ~live_link("time", col(TimeEntry.id))]
    if approval:
        t_conds.append(col(TimeEntry.approved_at).is_not(None))
    minutes = func.sum(cast(col(TimeEntry.minutes), BigInteger))
    time_rows = session.execute(
        select(col(TimeEntry.project_id), col(TimeEntry.rate_minor), minutes, func.min(col(TimeEntry.day)))
        .where(scoped(col(TimeEntry.project_id), *t_conds))
        .group_by(col(TimeEntry.project_id), col(TimeEntry.budget_line_id), col(TimeEntry.rate_minor))
    )
    for pid, rate, mins, first in time_rows:
        totals[pid] += time_amount(int(mins), int(rate))
        first = date.fromisoformat(first) if isinstance(first, str) else first  # SQLite's min() of a date is text
        if pid not in oldest or first < oldest[pid]:
            oldest[pid] = first

    e_conds = [col(Expense.billable).is_(True), col(Expense.day) <= up_to, ~live_link("expense", col(Expense.id))]
    sums = [
        select(col(Milestone.project_id), func.sum(col(Milestone.amount_minor)))
        .where(
            scoped(
                col(Milestone.project_id),
                ~live_link("milestone", col(Milestone.id)),
                or_(
                    col(Milestone.kind) == "fixed",
                    and_(
                        col(Milestone.kind) == "milestone",
                        col(Milestone.status) == "reached",
                        or_(col(Milestone.reached_on).is_(None), col(Milestone.reached_on) <= up_to),
                    ),
                ),
            )
        )
        .group_by(col(Milestone.project_id)),
        select(col(ChangeOrder.project_id), func.sum(col(ChangeOrder.amount_minor)))
        .where(
            scoped(
                col(ChangeOrder.project_id),
                col(ChangeOrder.status) == "approved",
                col(ChangeOrder.kind) == "fixed",
                ~live_link("change_order", col(ChangeOrder.id)),
            )
        )
        .group_by(col(ChangeOrder.project_id)),
        select(col(Retainer.project_id), func.sum(col(RetainerPeriod.amount_minor)))
        .join(Retainer, col(Retainer.id) == col(RetainerPeriod.retainer_id))
        .where(
            scoped(
                col(Retainer.project_id),
                col(RetainerPeriod.period_start) <= up_to,
                ~live_link("retainer_period", col(RetainerPeriod.id)),
            )
        )
        .group_by(col(Retainer.project_id)),
        select(col(Expense.project_id), func.sum(col(Expense.amount_minor)))
        .where(scoped(col(Expense.project_id), *e_conds, col(Expense.markup_percent) == 0))
        .group_by(col(Expense.project_id)),
    ]
    for stmt in sums:
        for pid, amount in session.execute(stmt):
            totals[pid] += int(amount or 0)
    # A marked-up expense is billed at `core.lines.marked_up` of its own amount (rounded once per
    # expense, as billing builds its line): those rows are read one by one, through the one rule.
    marked = select(col(Expense.project_id), col(Expense.amount_minor), col(Expense.markup_percent)).where(
        scoped(col(Expense.project_id), *e_conds, col(Expense.markup_percent) != 0)
    )
    for pid, amount, markup in session.execute(marked):
        totals[pid] += marked_up(int(amount), markup)
    if ids is not None and not in_sql:
        wanted = set(ids)
        return UnbilledFigures(
            {pid: v for pid, v in totals.items() if pid in wanted},
            {pid: d for pid, d in oldest.items() if pid in wanted},
        )
    return UnbilledFigures(dict(totals), oldest)
