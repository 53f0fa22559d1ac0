"""Database engine, sessions and migrations.

Services are plain functions that take a `Session`; request paths (Reflex event
handlers, API routes) run them off the event loop (`run_db`) or through the async
engine, so one slow query never stalls other users.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session, create_engine

from l2c_app.core import textlimits
from l2c_app.core.config import PROJECT_DIR, get_settings

T = TypeVar("T")

# Every string column is bounded and NUL-free, whichever path writes it (core/textlimits).
textlimits.install()

# The organisation's formats follow each load of its row (core/formats installs the listener).
from l2c_app.core import formats as _formats  # noqa: E402,F401


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout waits instead of
    # failing with "database is locked" when two requests write at once.
    cur.execute("PRAGMA journal_mode=WAL")
    # synchronous=NORMAL in WAL mode: no fsync per commit (the WAL is synced at each
    # checkpoint). Still durable across an app crash or kill; a power loss or OS crash
    # may lose the last commits, never corrupt the file. What those commits held is
    # healed: Stripe redelivers unacknowledged webhooks and the Stripe sync job applies
    # what is missing. This is what lets one SQLite file take hundreds of writes/s.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    eng = create_engine(url, pool_size=10, max_overflow=20)
    _ping_idle_connections(eng)
    return eng


# A pooled connection idle for longer than this is pinged before use; a hotter one is not.
PING_IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "l2c_checked_in_at"


def _ping_idle_connections(eng: Engine) -> None:
    """Disconnect handling without a round trip per checkout (issue 18).

    `pool_pre_ping=True` ("Disconnect Handling - Pessimistic" in SQLAlchemy's "Connection
    Pooling" chapter) sends a SELECT 1 before every checkout: on the webhook's 4-round-trip
    transaction it cost as much as the COMMIT. This follows that section's "Custom / Legacy
    Pessimistic Ping" (a ping from an event) with a pool "checkout" event instead, and raising
    `DisconnectionError` from it ("the current connection will be disposed and a fresh
    connection retrieved", PoolEvents.checkout): only a connection idle for more than
    PING_IDLE_SECONDS is pinged (a restarted or dropped server, a NAT or pgbouncer timeout is
    seen there), and a failed ping invalidates the whole pool, as pre_ping does. A connection
    that dies while hot fails its statement; SQLAlchemy's "Disconnect Handling - Optimistic"
    then invalidates it and every pooled connection older than the error, so the next checkout
    connects afresh (the webhook retries its idempotent unit of work on such an error).
    """
    dialect = eng.dialect

    @event.listens_for(eng, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(eng, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        last = record.info.get(_CHECKED_IN_AT)
        if last is None or time.monotonic() - last < PING_IDLE_SECONDS:
            return  # a new connection, or a hot one: no round trip
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure of SELECT 1 means this connection is gone
            raise exc.InvalidatePoolError(
                f"ping of a connection idle {time.monotonic() - last:.0f} s failed"
            ) from error


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def async_url(url: str) -> str:
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    return url  # postgresql+psycopg serves sync and async


@lru_cache(maxsize=8)
def async_engine_for(url: str) -> AsyncEngine:
    return create_async_engine(async_url(url), pool_pre_ping=not url.startswith("sqlite"))


def get_async_engine() -> AsyncEngine:
    return async_engine_for(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def with_session(fn: Callable[..., T], *args, **kwargs) -> T:
    with session_scope() as session:
        return fn(session, *args, **kwargs)


def threads_setting(name: str, default: int) -> int:
    """A thread count from the environment variable `name` (a positive integer), else `default`."""
    configured = os.environ.get(name, "").strip()
    return int(configured) if configured.isdigit() and int(configured) > 0 else default


def db_threads(url: str | None = None) -> int:
    """Threads of `run_db`: `L2C_DB_THREADS`, else 4 on SQLite (its writes take turns anyway: more
    threads only fight over the GIL and the file lock; 1, 2 and 6 cost the same CPU per lead
    within noise, and 4 leaves room for a handler that waits on Stripe or a long import chunk)
    and 8 on PostgreSQL."""
    return threads_setting("L2C_DB_THREADS", 4 if (url or get_settings().database_url).startswith("sqlite") else 8)


_named_pools: dict[str, tuple[int, ThreadPoolExecutor]] = {}


def named_pool(name: str, threads: int) -> ThreadPoolExecutor:
    """A small pool of threads of its own for one kind of work (made again in a forked worker):
    `run_db`'s ("db"), and e.g. the Stripe webhook's, which may also wait on the outside and
    must not hold `run_db`'s threads."""
    pid = os.getpid()
    got = _named_pools.get(name)
    if got is None or got[0] != pid:
        got = _named_pools[name] = (pid, ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"l2c-{name}"))
    return got[1]


async def run_in_pool(pool: ThreadPoolExecutor, fn: Callable[..., T], *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` in `pool`, with the caller's context variables (as asyncio.to_thread)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)


async def run_db(fn: Callable[..., T], *args, **kwargs) -> T:
    """Run `fn(session, *args)` in a database thread inside one transaction.

    A small pool of its own (`db_threads`) through the event loop's executor hook, with the
    caller's context variables (as asyncio.to_thread): cheaper per call than anyio's thread
    pool, and it leaves that pool to FastAPI's sync routes."""
    return await run_in_pool(named_pool("db", db_threads()), with_session, fn, *args, **kwargs)


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config(str(PROJECT_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_DIR / "alembic"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    url = url or get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def pending_migrations(url: str | None = None) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    with engine_for(url or get_settings().database_url).connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return set(current) != set(script.get_heads())


def schema_differences(url: str | None = None) -> list:
    """What differs between the database and the models (alembic's autogenerate comparison,
    types included): [] when they match. The same check as tests/test_cli_and_schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import l2c_app.models  # noqa: F401  (every table)

    with engine_for(url or get_settings().database_url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


class SchemaMismatch(RuntimeError):
    """The database does not match the models even after migrating: starting would fail
    later, on some request, with a missing column. Refuse at once instead."""

    def __init__(self, differences: list):
        self.differences = differences
        first = differences[0]
        super().__init__(
            f"the database schema does not match this version of l2c ({len(differences)} difference(s), "
            f"first: {_describe(first)}); run `l2c db check` to list them, then restore a backup made by "
            f"this version (`l2c restore FILE`) or add the missing migration"
        )


def _describe(diff) -> str:
    """One difference of compare_metadata, short: ('add_column', None, 'invoice', Column(...))."""
    if isinstance(diff, list):  # modify_* entries come grouped per column
        diff = diff[0]
    op, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        if name is None and isinstance(item, str):
            name = item
        if name:
            names.append(str(name))
    return f"{op} {'.'.join(names[:2])}".strip()


def migrate_and_check(url: str | None = None) -> None:
    """Apply pending migrations, then refuse (SchemaMismatch) a schema that still differs."""
    migrate(url)
    differences = schema_differences(url)
    if differences:
        raise SchemaMismatch(differences)
