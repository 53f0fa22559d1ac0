"""The enabled outbound endpoints, kept per process and per database: every domain event (a lead
captured, a payment recorded) asks who is subscribed, and the list almost never changes.

Invalidation, as leads/rules_cache.py: a flush that writes a WebhookEndpoint row (added,
changed, enabled, disabled after failures, deleted) marks its session; its commit bumps the
generation and drops every entry read before it. The writing transaction itself reads the
table (not the cache) from its flush until it ends, so it sees its own change. Another worker
process cannot bump ours: an entry also lives at most TTL_S, so an endpoint added in another
process receives events from at most a second later (as if it had been added a second later).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from l2c_app.webhooks_out.models import WebhookEndpoint

TTL_S = 1.0
CHANGED = "l2c_webhook_endpoints_changed"  # session.info: this transaction wrote an endpoint


@dataclass(frozen=True)
class EndpointRef:
    """What fan-out reads of an endpoint (kept across sessions, so not an ORM object)."""

    id: int
    event_types: tuple[str, ...]


_generation = 0
_entries: dict[str, tuple[int, float, tuple[EndpointRef, ...]]] = {}
_lock = threading.Lock()


def _mark(_mapper, _connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[CHANGED] = True


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(WebhookEndpoint, _name, _mark)


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.info.pop(CHANGED, None):
        invalidate()


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    session.info.pop(CHANGED, None)


def invalidate() -> None:
    """Drop every entry (a commit that changed an endpoint; tests)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def read(session: Session) -> tuple[EndpointRef, ...]:
    """The enabled endpoints by id, from the table."""
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(col(WebhookEndpoint.enabled))
    return tuple(
        EndpointRef(int(i), tuple(types or ())) for i, types in session.exec(stmt.order_by(col(WebhookEndpoint.id)))
    )


def enabled_endpoints(session: Session) -> tuple[EndpointRef, ...]:
    """`read`, cached; a transaction that has written an endpoint reads the table."""
    if session.info.get(CHANGED) or any(
        isinstance(o, WebhookEndpoint) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        return read(session)
    key = str(session.get_bind().url)
    generation = _generation  # taken before the read: a commit during it makes the entry stale
    got = _entries.get(key)
    now = time.monotonic()
    if got is not None and got[0] == generation and now - got[1] < TTL_S:
        return got[2]
    value = read(session)
    with _lock:
        if generation == _generation:
            _entries[key] = (generation, now, value)
    return value
