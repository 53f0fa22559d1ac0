"""The board's read side: the columns with their cards and header figures, and the cheap
version fingerprint the fallback poll compares."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.models import User
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Account, Activity, Deal
from l2c_app.pipeline.stages import open_stages

# --- the board ---------------------------------------------------------------------------


def board_version(session: Session) -> str:
    """A cheap fingerprint of the board: changes whenever a deal is created, moved or edited."""
    count, last = session.exec(select(func.count(), func.max(Deal.updated_at))).one()
    return f"{count}:{last.isoformat() if last else ''}"


def board(
    session: Session,
    owner_id: int | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    tz: str = "UTC",
    per_column: int = 100,
    only: set[int] | None = None,
) -> list[dict]:
    """The open stages as columns, with cards and header figures (count, total, weighted).

    Header figures cover every deal; each column carries at most `per_column` cards (most recent
    in stage first) and says how many more there are, so the browser stays smooth with thousands.

    One query for the deals with their account and owner names, one for the next open task
    of each deal: stays quick with thousands of open deals.

    `only`: cards for these deal ids alone (no per-column cap), header figures still for all:
    what a live patch of the board needs (pipeline/board_events.py).
    """
    stages = open_stages(session)
    cols = {
        s.id: {
            "id": s.id,
            "name": s.name,
            "probability": s.probability,
            "cards": [],
            "count": 0,
            "totals": {},
            "weighted": {},
        }
        for s in stages
    }
    stmt = (
        select(
            Deal.id,
            Deal.title,
            Deal.stage_id,
            Deal.value_minor,
            Deal.currency,
            Deal.probability,
            Deal.stage_entered_at,
            Deal.expected_close,
            Account.name,
            User.name,
        )
        .join(Account, Account.id == Deal.account_id, isouter=True)
        .join(User, User.id == Deal.owner_id, isouter=True)
        .where(Deal.status == "open")
    )
    filters = []
    if owner_id:
        filters.append(Deal.owner_id == owner_id)
    if close_from:
        filters.append(Deal.expected_close >= close_from)
    if close_to:
        filters.append(Deal.expected_close <= close_to)
    stmt = stmt.where(*filters)
    if only is not None:
        # A live patch: the header figures summed by the database (a few rows per column instead
        # of one row per open deal fetched and summed here), the cards of the patched deals alone.
        _figures(session, cols, filters)
        rows = session.exec(stmt.where(Deal.id.in_(only))).all()  # type: ignore[union-attr]
    else:
        rows = session.exec(stmt.order_by(Deal.stage_entered_at.desc())).all()
    next_tasks: dict[int, tuple] = {}
    task_rows = session.exec(
        select(Activity.deal_id, Activity.subject, Activity.due_at)
        .join(Deal, Deal.id == Activity.deal_id)
        .where(
            Deal.status == "open",
            Activity.kind == "task",
            Activity.done_at.is_(None),
            *([Deal.id.in_(only)] if only is not None else []),
        )  # type: ignore[union-attr]
        .order_by(Activity.due_at)
    ).all()
    for did, subject, due in task_rows:
        next_tasks.setdefault(did, (subject, due))
    now = utcnow()
    from l2c_app.core.money import format_money

    for did, title, stage_id, value, cur, prob, entered, close, account, owner in rows:
        col = cols.get(stage_id)
        if col is None:
            continue
        if only is None:
            _add(col, value, cur, prob, 1)
            if len(col["cards"]) >= per_column:
                continue
        if entered and entered.tzinfo is None:
            entered = entered.replace(tzinfo=now.tzinfo)
        days = (now - entered).days if entered else 0
        nxt = next_tasks.get(did)
        col["cards"].append(
            {
                "id": did,
                "title": title,
                "account": account or "",
                "owner": owner or "",
                "value": format_money(value, cur),
                "age": f"{days} d in stage",
                "next": (nxt[0] + (f" (due {nxt[1].date().isoformat()})" if nxt[1] else "")) if nxt else "",
                "close": close.isoformat() if close else "",
                "entered": entered.isoformat() if entered else "",
            }
        )
    from decimal import Decimal

    from l2c_app.core.money import round_minor

    out = []
    for s in stages:
        col = cols[s.id]
        # Weighted value = value x probability %: summed exactly, rounded once per column (round_minor).
        col["total_text"] = " + ".join(format_money(v, c) for c, v in sorted(col["totals"].items())) or "-"
        col["weighted_text"] = (
            " + ".join(format_money(round_minor(Decimal(v) / 100), c) for c, v in sorted(col["weighted"].items()))
            or "-"
        )
        del col["totals"], col["weighted"]
        col["more"] = col["count"] - len(col["cards"])
        out.append(col)
    return out


def _add(col: dict, value: int, cur: str, prob: int | None, count: int) -> None:
    """Add `count` deals worth `value` (their sum) in `cur` at probability `prob` to the column's figures."""
    p = prob if prob is not None else col["probability"]
    col["count"] += count
    col["totals"][cur] = col["totals"].get(cur, 0) + value
    col["weighted"][cur] = col["weighted"].get(cur, 0) + value * p


def _figures(session: Session, cols: dict[int, dict], filters: list) -> None:
    """The columns' header figures from one grouped query (exact integers, as the per-deal sums)."""
    grouped = session.exec(
        select(Deal.stage_id, Deal.currency, Deal.probability, func.count(), func.sum(Deal.value_minor))
        .where(Deal.status == "open", *filters)
        .group_by(Deal.stage_id, Deal.currency, Deal.probability)
    ).all()
    for stage_id, cur, prob, count, total in grouped:
        col = cols.get(stage_id)
        if col is not None:
            _add(col, int(total or 0), cur, prob, int(count))
