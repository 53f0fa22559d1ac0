"""Limits on text written by callers: public tokens, and every string column (checked on flush).

Threat model: text reaches the database from the public lead form, the client pages
(/q, /co, /i, /sign), the API and the Reflex handlers. Without limits a 10 MB deal
description was stored and rendered on the client's page and PDF; a NUL byte made
PostgreSQL fail with a 500. `install()` adds one SQLAlchemy `before_flush` check over
every new or changed row: each string column holds at most its declared length (else
`DEFAULT_TEXT_CHARS`, or `LONG_TEXT_CHARS` for document bodies) and no NUL, whichever
path wrote it. The refusal is a DomainError naming the field (413 too_large, 422 NUL).
"""

from __future__ import annotations

import functools
import re

from sqlalchemy import String, event
from sqlalchemy.orm import Session as OrmSession

from l2c_app.core.errors import DomainError

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
DEFAULT_TEXT_CHARS = 20_000  # descriptions, notes, messages
LONG_TEXT_CHARS = 200_000  # contract and template bodies (a long agreement is ~50 KB)
# columns that hold whole documents or machine data rather than typed text
LONG_COLUMNS = {"body", "body_text", "html", "text_body", "html_body"}
UNLIMITED_COLUMNS = {"raw_body", "detail"}  # a webhook as received, and what handling it said


def plausible_token(token: object, max_len: int = 200) -> bool:
    """A public link token we could have issued (secrets.token_urlsafe): anything else is 'not found'
    before the database is asked (a NUL or a surrogate would make the query itself fail)."""
    return isinstance(token, str) and len(token) <= max_len and bool(TOKEN_RE.match(token))


def _is_text(column) -> bool:
    # SQLModel's `str` fields are AutoString, a TypeDecorator over String
    kind = column.type
    return isinstance(kind, String) or isinstance(getattr(kind, "impl", None), String)


def limit_of(column) -> int | None:
    if column.name in UNLIMITED_COLUMNS:
        return None
    length = getattr(column.type, "length", None)
    if length:
        return length
    return LONG_TEXT_CHARS if column.name in LONG_COLUMNS else DEFAULT_TEXT_CHARS


@functools.cache
def _text_columns(table) -> tuple[tuple[str, int | None], ...]:
    """(key, limit) of the table's string columns, worked out once per table (a capture checks five rows)."""
    return tuple((column.key, limit_of(column)) for column in table.columns if _is_text(column))


def check_row(obj) -> None:
    table = getattr(obj, "__table__", None)
    if table is None:
        return
    _check(_text_columns(table), lambda key: getattr(obj, key, None))


def check_values(table, values: dict) -> None:
    """`check_row` of a row given as its values (the Core inserts of core/row_writes.py)."""
    _check(_text_columns(table), values.get)


def _check(columns: tuple[tuple[str, int | None], ...], value_of) -> None:
    for key, limit in columns:
        value = value_of(key)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise DomainError("must not contain a NUL byte.", key)
        if limit is not None and len(value) > limit:
            raise DomainError(f"is too long: at most {limit:,} characters.", key, kind="too_large")


def _before_flush(session, _ctx, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        check_row(obj)


def install() -> None:
    """Once per process (core/db calls it when it builds the engine)."""
    if not event.contains(OrmSession, "before_flush", _before_flush):
        event.listen(OrmSession, "before_flush", _before_flush)
