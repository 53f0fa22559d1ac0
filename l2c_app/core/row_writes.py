"""Plain Core inserts for the hot write paths (lead capture, Stripe webhooks, domain events):
one `INSERT ... RETURNING id` built once per table and executed with a dict of values, no ORM
object and no unit-of-work flush. In the profile of a lead capture the ORM's flushes and the
construction of the objects they write cost more than the statements themselves.

The values are the model's own: `row_values` fills every field the caller left out with the
model's default (its `default_factory` too), so a row written here is the row `session.add`
would have written. `reference_path()` sends the same values through the ORM instead (the
reference the twin tests compare with; tests/test_row_writes.py).

The caller's pending ORM objects are flushed first when there are any, so a row written here
never lands before an object it follows (a foreign key to it, an audit of it). The text limits
the ORM checks before every flush (core/textlimits.py) are checked here too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

from l2c_app.core.textlimits import check_row

_reference = False


@contextmanager
def reference_path() -> Iterator[None]:
    """Within it, `insert_row` writes through `session.add` + flush (the twin tests' reference)."""
    global _reference
    before, _reference = _reference, True
    try:
        yield
    finally:
        _reference = before


@functools.cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Any, Any], ...]:
    """(field, default, default_factory) of every field of the table except its id."""
    out = []
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        default = None if info.default is PydanticUndefined else info.default
        out.append((name, default, info.default_factory))
    return tuple(out)


@functools.cache
def _insert(model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    return insert(table).returning(table.c.id)


def row_values(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """`values` with the model's defaults for every field not given (what the ORM would store)."""
    out = dict(values)
    for name, default, factory in _defaults(model):
        if name not in out:
            out[name] = factory() if factory is not None else default
    return out


class _Row:
    """`values` seen as a row of `model` (what textlimits.check_row reads)."""

    def __init__(self, model: type[SQLModel], values: dict[str, Any]) -> None:
        self.__table__ = model.__table__  # type: ignore[attr-defined]
        self.__dict__.update(values)


def insert_row(session: Session, model: type[SQLModel], values: dict[str, Any]) -> int:
    """Insert one `model` row with `values` (defaults filled in) in the session's transaction; its id."""
    full = row_values(model, values)
    if _reference:
        obj = model(**full)
        session.add(obj)
        session.flush()
        return obj.id  # type: ignore[attr-defined]
    check_row(_Row(model, full))
    if session.new:  # keep the order of the caller's writes
        session.flush()
    return int(session.connection().execute(_insert(model), full).scalar_one())


@functools.cache
def _columns(model: type[SQLModel]) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.columns if c.key != "id")  # type: ignore[attr-defined]


def insert_object(session: Session, obj: SQLModel) -> SQLModel:
    """Insert a new ORM object with one Core INSERT and attach it to the session as if it had
    been loaded (persistent, its id set, no pending history): later changes to it are UPDATEs
    as usual. Skips the unit of work's flush of a single row."""
    if _reference:
        session.add(obj)
        session.flush()
        return obj
    model = type(obj)
    check_row(obj)
    if session.new:
        session.flush()
    new_id = session.connection().execute(_insert(model), {k: getattr(obj, k) for k in _columns(model)}).scalar_one()
    obj.id = int(new_id)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
