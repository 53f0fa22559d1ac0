"""Plain Core inserts for the hot write paths (lead capture, Stripe webhooks, domain events):
one `INSERT ... RETURNING id` compiled once per table and dialect and sent to the driver with
the values already bound (see "rows written together" below), no ORM object and no
unit-of-work flush. In the profile of a lead capture the ORM's flushes and the construction of
the objects they write cost more than the statements themselves.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlmodel import Session, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from l2c_app.core.textlimits import check_row, check_values

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


def on_reference_path() -> bool:
    """Inside `reference_path()` (other modules' fast paths follow it too: core/audit.snapshot)."""
    return _reference


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


def insert_row(session: Session, model: type[SQLModel], values: dict[str, Any]) -> int:
    """Insert one `model` row with `values` (defaults filled in) in the session's transaction; its id.

    Within `deferred(session)` on a session that collects rows (`collect_rows`), the row is
    queued for `write_collected` instead and 0 is returned: callers there need no id."""
    full = row_values(model, values)
    if not _reference and session.info.get(_DEFERRING) and session.info.get(_COLLECTED) is not None:
        check_values(model.__table__, full)  # type: ignore[attr-defined]
        session.info[_COLLECTED].append((model, full, None))
        return 0
    if _reference:
        obj = model(**full)
        session.add(obj)
        session.flush()
        return obj.id  # type: ignore[attr-defined]
    check_values(model.__table__, full)  # type: ignore[attr-defined]
    if session.new:  # keep the order of the caller's writes
        session.flush()
    return _insert_one(session.connection(), model, full)


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
    new_id = _insert_one(session.connection(), model, {k: getattr(obj, k) for k in _columns(model)})
    obj.id = int(new_id)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def instance(model: type[SQLModel], values: dict[str, Any]) -> Any:
    """A `model` object holding `values`, built as the ORM builds one it loads (no __init__, no
    attribute events): what `model(**values)` gives for a table model (those are not validated),
    at a fraction of its cost. Transient; `insert_new` attaches it."""
    obj = class_mapper(model).class_manager.new_instance()
    # In the fields' order, as the constructor sets them: model_dump (an audit snapshot) follows it.
    obj.__dict__.update({name: values[name] for name in _field_names(model) if name in values})
    return obj


@functools.cache
def _field_names(model: type[SQLModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


def insert_new(session: Session, model: type[SQLModel], values: dict[str, Any]) -> Any:
    """`insert_object(session, model(**values))` without building the object through the ORM's
    constructor: the row is inserted from the values (defaults filled in), then the object is
    made from them as if loaded (persistent, its id set)."""
    full = row_values(model, values)
    if _reference:
        return insert_object(session, model(**full))
    check_values(model.__table__, full)  # type: ignore[attr-defined]
    if session.new:
        session.flush()
    full["id"] = _insert_one(session.connection(), model, full)
    obj = instance(model, full)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


# --- rows written together at the end of a transaction ---------------------------------------------
#
# A group-commit batch of lead captures (leads/group_commit.py) writes each lead's side rows
# (audit, timeline, notification, e-mail, domain event) as one executemany per table just before
# its commit, instead of one INSERT per row: nothing in the batch reads them back before then.
# The values (times included) are computed when the row is queued, as `insert_row` computes
# them, and each table's rows are written in the order they were queued, so the rows and their
# ids are those the captures one by one write.

_COLLECTED = "l2c_collected_rows"
_DEFERRING = "l2c_deferring_rows"

Then = Callable[[int, dict[str, Any]], None]


def collect_rows(session: Session) -> None:
    """From now on `deferred` scopes and `insert_row_later` of this session queue their rows for
    `write_collected` (which the owner of the session calls before it commits)."""
    session.info[_COLLECTED] = []


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Within it, `insert_row` on a collecting session queues its row (and returns 0)."""
    before = session.info.get(_DEFERRING)
    session.info[_DEFERRING] = True
    try:
        yield
    finally:
        session.info[_DEFERRING] = before


def insert_row_later(session: Session, model: type[SQLModel], values: dict[str, Any], then: Then) -> None:
    """`insert_row`, then `then(id, values)`: at once on a session that does not collect rows,
    else both when `write_collected` writes the queued rows (for a row whose id something needs:
    the domain event its subscribers receive)."""
    full = row_values(model, values)
    collected = session.info.get(_COLLECTED)
    if _reference or collected is None:
        then(insert_row(session, model, full), full)
        return
    check_values(model.__table__, full)  # type: ignore[attr-defined]
    collected.append((model, full, then))


# The batch's INSERTs go to the driver as one executemany of prepared parameter rows: SQLAlchemy's
# Core executemany builds each row's parameters through `construct_params` and its bind processors
# one row and one value at a time (write_collected was 17 % of a capture server's GIL, most of it
# that). Here the statement is compiled once per table and dialect (as Core compiles it for an
# executemany of every column: same SQL, casts included) and each column's bind processor (the
# one Core applies: UTC datetimes, JSON text) runs over the column at once. The single-row
# inserts above (`insert_row`, `insert_new`) use the same statement with RETURNING. `core_path()`
# sends the rows through Core instead (the twin tests' reference: tests/test_row_writes.py).

_core = False


@contextmanager
def core_path() -> Iterator[None]:
    """Within it, the Core inserts here go through SQLAlchemy Core's execute (its statement
    cache, `construct_params`, its bind processors) instead of the prepared statements."""
    global _core
    before, _core = _core, True
    try:
        yield
    finally:
        _core = before


class _Prepared:
    """One table's INSERT of every column but its id, compiled for one dialect."""

    __slots__ = ("id_column", "names", "positional", "processors", "sql")

    def __init__(
        self, sql: str, names: tuple[str, ...], processors: tuple[Any, ...], positional: bool, id_column: str
    ) -> None:
        self.sql, self.names, self.processors, self.positional = sql, names, processors, positional
        self.id_column = id_column

    @property
    def returning_one(self) -> str:
        return f"{self.sql} RETURNING {self.id_column}"

    def returning(self, rows: int) -> str:
        """The INSERT of `rows` rows in one VALUES list, returning their ids (qmark: SQLite)."""
        head, _, one = self.sql.partition(" VALUES ")
        return f"{head} VALUES {', '.join([one] * rows)} RETURNING {self.id_column}"

    def one(self, values: dict[str, Any]) -> Any:
        """The driver's parameters of one row."""
        processed = [values[n] if p is None else p(values[n]) for n, p in zip(self.names, self.processors, strict=True)]
        return tuple(processed) if self.positional else dict(zip(self.names, processed, strict=True))

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The driver's parameter rows: a tuple (qmark, SQLite) or a dict (psycopg) per row."""
        columns = [[row[name] for row in rows] for name in self.names]
        for i, process in enumerate(self.processors):
            if process is not None:
                columns[i] = list(map(process, columns[i]))
        if self.positional:
            return list(zip(*columns, strict=True))
        names = self.names
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


@functools.lru_cache(maxsize=64)
def _prepared(model: type[SQLModel], dialect: Any, with_id: bool = False) -> _Prepared | None:
    """None when the table's columns are not its model's fields (then Core fills what is missing).
    `with_id`: the rows carry their ids (a group-commit batch's leads: leads/batch_dedupe.py)."""
    table = model.__table__  # type: ignore[attr-defined]
    columns = _columns(model)
    if set(columns) != {name for name, _, _ in _defaults(model)}:
        return None
    if with_id:
        columns = ("id", *columns)
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    if sorted(names) != sorted(columns):
        return None
    processors = tuple(_processor(compiled.binds[name].type, dialect) for name in names)
    id_column = dialect.identifier_preparer.format_column(table.c.id)
    return _Prepared(compiled.string, names, processors, bool(compiled.positional), id_column)


_SQLITE_DATETIME = sqlite.DATETIME._storage_format


def _processor(kind: Any, dialect: Any) -> Any:
    """The bind processor Core applies to a value of `kind`. SQLite's UTC datetimes (every row
    has one or two) in one step: Core's runs UTCDateTime's check and conversion, then formats the
    text from seven fields; a datetime already in UTC is that text as `isoformat` writes it (to
    the microsecond, without the offset). Any other value goes through Core's processor."""
    impl = kind.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    inner = getattr(impl, "impl", None)
    if not (
        isinstance(kind, UTCDateTime)
        and isinstance(inner, sqlite.DATETIME)
        and inner._storage_format == _SQLITE_DATETIME
        and process is not None
    ):
        return process

    def utc_text(value: Any, _process: Any = process) -> Any:
        if type(value) is datetime and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:26]
        return _process(value)

    return utc_text


def core_processor(kind: Any, dialect: Any) -> Any:
    """Core's own bind processor of `kind` (the reference `_processor` is held to)."""
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _insert_one(conn: Any, model: type[SQLModel], values: dict[str, Any]) -> int:
    """Insert one full row of `model`; its new id (the prepared statement with RETURNING)."""
    prepared = None if _core else _prepared(model, conn.dialect)
    if prepared is None:
        return int(conn.execute(_insert(model), values).scalar_one())
    return int(conn.exec_driver_sql(prepared.returning_one, prepared.one(values)).scalar_one())


def _insert_many(conn: Any, model: type[SQLModel], params: list[dict[str, Any]], ids: bool) -> list[int]:
    """Insert `params` (full rows of `model`) in their order; with `ids`, their new ids in that order."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = conn.dialect
    if "id" in params[0]:  # the rows carry their ids (a group-commit batch's leads)
        given = None if _core or not all("id" in p for p in params) else _prepared(model, dialect, True)
        if given is None:
            conn.execute(_plain(table), params)  # Core: each row's given id, or its own
        else:
            conn.exec_driver_sql(given.sql, given.parameters(params))
        return [int(p["id"]) for p in params] if ids else []
    prepared = None if _core else _prepared(model, dialect)
    if ids and (prepared is None or dialect.name != "sqlite"):
        return _insert_many_returning_ids(conn, table, params)
    if prepared is None:
        conn.execute(_plain(table), params)
        return []
    rows = prepared.parameters(params)
    if not ids:
        conn.exec_driver_sql(prepared.sql, rows)
        return []
    # SQLite: one multi-row INSERT ... RETURNING per chunk, its ids sorted, as
    # `_insert_many_returning_ids` does (each row of a VALUES list takes the next rowid in turn).
    out: list[int] = []
    per_statement = max(1, min(500, _MAX_BOUND_VALUES // len(prepared.names)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        flat = tuple(value for row in chunk for value in row)
        out += sorted(int(i) for i in conn.exec_driver_sql(prepared.returning(len(chunk)), flat).scalars())
    return out


# SQLite allows 32,766 bound values a statement (since 3.32; SQLAlchemy's insertmanyvalues
# assumes the same).
_MAX_BOUND_VALUES = 32_000


def _insert_many_returning_ids(conn: Any, table: Any, params: list[dict[str, Any]]) -> list[int]:
    """The new ids of `params`' rows, in their order. PostgreSQL: SQLAlchemy's insertmanyvalues
    sorted by parameter order. SQLite: asking for that order makes SQLAlchemy send one INSERT
    per row, so the rows go in one multi-row INSERT and its ids are sorted: SQLite gives each row
    of a VALUES list the next rowid in turn (one writer at a time), only RETURNING's order is not promised."""
    if conn.dialect.name == "sqlite":
        return sorted(int(i) for i in conn.execute(_returning(table, False), params).scalars().all())
    return [int(i) for i in conn.execute(_returning(table, True), params).scalars().all()]


@functools.cache
def _plain(table: Any) -> Any:
    return insert(table)


@functools.cache
def _returning(table: Any, ordered: bool) -> Any:
    if ordered:
        return insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return insert(table).returning(table.c.id)


def write_collected(session: Session) -> None:
    """Write the queued rows: one executemany per table (in the order the tables first came,
    each table's rows in their order), then the `then` callbacks (table by table, each in its rows' order).
    A callback's own writes go straight in (the session stops collecting while they run)."""
    queued = session.info.get(_COLLECTED)
    if not queued:
        return
    session.info[_COLLECTED] = None
    try:
        if session.new:
            session.flush()
        conn = session.connection()
        tables: dict[type[SQLModel], list[tuple[dict[str, Any], Then | None]]] = {}
        for model, full, then in queued:
            tables.setdefault(model, []).append((full, then))
        calls: list[tuple[Then, int, dict[str, Any]]] = []  # the callbacks' rows are of one table (events)
        _write_tables(conn, tables, calls)
        for then, new_id, full in calls:
            then(new_id, full)
    finally:
        session.info[_COLLECTED] = []


def _write_tables(
    conn: Any, tables: dict[type[SQLModel], list[tuple[dict[str, Any], Then | None]]], calls: list
) -> None:
    """Each table's rows in one executemany, in order; the rows that have a callback, with it, in
    `calls`. On PostgreSQL the tables that need no ids go in the driver's pipeline, sent together
    (a round trip per table before); a table whose ids a callback needs is read outside it."""
    plain: list[tuple[type[SQLModel], list[dict[str, Any]]]] = []

    def flush_plain() -> None:
        with _pipeline(conn, len(plain) > 1):
            for model, params in plain:
                _insert_many(conn, model, params, ids=False)
        plain.clear()

    for model, rows in tables.items():
        params = [full for full, _ in rows]
        if any(then is not None for _, then in rows):
            flush_plain()
            ids = _insert_many(conn, model, params, ids=True)
            for (full, then), new_id in zip(rows, ids, strict=True):
                if then is not None:
                    calls.append((then, new_id, full))
        else:
            plain.append((model, params))
    flush_plain()


@contextmanager
def _pipeline(conn: Any, wanted: bool) -> Iterator[None]:
    """PostgreSQL: psycopg's pipeline mode, the statements sent together and answered at one sync.
    Only for statements whose results nobody reads (SQLAlchemy reads a cursor's description at
    once). An error surfaces at the sync, as the driver's; the caller's transaction rolls back."""
    raw = getattr(conn.connection, "driver_connection", None)
    if not wanted or _core or _reference or conn.dialect.name != "postgresql" or raw is None:
        yield
        return
    with raw.pipeline():
        yield
