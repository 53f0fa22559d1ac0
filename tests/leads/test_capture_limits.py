"""The public form's rate limiter (core/rate_limit, leads/rate_limit) and the statements one lead costs."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import event
from sqlmodel import func, select

from l2c_app.core import rate_limit
from l2c_app.core.audit import Actor
from l2c_app.core.models import AuditLog, Notification, OutboxMessage
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Activity

T0 = 1_800_000_000.0  # the start of a 60 s window (1_800_000_000 % 60 == 0)


def _redis():
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture(params=["memory", "redis"])
def limiter(request):
    if request.param == "memory":
        yield rate_limit.MemoryLimiter()
        return
    client = _redis()
    prefix = f"l2c-test:{uuid.uuid4().hex}:"
    yield rate_limit.RedisLimiter(client, prefix=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_limit_allows_the_limit_then_says_how_long_to_wait(limiter):
    assert [limiter.hit("ip-a", 3, 60, T0 + 10) for _ in range(3)] == [0, 0, 0]
    assert limiter.hit("ip-a", 3, 60, T0 + 10) == 50  # to the next window
    assert limiter.hit("ip-b", 3, 60, T0 + 10) == 0  # another key counts apart


def test_window_slides_so_a_burst_at_the_boundary_cannot_double_the_limit(limiter):
    for _ in range(3):
        assert limiter.hit("ip", 3, 60, T0 + 59) == 0
    # Just after the boundary the previous window still weighs almost fully.
    assert limiter.hit("ip", 3, 60, T0 + 61) > 0
    # Two windows later nothing of the burst is left (the refused hit above counted too).
    assert [limiter.hit("ip", 3, 60, T0 + 180 + i) for i in range(3)] == [0, 0, 0]


def test_refused_posts_count_too(limiter):
    for _ in range(5):
        limiter.hit("ip", 2, 60, T0)
    # 5 hits in the last window: at half of the next one the estimate is still 2.5 + 1 > 2.
    assert limiter.hit("ip", 2, 60, T0 + 90) > 0


def test_concurrent_hits_allow_exactly_the_limit(limiter):
    allowed, barrier = [], threading.Barrier(20)

    def go() -> None:
        barrier.wait()
        if limiter.hit("burst", 10, 60, T0 + 1) == 0:
            allowed.append(1)

    threads = [threading.Thread(target=go) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 10


def test_redis_down_counts_in_process():
    import redis

    down = rate_limit.RedisLimiter(redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.2), prefix="x:")
    assert [down.hit("ip", 2, 60, T0) for _ in range(3)][-1] > 0


def test_memory_limiter_forgets_old_windows():
    lim = rate_limit.MemoryLimiter()
    for i in range(100):
        lim.hit(f"ip{i}", 5, 60, T0)
    lim.hit("late", 5, 60, T0 + 600)
    assert len(lim._counts) == 1


def test_redis_url_selects_the_shared_limiter(monkeypatch, db_url):
    from l2c_app.core.config import reset_settings

    _redis()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    reset_settings()
    rate_limit.use(None)
    try:
        assert isinstance(rate_limit.limiter(), rate_limit.RedisLimiter)
    finally:
        monkeypatch.delenv("REDIS_URL")
        reset_settings()
        rate_limit.use(None)
    assert isinstance(rate_limit.limiter(), rate_limit.MemoryLimiter)


def _limit(session, team, n: int) -> None:
    svc.save_lead_settings(
        session,
        Actor("user", team.owner.id),
        mode="owner",
        users=[],
        by_source={},
        consent_text="ok",
        rate_limit_per_minute=n,
    )
    session.commit()


def test_honeypot_and_invalid_posts_count_against_the_ip(client, team, session):
    _limit(session, team, 3)
    assert client.post("/api/v1/leads", data={"name": "Bot", "email": "b@x.test", "website": "x"}).status_code == 201
    assert client.post("/api/v1/leads", json={"name": "", "email": "nope"}).status_code == 422
    assert client.post("/api/v1/leads", json={"name": "A", "email": "a@b.test"}).status_code == 201
    r = client.post("/api/v1/leads", json={"name": "B", "email": "b@b.test"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert session.exec(select(func.count()).select_from(Lead)).one() == 1


def test_public_form_state_path_uses_the_same_limit(team, session):
    from l2c_app.leads.page_logic import public_capture as _public_capture

    _limit(session, team, 2)
    _public_capture(session, {"name": "A", "email": "a@c.test"}, "203.0.113.9")
    _public_capture(session, {"name": "Bot", "email": "b@c.test", "website": "spam"}, "203.0.113.9")
    with pytest.raises(svc.LeadError) as exc:
        _public_capture(session, {"name": "C", "email": "c@c.test"}, "203.0.113.9")
    assert "Try again in" in exc.value.errors["detail"]
    _public_capture(session, {"name": "D", "email": "d@c.test"}, "203.0.113.10")  # another visitor


# --- statements per lead --------------------------------------------------------------------------

# 8 for a new lead: dedupe (2), rotation, then the lead, its audit, notification, e-mail and event
# as Core inserts; the settings, the people and the outbound endpoints come from the
# process caches (leads/rules_cache.py, webhooks_out/endpoint_cache.py). A duplicate adds its timeline row.
# A lone capture still sends these 8: in a group-commit batch the side rows go as one executemany
# per table and the rotation is read once (tests/leads/test_group_commit_twin.py).
# Was 9 (endpoints read per lead), 11 (org and users read per lead), 14-17 before (org read
# twice, max(id) per user, 4 dedupe queries).
MAX_STATEMENTS = 8


def _count_statements(client, body: dict) -> tuple[int, list[str]]:
    from l2c_app.core.db import get_engine

    seen: list[str] = []

    def on(conn, cursor, statement, params, context, executemany):
        seen.append(statement.split("\n")[0][:80])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", on)
    try:
        r = client.post("/api/v1/leads", json=body)
    finally:
        event.remove(engine, "before_cursor_execute", on)
    assert r.status_code == 201, r.text
    return len(seen), seen


def test_statements_per_public_lead_are_capped(client, team, session, monkeypatch):
    from l2c_app.leads import rules_cache

    monkeypatch.setattr(rules_cache, "TTL_S", 600.0)  # a slow machine must not see the cache expire
    svc.save_lead_settings(
        session,
        Actor("user", team.owner.id),
        mode="round_robin",
        users=[team.sam.id, team.sofia.id],
        by_source={},
        consent_text="ok",
    )
    session.commit()
    client.post("/api/v1/leads", json={"name": "Warm", "email": "warm@up.test"})  # connections, caches
    new, new_sql = _count_statements(client, {"name": "Ann", "email": "ann@globex.test", "company": "Globex"})
    dup, dup_sql = _count_statements(client, {"name": "Al", "email": "al@globex.test", "company": "Globex"})
    mail, mail_sql = _count_statements(client, {"name": "Ann B", "email": "ANN@globex.test"})
    assert new <= MAX_STATEMENTS, new_sql
    assert dup <= MAX_STATEMENTS, dup_sql
    assert mail <= MAX_STATEMENTS, mail_sql
    assert sum(s.startswith("SELECT organisation") for s in new_sql) <= 1
    # All of it still happens: rotation, dedupe, audit, activity, notification, e-mail.
    leads = session.exec(select(Lead).order_by(Lead.id)).all()
    assert [ld.owner_id for ld in leads] == [team.sam.id, team.sofia.id, team.sofia.id, team.sofia.id]
    assert leads[2].duplicate_of_lead_id == leads[1].id and leads[3].duplicate_of_lead_id == leads[1].id
    ids = [ld.id for ld in leads]
    assert (
        session.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "lead", AuditLog.action == "create", AuditLog.entity_id.in_(ids))
        ).one()
        == 4
    )
    assert (
        session.exec(select(func.count()).select_from(Notification).where(Notification.kind == "lead_assigned")).one()
        == 4
    )
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() >= 4
    assert session.exec(select(func.count()).select_from(Activity).where(Activity.lead_id.in_(ids))).one() == 2
