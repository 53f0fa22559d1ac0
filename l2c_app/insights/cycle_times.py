"""Cycle times: how long each hand-off of the cycle takes, read from the records' own timestamps.

Events of a deal (each the FIRST time it happened; one set-based query per event, grouped by deal):

    lead_created      the lead's created_at (the deal's lead)          leads
    converted         the lead's converted_at                           leads
    won               the first StageChange into a `won` stage          pipeline (the stage log)
    quote_sent        the first quote's sent_at                         quotes
    accepted          the first quote's accepted_at                     quotes
    contract_signed   the first completed contract's completed_at       contracts
    project_created   the first project's created_at                    projects
    first_time        the day of the first time entry on its projects   projects (time)
    invoice_issued    the first issued invoice's issue_date (not draft, void or a credit note)
    paid              the first day an invoice of the deal was paid in full: for each `paid` invoice the
                      last succeeded payment's received_on (else created_at), the earliest of those

"First contact to cash" runs from the lead's creation (a deal with no lead: the deal's creation)
to `paid`.

Rules (pure functions below, tested on hand-computed data):
- A step lasts (end day - start day) in whole calendar days of the organisation's time zone.
  A step whose end came before its start (a quote sent before the deal was marked won, time
  back-dated before the project) counts 0 days: the hand-off did not wait.
- A step counts in the month of its END event (the later one); `from`/`to` filter on that day.
- Percentiles are PostgreSQL's `percentile_cont` (linear interpolation between the closest ranks,
  rank = p x (n - 1) over the sorted values): the median of an even count is the mean of the two
  middle values. They are computed here, over the durations already fetched, not in SQL: SQLite has
  no percentile_cont, and one rule in Python gives the same figure on both databases (a PostgreSQL
  test checks it equals percentile_cont on the same values).
- Open hand-offs: a deal (not lost) with a step's start event and no end event, aged in days from
  the start to today (the organisation's today), oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from l2c_app.billing.models import Invoice
from l2c_app.contracts.models import Contract
from l2c_app.core.formats import org_zone
from l2c_app.core.models import User
from l2c_app.core.timeutil import org_today
from l2c_app.leads.models import Lead
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Deal, PipelineStage, StageChange
from l2c_app.projects.models import Project, TimeEntry
from l2c_app.quotes.models import Quote

EVENTS = (
    "lead_created",
    "converted",
    "won",
    "quote_sent",
    "accepted",
    "contract_signed",
    "project_created",
    "first_time",
    "invoice_issued",
    "paid",
)
START = "first_contact"  # lead_created, else the deal's creation

# (key, label, start event, end event), in the cycle's order; the last one is end to end.
STEPS: list[tuple[str, str, str, str]] = [
    ("lead_to_converted", "Lead created → converted", "lead_created", "converted"),
    ("converted_to_won", "Converted → won", "converted", "won"),
    ("won_to_quote_sent", "Won → quote sent", "won", "quote_sent"),
    ("quote_sent_to_accepted", "Quote sent → accepted", "quote_sent", "accepted"),
    ("accepted_to_signed", "Accepted → contract signed", "accepted", "contract_signed"),
    ("signed_to_project", "Contract signed → project created", "contract_signed", "project_created"),
    ("project_to_first_time", "Project created → first time logged", "project_created", "first_time"),
    ("first_time_to_invoice", "First time logged → first invoice issued", "first_time", "invoice_issued"),
    ("invoice_to_paid", "First invoice issued → paid", "invoice_issued", "paid"),
    ("contact_to_cash", "First contact → cash", START, "paid"),
]
STEP_KEYS = tuple(s[0] for s in STEPS)
GROUPS = ("month", "owner", "source")
NO_SOURCE = "(no source)"
NO_OWNER = "(no owner)"
OPEN_LIMIT = 20

Events = dict[str, date]  # event -> the org-local day it first happened


class DealInfo(NamedTuple):
    """A tuple, not a dataclass: 50,000 of them are built per read (a frozen dataclass's
    __init__ was a third of the endpoint's time)."""

    id: int
    title: str
    owner: str
    source: str
    status: str
    created: date


class Duration(NamedTuple):
    deal_id: int
    step: str
    days: int
    end: date  # the later event's day: its month is the step's month


# --- pure rules -------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont(p): linear interpolation at rank p x (n - 1) of the sorted
    values. None for no values. percentile([1, 2, 3, 4], 0.5) == 2.5; percentile([1, 5, 9], 0.5) == 5."""
    if not values:
        return None
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    xs = sorted(values)
    rank = p * (len(xs) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(xs) - 1)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (rank - lo))


def step_days(start: date, end: date) -> int:
    """Whole days from start to end; an end before its start is 0 (the hand-off did not wait)."""
    return max(0, (end - start).days)


def durations(events: dict[int, Events], steps: Iterable[str] = STEP_KEYS) -> list[Duration]:
    """Every finished step of every deal: both events known."""
    wanted = [s for s in STEPS if s[0] in set(steps)]
    out = []
    for deal_id, ev in events.items():
        for key, _label, a, b in wanted:
            if a in ev and b in ev:
                out.append(Duration(deal_id, key, step_days(ev[a], ev[b]), ev[b]))
    return out


def group_key(d: Duration, deal: DealInfo, group: str) -> str:
    if group == "month":
        return d.end.strftime("%Y-%m")
    if group == "owner":
        return deal.owner
    if group == "source":
        return deal.source
    raise ValueError(f"group must be one of {', '.join(GROUPS)}")


def summarise(
    rows: Iterable[Duration], deals: dict[int, DealInfo], group: str, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """Per step and group: count, median and 90th percentile in days, and the deals behind them
    (slowest first). Steps in the cycle's order, groups sorted; `start`/`end` bound the end day."""
    buckets: dict[tuple[str, str], list[Duration]] = {}
    for d in rows:
        if (start and d.end < start) or (end and d.end > end):
            continue
        buckets.setdefault((d.step, group_key(d, deals[d.deal_id], group)), []).append(d)
    order = {k: i for i, k in enumerate(STEP_KEYS)}
    labels = {s[0]: s[1] for s in STEPS}
    out = []
    for (step, key), items in sorted(buckets.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        days = [d.days for d in items]
        items = sorted(items, key=lambda d: (-d.days, d.deal_id))
        out.append(
            {
                "step": step,
                "label": labels[step],
                "group": key,
                "count": len(items),
                "median_days": percentile(days, 0.5),
                "p90_days": percentile(days, 0.9),
                "deals": [
                    {
                        "deal_id": d.deal_id,
                        "title": deals[d.deal_id].title,
                        "days": d.days,
                        "end": d.end,
                        "href": deal_href(d.deal_id),
                    }
                    for d in items
                ],
            }
        )
    return out


def open_handoffs(
    events: dict[int, Events], deals: dict[int, DealInfo], today: date, limit: int = OPEN_LIMIT
) -> list[dict[str, Any]]:
    """Hand-offs still waiting: a deal (not lost) with a step's start and not its end, oldest first.
    Only the first waiting step of a deal is listed (the one holding it up); end to end is left out."""
    labels = {s[0]: s[1] for s in STEPS}
    out = []
    for deal_id, ev in events.items():
        deal = deals.get(deal_id)
        if deal is None or deal.status == "lost":
            continue
        waiting = _waiting_step(ev)
        if waiting is not None:
            key, _label, a, _b = waiting
            out.append(
                {
                    "deal_id": deal_id,
                    "title": deal.title,
                    "step": key,
                    "label": labels[key],
                    "since": ev[a],
                    "age_days": max(0, (today - ev[a]).days),
                    "owner": deal.owner,
                    "source": deal.source,
                    "href": deal_href(deal_id),
                }
            )
    out.sort(key=lambda r: (-r["age_days"], r["deal_id"]))
    return out[:limit]


_EVENT_INDEX = {e: i for i, e in enumerate(EVENTS)}
assert all(s[2:] == EVENTS[i : i + 2] for i, s in enumerate(STEPS[:-1])), "STEPS[:-1] pair consecutive EVENTS"


def _waiting_step(ev: Events) -> tuple[str, str, str, str] | None:
    """The step a deal waits on: the one starting at its LATEST event of the cycle, unless that is
    the last event. A step whose start happened and whose end did not is waiting only when no later
    event happened either (a quote accepted without a recorded send, a project without a contract:
    the step was skipped, not waiting), so at most one step waits, the one after the latest event.
    STEPS[:-1] are the consecutive pairs of EVENTS."""
    latest = max((_EVENT_INDEX[e] for e in ev if e in _EVENT_INDEX), default=None)
    if latest is None or latest >= len(EVENTS) - 1:
        return None
    return STEPS[latest]


def deal_href(deal_id: int) -> str:
    return f"/deals/{deal_id}"


# --- queries ----------------------------------------------------------------------------------


def _day(value: Any, tz: ZoneInfo) -> date | None:
    """A datetime (UTC; SQLite may hand back a naive one or text) -> the org-local day; a date as is."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if ("T" in value or " " in value) else date.fromisoformat(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        # an organisation in UTC: the fixed-offset conversion, not the zone database (the same
        # day, 10x cheaper over 50,000 deals)
        return aware.astimezone(UTC if tz.key == "UTC" else tz).date()
    return value


def _event_queries() -> dict[str, Any]:
    """One `SELECT deal_id, MIN(at) ... GROUP BY deal_id` per event."""
    return {
        "lead_created": select(Lead.deal_id, func.min(Lead.created_at))
        .where(Lead.deal_id.is_not(None))
        .group_by(Lead.deal_id),
        "converted": select(Lead.deal_id, func.min(Lead.converted_at))
        .where(Lead.deal_id.is_not(None), Lead.converted_at.is_not(None))
        .group_by(Lead.deal_id),
        "won": select(StageChange.deal_id, func.min(StageChange.at))
        .join(PipelineStage, PipelineStage.id == StageChange.to_stage_id)
        .where(PipelineStage.kind == "won")
        .group_by(StageChange.deal_id),
        "quote_sent": select(Quote.deal_id, func.min(Quote.sent_at))
        .where(Quote.sent_at.is_not(None))
        .group_by(Quote.deal_id),
        "accepted": select(Quote.deal_id, func.min(Quote.accepted_at))
        .where(Quote.accepted_at.is_not(None))
        .group_by(Quote.deal_id),
        "contract_signed": select(Contract.deal_id, func.min(Contract.completed_at))
        .where(Contract.status == "completed", Contract.completed_at.is_not(None))
        .group_by(Contract.deal_id),
        "project_created": select(Project.deal_id, func.min(Project.created_at))
        .where(Project.deal_id.is_not(None))
        .group_by(Project.deal_id),
        "first_time": select(Project.deal_id, func.min(TimeEntry.day))
        .join(Project, Project.id == TimeEntry.project_id)
        .where(Project.deal_id.is_not(None))
        .group_by(Project.deal_id),
        "invoice_issued": select(Invoice.deal_id, func.min(Invoice.issue_date))
        .where(
            Invoice.deal_id.is_not(None),
            Invoice.issue_date.is_not(None),
            Invoice.kind != "credit_note",
            Invoice.status.not_in(("draft", "void")),
        )
        .group_by(Invoice.deal_id),
    }


def _paid_query():
    """Per paid invoice of a deal: the last day money came in (received_on; a payment with none,
    e.g. a card payment, its created_at). The deal's `paid` is the earliest of its invoices'."""
    return (
        select(Invoice.deal_id, func.max(Payment.received_on), func.max(Payment.created_at))
        .join(Payment, Payment.invoice_id == Invoice.id)
        .where(Invoice.status == "paid", Payment.status == "succeeded", Invoice.deal_id.is_not(None))
        .group_by(Invoice.deal_id, Invoice.id)
    )


def read_events(session: Session) -> tuple[dict[int, Events], dict[int, DealInfo]]:
    """Every deal's events (org-local days) and what the figures group by: 11 set-based queries."""
    tz = ZoneInfo(org_zone(session) or "UTC")
    deal_rows = session.execute(
        select(
            Deal.id,
            Deal.title,
            Deal.status,
            Deal.created_at,
            Deal.source,
            Lead.source.label("lead_source"),
            User.name.label("owner"),
        )
        .outerjoin(Lead, Lead.id == Deal.lead_id)
        .outerjoin(User, User.id == Deal.owner_id)
    ).all()
    deals = {  # plain tuple unpacking: a Row's attribute access costs more than the rest here
        deal_id: DealInfo(
            deal_id,
            title,
            owner or NO_OWNER,
            source or lead_source or NO_SOURCE,
            status,
            _day(created_at, tz) or date.min,
        )
        for deal_id, title, status, created_at, source, lead_source, owner in deal_rows
    }
    events: dict[int, Events] = {d: {} for d in deals}
    for name, stmt in _event_queries().items():
        for deal_id, at in session.execute(stmt).all():
            day = _day(at, tz)
            if deal_id in events and day is not None:
                events[deal_id][name] = day
    for deal_id, received, created in session.execute(_paid_query()).all():
        day = _day(received, tz) or _day(created, tz)
        if deal_id in events and day is not None and ("paid" not in events[deal_id] or day < events[deal_id]["paid"]):
            events[deal_id]["paid"] = day
    for deal_id, ev in events.items():
        ev[START] = ev.get("lead_created", deals[deal_id].created)
    return events, deals


def cycle_times(
    session: Session,
    *,
    group: str = "month",
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The figures the API and the page show: per step and group, and the open hand-offs."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    events, deals = read_events(session)
    rows = summarise(durations(events), deals, group, start, end)
    today = today or org_today(session)
    return {
        "group": group,
        "start": start,
        "end": end,
        "rows": rows,
        "open": open_handoffs(events, deals, today),
        "steps": [{"key": k, "label": lb} for k, lb, _a, _b in STEPS],
    }
