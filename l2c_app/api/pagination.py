"""The list convention of the REST API: `{"items": [...], "next_cursor": ...}`.

The cursor is opaque to clients. Without `updated_since` a page is ordered by id and the
cursor is the page's last id (keyset pagination: fast on large tables, unlike OFFSET).

Sync (`?updated_since=<ISO datetime>`, on every list route): only rows whose `updated_at`
is at or after that instant, ordered by (`updated_at`, `id`). The cursor then carries the
last row's stamp and id, so paging stays exact under that order: a row stamped at the same
instant as the page's last row but with a higher id comes on the next page, never twice and
never skipped. A row changed while a client pages moves to the end and is read again there.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Query
from sqlalchemy import and_, or_
from sqlmodel import Session

from l2c_app.core.errors import DomainError

T = TypeVar("T")

UPDATED_SINCE = Query(
    None,
    description="Sync: only rows changed (`updated_at`) at or after this ISO 8601 instant "
    "(naive = UTC); ordered by (updated_at, id)",
)


def encode_cursor(last_id: int, stamp: datetime | None = None) -> str:
    raw = str(last_id) if stamp is None else f"{last_id}@{aware(stamp).isoformat()}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[int, datetime | None] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ident, _, stamp = raw.partition("@")
        # a crafted stamp without an offset must not reach the database (aware columns): read as UTC
        return int(ident), (aware(datetime.fromisoformat(stamp)) if stamp else None)
    except (ValueError, OverflowError):
        raise DomainError("not a cursor from this API", "cursor") from None


def decode_cursor(cursor: str | None) -> int | None:
    got = _decode(cursor)
    return None if got is None else got[0]


def aware(value: datetime) -> datetime:
    """An `updated_since` without an offset is read as UTC (what every column stores)."""
    try:
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00-05:00 is before the first instant a datetime holds
        raise DomainError("an instant between the years 1 and 9999", "updated_since") from None


def page(
    session: Session,
    stmt,
    model,
    cursor: str | None,
    limit: int,
    to_json: Callable[[Any], dict],
    updated_since: datetime | None = None,
) -> dict:
    """Keyset page over `stmt`: by `model.id`, or by (`updated_at`, `id`) when syncing."""
    after = _decode(cursor)
    if updated_since is None:
        if after is not None:
            stmt = stmt.where(model.id > after[0])
        rows = list(session.exec(stmt.order_by(model.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [to_json(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more and rows else None,
        }
    stmt = stmt.where(model.updated_at >= aware(updated_since))
    if after is not None:
        last_id, stamp = after
        if stamp is None:
            raise DomainError("this cursor is from a list without updated_since", "cursor")
        stmt = stmt.where(or_(model.updated_at > stamp, and_(model.updated_at == stamp, model.id > last_id)))
    rows = list(session.exec(stmt.order_by(model.updated_at, model.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [to_json(r) for r in rows],
        "next_cursor": encode_cursor(rows[-1].id, rows[-1].updated_at) if more and rows else None,
    }


def changed_since(
    rows: Iterable[T],
    updated_since: datetime | None,
    stamp: Callable[[T], datetime] = lambda r: r.updated_at,  # type: ignore[attr-defined]
    ident: Callable[[T], int] = lambda r: r.id,
) -> list[T]:  # type: ignore[attr-defined]
    """The unpaged lists (tax rates, catalog, stages, keys ...): the same filter and order in Python."""
    rows = list(rows)
    if updated_since is None:
        return rows
    since = aware(updated_since)
    return sorted((r for r in rows if aware(stamp(r)) >= since), key=lambda r: (aware(stamp(r)), ident(r)))


def page_rows(
    rows: Iterable[T],
    cursor: str | None,
    limit: int,
    updated_since: datetime | None,
    stamp: Callable[[T], datetime],
    ident: Callable[[T], int],
) -> tuple[list[T], str | None]:
    """`page` over rows a service already built (the Clients list): same order, filter and cursor."""
    after = _decode(cursor)
    if updated_since is None:
        kept = sorted((r for r in rows if after is None or ident(r) > after[0]), key=ident)
        more, kept = len(kept) > limit, kept[:limit]
        return kept, encode_cursor(ident(kept[-1])) if more and kept else None
    kept = changed_since(rows, updated_since, stamp, ident)
    if after is not None:
        if after[1] is None:
            raise DomainError("this cursor is from a list without updated_since", "cursor")
        mark = (aware(after[1]), after[0])
        kept = [r for r in kept if (aware(stamp(r)), ident(r)) > mark]
    more, kept = len(kept) > limit, kept[:limit]
    return kept, encode_cursor(ident(kept[-1]), stamp(kept[-1])) if more and kept else None
