"""The list convention of the REST API: `{"items": [...], "next_cursor": ...}`.

The cursor is the last id of the page (opaque to clients): keyset pagination stays
fast on large tables, unlike OFFSET.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from l2c_app.core.errors import DomainError


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError:
        raise DomainError("not a cursor from this API", "cursor") from None


def page(session: Session, stmt, model, cursor: str | None, limit: int,
         to_json: Callable[[Any], dict]) -> dict:
    """Keyset page over `stmt` ordered by `model.id` ascending."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(model.id > after)
    rows = list(session.exec(stmt.order_by(model.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [to_json(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}
