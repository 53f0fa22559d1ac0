"""The pipeline forecast and win rates, read from the deals and the stage log.

Forecast: the open deals (status open, in an open stage) by expected close month (the deal's
`expected_close`; a deal with none is counted under "no date", never guessed), or by owner or
source. Per currency: the unweighted value and the weighted value, value x win probability (the
deal's own probability, else its stage's: the board's rule), summed exactly per group and currency
and rounded once (`core.money.round_minor`). Values are the deals' `value_minor` (excl. tax).

Win rate: won / (won + lost) of the closed deals that reached a stage (any StageChange into it,
or the stage a deal was created in), and of the closed deals per lead source. A deal reaching a
stage twice counts once. `from`/`to` bound the expected close day (forecast) and the closing day
(win rates, in the organisation's zone).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, cast, func, select, union
from sqlmodel import Session

from l2c_app.core.formats import org_zone
from l2c_app.core.models import User
from l2c_app.core.money import round_minor
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Deal, PipelineStage, StageChange

NO_DATE = "(no date)"
NO_SOURCE = "(no source)"
NO_OWNER = "(no owner)"
GROUPS = ("month", "owner", "source")


@dataclass(frozen=True)
class OpenDeal:
    id: int
    title: str
    currency: str
    value_minor: int
    probability: int
    expected_close: date | None
    owner: str
    source: str


# --- pure rules -------------------------------------------------------------------------------


def forecast_key(deal: OpenDeal, group: str) -> str:
    if group == "month":
        return deal.expected_close.strftime("%Y-%m") if deal.expected_close else NO_DATE
    if group == "owner":
        return deal.owner
    if group == "source":
        return deal.source
    raise ValueError(f"group must be one of {', '.join(GROUPS)}")


def forecast(deals: list[OpenDeal], group: str, deals_limit: int | None = None) -> list[dict[str, Any]]:
    """Per group: deal count, {currency: unweighted}, {currency: weighted} and the deals behind it
    (largest first; at most `deals_limit` of them, all with None: `deals_total` is the full count).
    Weighted = round_minor(sum(value x probability) / 100): exact sum, one rounding per currency."""
    buckets: dict[str, list[OpenDeal]] = {}
    for d in deals:
        buckets.setdefault(forecast_key(d, group), []).append(d)
    out = []
    for key in sorted(buckets, key=lambda k: (k == NO_DATE, k)):
        items = buckets[key]
        value: dict[str, int] = {}
        exact: dict[str, int] = {}
        for d in items:
            value[d.currency] = value.get(d.currency, 0) + d.value_minor
            exact[d.currency] = exact.get(d.currency, 0) + d.value_minor * d.probability
        out.append(
            {
                "group": key,
                "count": len(items),
                "value": value,
                "weighted": {c: round_minor(Decimal(v) / 100) for c, v in exact.items()},
                "deals_total": len(items),
                "deals": [
                    {
                        "deal_id": d.id,
                        "title": d.title,
                        "currency": d.currency,
                        "value_minor": d.value_minor,
                        "probability": d.probability,
                        "expected_close": d.expected_close,
                        "href": f"/deals/{d.id}",
                    }
                    for d in _largest(items, deals_limit)
                ],
            }
        )
    return out


def _largest(items: list[OpenDeal], limit: int | None) -> list[OpenDeal]:
    def order(d: OpenDeal) -> tuple[int, int]:
        return (-d.value_minor, d.id)

    return sorted(items, key=order) if limit is None else heapq.nsmallest(limit, items, key=order)


def win_rate(won: int, lost: int) -> float | None:
    """won / (won + lost); None when nothing closed (no rate, not 0 %)."""
    return won / (won + lost) if won + lost else None


# --- queries ----------------------------------------------------------------------------------


def _day(value: Any, tz: ZoneInfo) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(tz).date()


def open_deals(session: Session, start: date | None = None, end: date | None = None) -> list[OpenDeal]:
    """Open deals in open stages; with `start`/`end`, those expected to close in between
    (a deal with no expected close is kept only when no bound is given)."""
    prob = func.coalesce(Deal.probability, PipelineStage.probability)
    stmt = (
        select(
            Deal.id,
            Deal.title,
            Deal.currency,
            Deal.value_minor,
            prob.label("prob"),
            Deal.expected_close,
            User.name.label("owner"),
            Deal.source,
            Lead.source.label("lead_source"),
        )
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .outerjoin(User, User.id == Deal.owner_id)
        .outerjoin(Lead, Lead.id == Deal.lead_id)
        .where(Deal.status == "open", PipelineStage.kind == "open")
    )
    if start:
        stmt = stmt.where(Deal.expected_close >= start)
    if end:
        stmt = stmt.where(Deal.expected_close <= end)
    return [
        OpenDeal(
            r.id,
            r.title,
            r.currency,
            int(r.value_minor),
            int(r.prob or 0),
            r.expected_close,
            r.owner or NO_OWNER,
            r.source or r.lead_source or NO_SOURCE,
        )
        for r in session.execute(stmt.order_by(Deal.id)).all()
    ]


def _closed(session: Session, start: date | None, end: date | None) -> dict[int, tuple[str, str]]:
    """Closed deals (won or lost) by id -> (status, source), closing day within the bounds."""
    tz = ZoneInfo(org_zone(session) or "UTC")
    rows = session.execute(
        select(Deal.id, Deal.status, Deal.closed_at, Deal.source, Lead.source)
        .outerjoin(Lead, Lead.id == Deal.lead_id)
        .where(Deal.status.in_(("won", "lost")))
    ).all()
    out = {}
    for deal_id, status, closed_at, source, lead_source in rows:
        day = _day(closed_at, tz)
        if (start and (day is None or day < start)) or (end and (day is None or day > end)):
            continue
        out[deal_id] = (status, source or lead_source or NO_SOURCE)
    return out


def win_rates(session: Session, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """Win rate by open stage (in the board's order) and by lead source."""
    closed = _closed(session, start, end)
    reached = union(
        select(StageChange.deal_id, StageChange.to_stage_id.label("stage_id")), select(Deal.id, Deal.stage_id)
    ).subquery()
    # only closed deals' pairs travel (open deals, most of them, never count)
    pairs = session.execute(
        select(reached.c.deal_id, reached.c.stage_id)
        .join(Deal, Deal.id == reached.c.deal_id)
        .where(Deal.status.in_(("won", "lost")))
    ).all()
    stages = session.execute(
        select(PipelineStage.id, PipelineStage.name, PipelineStage.probability)
        .where(PipelineStage.kind == "open")
        .order_by(PipelineStage.position, PipelineStage.id)
    ).all()
    counts: dict[int, list[int]] = {s.id: [0, 0] for s in stages}
    for deal_id, stage_id in pairs:
        if deal_id in closed and stage_id in counts:
            counts[stage_id][0 if closed[deal_id][0] == "won" else 1] += 1
    by_stage = [
        {
            "stage_id": s.id,
            "name": s.name,
            "probability": s.probability,
            "won": counts[s.id][0],
            "lost": counts[s.id][1],
            "rate": win_rate(*counts[s.id]),
        }
        for s in stages
    ]
    by_src: dict[str, list[int]] = {}
    for status, source in closed.values():
        by_src.setdefault(source, [0, 0])[0 if status == "won" else 1] += 1
    by_source = [{"source": k, "won": v[0], "lost": v[1], "rate": win_rate(*v)} for k, v in sorted(by_src.items())]
    return {"by_stage": by_stage, "by_source": by_source}


def _open_query(session: Session, group: str, start: date | None, end: date | None):
    """The open deals with their group key (the rule of `forecast_key`, in SQL: an empty name
    or source counts as none, as in Python) and probability."""
    prob = func.coalesce(Deal.probability, PipelineStage.probability)
    if group == "month":
        month = (
            func.strftime("%Y-%m", Deal.expected_close)
            if session.get_bind().dialect.name == "sqlite"
            else func.to_char(Deal.expected_close, "YYYY-MM")
        )
        key = func.coalesce(month, NO_DATE)
    elif group == "owner":
        key = func.coalesce(func.nullif(User.name, ""), NO_OWNER)
    else:
        key = func.coalesce(func.nullif(Deal.source, ""), func.nullif(Lead.source, ""), NO_SOURCE)
    stmt = (
        select(Deal.id, Deal.title, Deal.currency, Deal.value_minor, prob.label("prob"), Deal.expected_close)
        .add_columns(key.label("key"))
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .outerjoin(User, User.id == Deal.owner_id)
        .outerjoin(Lead, Lead.id == Deal.lead_id)
        .where(Deal.status == "open", PipelineStage.kind == "open")
    )
    if start:
        stmt = stmt.where(Deal.expected_close >= start)
    if end:
        stmt = stmt.where(Deal.expected_close <= end)
    return stmt.subquery("open_deal")


def forecast_rows(
    session: Session, group: str, start: date | None = None, end: date | None = None, deals_limit: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """`forecast(open_deals(...), group, deals_limit)` computed in SQL: one aggregate per group and
    currency, and only the deals listed (the largest `deals_limit` per group, by a window), so
    50,000 open deals never travel to Python. Returns the rows and the count with no expected close.
    A test compares it with the Python rule on the same deals."""
    d = _open_query(session, group, start, end)
    sums = session.execute(
        select(
            d.c.key,
            d.c.currency,
            func.count(),
            func.sum(cast(d.c.value_minor, BigInteger)),
            func.sum(cast(d.c.value_minor, BigInteger) * d.c.prob),
            func.sum(case((d.c.expected_close.is_(None), 1), else_=0)),
        ).group_by(d.c.key, d.c.currency)
    ).all()
    rows: dict[str, dict[str, Any]] = {}
    no_date = 0
    for key, cur, n, value, exact, undated in sums:
        row = rows.setdefault(key, {"group": key, "count": 0, "value": {}, "weighted": {}, "deals": []})
        row["count"] += int(n)
        row["value"][cur] = int(value or 0)
        row["weighted"][cur] = round_minor(Decimal(int(exact or 0)) / 100)
        no_date += int(undated or 0)
    if deals_limit != 0 and rows:
        rank = func.row_number().over(partition_by=d.c.key, order_by=(d.c.value_minor.desc(), d.c.id)).label("rank")
        ranked = select(d, rank).subquery("ranked")
        listed = select(ranked)
        if deals_limit is not None:
            listed = listed.where(ranked.c.rank <= deals_limit)
        for r in session.execute(listed.order_by(ranked.c.key, ranked.c.rank)):
            rows[r.key]["deals"].append(
                {
                    "deal_id": r.id,
                    "title": r.title,
                    "currency": r.currency,
                    "value_minor": int(r.value_minor),
                    "probability": int(r.prob or 0),
                    "expected_close": r.expected_close,
                    "href": f"/deals/{r.id}",
                }
            )
    out = []
    for key in sorted(rows, key=lambda k: (k == NO_DATE, k)):
        row = rows[key]
        out.append({**row, "deals_total": row["count"]})
    return out, no_date


def pipeline_forecast(
    session: Session,
    *,
    group: str = "month",
    start: date | None = None,
    end: date | None = None,
    deals_limit: int | None = None,
) -> dict[str, Any]:
    """The forecast rows and win rates; `deals_limit` caps the deals listed per row (None: all)."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    rows, no_date = forecast_rows(session, group, start, end, deals_limit)
    return {
        "group": group,
        "start": start,
        "end": end,
        "rows": rows,
        "no_date": no_date,
        **win_rates(session, start, end),
    }
