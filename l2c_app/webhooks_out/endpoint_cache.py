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

from dataclasses import dataclass

from sqlmodel import Session, col, select

from l2c_app.core.commit_cache import CommitCache
from l2c_app.webhooks_out.models import WebhookEndpoint

TTL_S = 1.0


@dataclass(frozen=True)
class EndpointRef:
    """What fan-out reads of an endpoint (kept across sessions, so not an ORM object)."""

    id: int
    event_types: tuple[str, ...]


_cache = CommitCache("webhook_endpoints", WebhookEndpoint)
invalidate = _cache.invalidate  # tests; a commit that changes an endpoint does it


def read(session: Session) -> tuple[EndpointRef, ...]:
    """The enabled endpoints by id, from the table."""
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(col(WebhookEndpoint.enabled))
    return tuple(
        EndpointRef(int(i), tuple(types or ())) for i, types in session.exec(stmt.order_by(col(WebhookEndpoint.id)))
    )


def enabled_endpoints(session: Session) -> tuple[EndpointRef, ...]:
    """`read`, cached; a transaction that has written an endpoint reads the table."""
    if _cache.changed(session) or any(
        isinstance(o, WebhookEndpoint) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        return read(session)
    return _cache.get(session, "enabled", read, TTL_S)  # type: ignore[no-any-return]
