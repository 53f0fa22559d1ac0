"""Writing, claiming and delivering outbox effects.

Flow of one effect:
1. the business transaction calls `enqueue(session, kind, payload, key)`: one row, status
   queued (a rollback removes it with the change: nothing is sent);
2. after commit a worker (outbox/worker.py) `claim`s due rows in a short transaction:
   status sending, attempts + 1, a lease; on PostgreSQL the candidates are read
   `FOR UPDATE SKIP LOCKED` (several workers take different rows), on SQLite (one writer)
   each row is taken by a conditional UPDATE, so two claimers never share a row;
3. the kind's handler makes the outside call with no transaction open, then writes what
   came back in its own short transaction; `finish` marks the row sent, or queued again with
   exponential backoff (BACKOFF_FIRST_S * 2^(attempts-1), capped), or failed after
   MAX_ATTEMPTS or on a permanent refusal (`Permanent`). A worker that dies while sending
   leaves the row `sending`; once its lease expires another worker takes it again.

Threat model (faults): the provider may hang, fail, or answer after we gave up. Each effect
carries its idempotency key to the provider where the provider supports one (Stripe), so a
retry after a lost answer creates nothing twice; e-mail carries it as its Message-ID.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.timeutil import utcnow
from l2c_app.outbox import worker as _worker  # noqa: F401  (installs the after-commit wake-up)
from l2c_app.outbox.models import OutboxEffect

log = logging.getLogger("l2c.outbox")

MAX_ATTEMPTS = 8
BACKOFF_FIRST_S = 5.0
BACKOFF_MAX_S = 3600.0
LEASE_S = 300  # longer than any provider timeout: a live worker never loses its row

# Modules whose import registers a handler (imported by the first delivery).
HANDLER_MODULES = (
    "l2c_app.integrations.email",
    "l2c_app.billing.payment_links",
    "l2c_app.contracts.service",
    "l2c_app.accounting.sync.subscribers",
    "l2c_app.projects.docusign_send",
)


class Permanent(Exception):
    """The provider refused for good (a bad address, an unknown object): no retry."""


Handler = Callable[[OutboxEffect], str | None]
_handlers: dict[str, Handler] = {}
_loaded = False


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `fn(effect) -> result text` as the delivery of `kind`. It runs with no
    transaction open; it opens its own short ones to read and to record what came back.
    Raise `Permanent` for a refusal, anything else for a failure worth retrying."""

    def register(fn: Handler) -> Handler:
        _handlers[kind] = fn
        return fn

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in HANDLER_MODULES:
            importlib.import_module(name)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    key: str,
    *,
    summary: str = "",
    related: tuple[str, int | None] | None = None,
) -> OutboxEffect:
    """The effect `kind`, in the caller's transaction; the same key twice is the same row."""
    key = key[:200]
    existing = session.exec(select(OutboxEffect).where(OutboxEffect.idempotency_key == key)).first()
    if existing is not None:
        return existing
    row = OutboxEffect(
        kind=kind,
        idempotency_key=key,
        payload=payload,
        summary=summary[:300],
        related_entity=related[0] if related else None,
        related_id=related[1] if related else None,
    )
    session.add(row)
    session.flush()
    session.info["l2c_outbox_written"] = True  # the after-commit hook wakes the worker
    return row


def begin_write(session: Session) -> None:
    """SQLite: take the write lock first (BEGIN IMMEDIATE). A deferred transaction that reads
    and then writes fails at once with "database is locked" when another writer committed in
    between (WAL snapshot); taking the lock first waits (busy_timeout) instead. PostgreSQL:
    nothing (row locks). The same rule as billing.service.begin_write, kept here so the outbox
    depends on no stage."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def write_scope() -> Iterator[Session]:
    """A short write transaction for a handler to record what the provider answered."""
    from l2c_app.core.db import session_scope

    with session_scope() as session:
        begin_write(session)
        yield session


def backoff_seconds(attempts: int) -> float:
    return min(BACKOFF_FIRST_S * 2 ** max(0, attempts - 1), BACKOFF_MAX_S)


def _due(now):
    return or_(
        and_(OutboxEffect.status == "queued", OutboxEffect.next_attempt_at <= now),
        and_(OutboxEffect.status == "sending", OutboxEffect.lease_until < now),
    )


def claim(session: Session, limit: int = 10, kinds: tuple[str, ...] | None = None) -> list[OutboxEffect]:
    """Take up to `limit` due effects for this worker; commits, so the claim is final."""
    begin_write(session)
    now = utcnow()
    stmt = select(OutboxEffect.id).where(_due(now)).order_by(OutboxEffect.id).limit(limit)
    if kinds:
        stmt = stmt.where(OutboxEffect.kind.in_(kinds))
    if session.connection().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.exec(stmt))
    taken: list[int] = []
    for effect_id in ids:
        moved = session.exec(
            update(OutboxEffect)
            .where(OutboxEffect.id == effect_id, _due(now))  # type: ignore[call-overload]
            .values(status="sending", attempts=OutboxEffect.attempts + 1, lease_until=now + timedelta(seconds=LEASE_S))
        )
        if moved.rowcount == 1:
            taken.append(effect_id)
    session.commit()
    if not taken:
        return []
    return list(session.exec(select(OutboxEffect).where(OutboxEffect.id.in_(taken)).order_by(OutboxEffect.id)))


def finish(
    session: Session, effect_id: int, *, result: str | None = None, error: str | None = None, permanent: bool = False
) -> OutboxEffect:
    begin_write(session)
    row = session.get(OutboxEffect, effect_id)
    assert row is not None
    now = utcnow()
    row.lease_until = None
    if error is None:
        row.status, row.sent_at, row.result, row.last_error = "sent", now, (result or "")[:500] or None, None
    else:
        row.last_error = error[:2000]
        if permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status, row.next_attempt_at = "queued", now + timedelta(seconds=backoff_seconds(row.attempts))
    session.add(row)
    session.commit()
    return row


def deliver(effect: OutboxEffect) -> OutboxEffect:
    """Run one claimed effect's handler (no transaction open) and record the outcome."""
    _load()
    fn = _handlers.get(effect.kind)
    result, error, permanent = None, None, False
    if fn is None:
        error, permanent = f"no handler for {effect.kind}", True
    else:
        try:
            result = fn(effect)
        except Permanent as exc:
            error, permanent = str(exc) or type(exc).__name__, True
        except Exception as exc:  # any failure of the outside call is retried later, and shown
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox effect %s (%s) attempt %s failed: %s", effect.id, effect.kind, effect.attempts, error)
    with write_scope() as session:
        row = finish(session, effect.id, result=result, error=error, permanent=permanent)  # type: ignore[arg-type]
        if row.status == "failed":
            _on_failed(session, row)
        return row


_failure_listeners: dict[str, list[Callable[[Session, OutboxEffect], None]]] = {}


def on_failed(kind: str, fn: Callable[[Session, OutboxEffect], None]) -> None:
    """`fn(session, effect)` when an effect of `kind` gives up (an e-mail marks its message failed)."""
    _failure_listeners.setdefault(kind, []).append(fn)


def _on_failed(session: Session, row: OutboxEffect) -> None:
    for fn in _failure_listeners.get(row.kind, []):
        fn(session, row)


def pump(limit: int = 10) -> int:
    """Deliver the effects due now (one batch); how many were attempted. The worker's own pump."""
    from l2c_app.core.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as session:
        effects = claim(session, limit)
    for effect in effects:
        deliver(effect)
    return len(effects)


def retry(session: Session, actor, effect_id: int) -> OutboxEffect:
    """Outbox page: queue a failed (or waiting) effect again, now, with a fresh count of attempts."""
    from l2c_app.core.audit import record_action
    from l2c_app.core.errors import DomainError

    row = session.get(OutboxEffect, effect_id)
    if row is None:
        raise DomainError("No such outbox entry", "effect_id", kind="not_found")
    if row.status not in ("failed", "queued"):
        raise DomainError(
            f"This entry is {row.status}: only a failed or waiting one can be retried", "status", kind="conflict"
        )
    record_action(
        session,
        actor,
        "outbox_effect",
        row.id,
        "retry",
        {"attempts": row.attempts, "last_error": (row.last_error or "")[:300]},
    )
    row.status, row.attempts, row.next_attempt_at, row.lease_until = "queued", 0, utcnow(), None
    session.add(row)
    session.flush()
    session.info["l2c_outbox_written"] = True
    return row


def list_effects(session: Session, status: str = "", limit: int = 200) -> list[dict]:
    stmt = select(OutboxEffect).order_by(OutboxEffect.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxEffect.status == status)
    tz = formats.org_zone(session)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "summary": e.summary or e.kind,
            "status": e.status,
            "attempts": e.attempts,
            "error": e.last_error or "",
            "result": e.result or "",
            "created": formats.moment(e.created_at, tz),
            "sent": formats.moment(e.sent_at, tz) if e.sent_at else "",
            "next": formats.moment(e.next_attempt_at, tz) if e.status == "queued" else "",
            "can_retry": e.status in ("failed", "queued"),
        }
        for e in session.exec(stmt)
    ]


def counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.exec(select(OutboxEffect.status, func.count()).group_by(OutboxEffect.status))
    return {status: n for status, n in rows}
