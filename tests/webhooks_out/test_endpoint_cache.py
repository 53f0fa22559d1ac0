"""The enabled endpoints kept per process (webhooks_out/endpoint_cache.py): an event costs no
endpoint read, and every change to an endpoint is seen by the next event, in its own
transaction and, after commit, in every other session of the process; a change made by another
process (here: plain SQL, which no mapper event sees) within TTL_S."""

from __future__ import annotations

from sqlalchemy import event, update
from sqlmodel import Session, select

from l2c_app.core import commit_cache
from l2c_app.core.audit import SYSTEM
from l2c_app.webhooks_out import endpoint_cache, service
from l2c_app.webhooks_out.models import WebhookDelivery, WebhookEndpoint


def _fan_out(engine, n: int) -> tuple[int, list[str]]:
    """One event in a fresh session, committed: (deliveries queued, endpoint reads)."""
    seen: list[str] = []

    def on(conn, cursor, statement, *_):
        if "FROM webhookendpoint" in " ".join(statement.split()):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", on)
    try:
        with Session(engine) as s:
            queued = service.fan_out(s, "lead.created", f"evt_cache{n}", {"lead_id": n})
            s.commit()
    finally:
        event.remove(engine, "before_cursor_execute", on)
    return queued, seen


def test_endpoint_changes_reach_the_next_event_and_the_cache_matches_the_table(session, allow_private):
    engine = session.get_bind()
    endpoint_cache.invalidate()
    assert _fan_out(engine, 1)[0] == 0  # none yet: the empty list is cached

    endpoint, _ = service.create_endpoint(session, SYSTEM, url="http://127.0.0.1:9/hook", event_types=["*"])
    # its own transaction sees it before commit (it reads the table, not the cache)
    assert [e.id for e in endpoint_cache.enabled_endpoints(session)] == [endpoint.id]
    session.commit()
    queued, reads = _fan_out(engine, 2)
    assert queued == 1 and len(reads) == 1  # the commit dropped the cached empty list
    queued, reads = _fan_out(engine, 3)
    assert queued == 1 and reads == []  # then no read per event

    service.update_endpoint(session, SYSTEM, endpoint.id, event_types=["invoice.paid"])
    session.commit()
    assert _fan_out(engine, 4)[0] == 0  # no longer subscribed to lead.created
    service.update_endpoint(session, SYSTEM, endpoint.id, event_types=["lead.created"])
    session.commit()
    assert _fan_out(engine, 5)[0] == 1
    service.update_endpoint(session, SYSTEM, endpoint.id, enabled=False)
    session.commit()
    assert _fan_out(engine, 6)[0] == 0  # disabled
    service.update_endpoint(session, SYSTEM, endpoint.id, enabled=True)
    session.commit()
    assert _fan_out(engine, 7)[0] == 1

    # the cached list is the table's, after every change (the reference path on the same cases)
    with Session(engine) as s:
        assert endpoint_cache.enabled_endpoints(s) == endpoint_cache.read(s)
    ids = sorted(d.event_id for d in session.exec(select(WebhookDelivery)))
    assert ids == ["evt_cache2", "evt_cache3", "evt_cache5", "evt_cache7"]


def test_a_change_made_elsewhere_is_seen_within_the_ttl(session, allow_private, monkeypatch):
    engine = session.get_bind()
    endpoint, _ = service.create_endpoint(session, SYSTEM, url="http://127.0.0.1:9/hook", event_types=["*"])
    session.commit()
    assert _fan_out(engine, 1)[0] == 1
    # another process disables it: no mapper event here, so this process's cache still has it
    session.exec(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id).values(enabled=False))  # type: ignore[call-overload]
    session.commit()
    assert _fan_out(engine, 2)[0] == 1
    clock = commit_cache.time.monotonic() + endpoint_cache.TTL_S + 0.01  # the cache's clock
    monkeypatch.setattr(commit_cache.time, "monotonic", lambda: clock)
    assert _fan_out(engine, 3)[0] == 0


def test_a_rolled_back_endpoint_is_never_served(session, allow_private):
    engine = session.get_bind()
    endpoint_cache.invalidate()
    assert _fan_out(engine, 1)[0] == 0
    service.create_endpoint(session, SYSTEM, url="http://127.0.0.1:9/hook", event_types=["*"])
    assert len(endpoint_cache.enabled_endpoints(session)) == 1
    session.rollback()
    assert _fan_out(engine, 2)[0] == 0
    with Session(engine) as s:
        assert endpoint_cache.enabled_endpoints(s) == endpoint_cache.read(s) == ()
