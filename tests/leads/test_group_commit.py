"""Group commit of lead captures (leads/group_commit.py): leads posted together are written in
one transaction by one writer thread, and each behaves as if it had come alone: dedupe sees
the earlier leads of its batch, round-robin rotates lead by lead, a failing capture fails alone,
and a request is answered only once its batch has committed."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from l2c_app.core.audit import Actor
from l2c_app.core.db import engine_for
from l2c_app.core.models import AuditLog, Notification
from l2c_app.events.models import DomainEvent
from l2c_app.leads import group_commit
from l2c_app.leads import service as svc
from l2c_app.leads.api import _batched
from l2c_app.leads.models import Lead

WEB = Actor("web", None, "contact form")


def _rules(session, team, users) -> None:
    svc.save_lead_settings(
        session, Actor("user", team.owner.id), mode="round_robin", users=users, by_source={}, consent_text="ok"
    )
    session.commit()


def _work(email: str, name: str = "Ann", ip: str = "203.0.113.9", **extra):
    return _batched({"name": name, "email": email, **extra}, bool(extra), ip, WEB)


def _leads(db_url) -> list[Lead]:
    with Session(engine_for(db_url)) as s:
        return list(s.exec(select(Lead).order_by(Lead.id)))


def test_a_batch_flags_the_second_of_two_posts_with_one_email(session, team, db_url):
    out = group_commit.run_batch([_work("ann@globex.test"), _work("ANN@globex.test", name="Ann B")])
    assert [err for _, err in out] == [None, None]
    first, second = _leads(db_url)
    assert first.duplicate_of_lead_id is None
    assert second.duplicate_of_lead_id == first.id
    assert [r["id"] for r, _ in out] == [first.id, second.id]


def test_a_batch_rotates_round_robin_as_if_one_by_one(session, team, db_url):
    _rules(session, team, [team.sam.id, team.sofia.id])
    group_commit.run_batch([_work(f"p{i}@firm{i}.test") for i in range(3)])
    group_commit.run_batch([_work("p3@firm3.test")])
    group_commit.run_batch([_work(f"p{i}@firm{i}.test") for i in range(4, 6)])
    owners = [ld.owner_id for ld in _leads(db_url)]
    assert owners == [team.sam.id, team.sofia.id] * 3


def test_a_failing_capture_does_not_fail_its_batch_mates(session, team, db_url):
    def fails_after_writing(s):
        svc.capture(s, {"name": "Zed", "email": "zed@fail.test"}, ip="203.0.113.10", actor=WEB)
        raise RuntimeError("boom")

    out = group_commit.run_batch(
        [
            _work("a@one.test"),
            _work("b@two.test", owner_email="nobody@acme.test"),  # trusted, unknown owner: LeadError
            fails_after_writing,
            _work("a@one.test", name="Ann again"),  # still a duplicate of the first
        ]
    )
    assert out[0][1] is None and out[3][1] is None
    assert isinstance(out[1][1], svc.LeadError) and isinstance(out[2][1], RuntimeError)
    stored = _leads(db_url)
    assert [ld.email for ld in stored] == ["a@one.test", "a@one.test"]
    assert stored[1].duplicate_of_lead_id == stored[0].id
    with Session(engine_for(db_url)) as s:
        ids = [ld.id for ld in stored]
        assert s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "lead")).one() == 2
        assert s.exec(select(func.count()).select_from(DomainEvent).where(DomainEvent.subject_id.in_(ids))).one() == 2
        assert s.exec(select(func.count()).select_from(Notification)).one() == 2


def test_a_post_counts_once_against_the_limit_when_its_batch_is_written_again(session, team, db_url):
    """A batch rolled back writes its captures again: their posts are not counted twice."""
    from l2c_app.leads import rate_limit as lead_limit

    calls = []
    real = lead_limit.public_post_wait

    def counting(ip, limit):
        calls.append(ip)
        return real(ip, limit)

    lead_limit.public_post_wait, saved = counting, lead_limit.public_post_wait
    try:
        group_commit.run_batch([_work("a@one.test"), lambda s: 1 / 0, _work("b@two.test", ip="203.0.113.11")])
    finally:
        lead_limit.public_post_wait = saved
    assert calls == ["203.0.113.9", "203.0.113.11"]
    assert len(_leads(db_url)) == 2


def test_the_201_comes_after_the_commit(client, team, db_url, monkeypatch):
    seen = []
    real_commit = Session.commit

    def commit(self):
        real_commit(self)
        seen.append(len(_leads(db_url)))  # what another connection sees once committed

    monkeypatch.setattr(Session, "commit", commit)
    resp = client.post("/api/v1/leads", json={"name": "Ann", "email": "ann@globex.test"})
    assert resp.status_code == 201
    assert len(_leads(db_url)) == 1 and resp.json()["id"] == _leads(db_url)[0].id
    assert 1 in seen


def test_no_201_when_the_commit_fails(client, team, db_url, monkeypatch):
    def commit(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(group_commit, "_commit", commit, raising=False)
    with pytest.raises(RuntimeError):
        client.post("/api/v1/leads", json={"name": "Ann", "email": "ann@globex.test"})
    assert _leads(db_url) == []


def test_honeypot_and_invalid_posts_are_answered_without_the_writer(client, team, monkeypatch):
    def no_writer(work):
        raise AssertionError("queued")

    monkeypatch.setattr(group_commit, "submit", no_writer)
    assert client.post("/api/v1/leads", json={"name": "Bot", "email": "b@x.test", "website": "x"}).status_code == 201
    assert client.post("/api/v1/leads", json={"name": "", "email": "nope"}).status_code == 422


def test_one_writer_on_sqlite_and_as_configured_on_postgresql(db_url, monkeypatch):
    """SQLite has one write lock (a second writer would only wait); PostgreSQL takes PG_WRITERS
    (1 by default: fewer, larger batches cost less CPU per lead than 4 overlapping ones)."""
    monkeypatch.setattr(group_commit, "PG_WRITERS", 3)
    assert group_commit._writers_wanted() == (1 if db_url.startswith("sqlite") else 3)


def test_a_batch_whose_lead_ids_collide_is_written_one_by_one(session, team, db_url, monkeypatch):
    """The batch's lead ids are handed out before its INSERT (leads/batch_dedupe.py); should
    another writer have taken one, the INSERT fails and each capture is written alone."""
    from l2c_app.leads import batch_dedupe

    first = _leads(db_url)
    svc.capture(session, {"name": "Taken", "email": "taken@before.test"})
    session.commit()
    taken = _leads(db_url)[-1].id
    monkeypatch.setattr(batch_dedupe, "_allocate", lambda _s, n, _after: list(range(taken, taken + n)))
    monkeypatch.setattr(
        batch_dedupe.BatchDedupe, "prefetch", lambda self, s, keys: None
    )  # no ids from the prefetch (PostgreSQL) either: `_allocate` hands them out
    monkeypatch.setattr(batch_dedupe.BatchDedupe, "find", lambda self, s, email, domain: (None, None))
    transactions = []
    real = group_commit._in_one_transaction
    monkeypatch.setattr(
        group_commit, "_in_one_transaction", lambda works: transactions.append(len(works)) or real(works)
    )
    out = group_commit.run_batch([_work("x@one.test"), _work("y@two.test", ip="203.0.113.8")])
    assert [err for _, err in out] == [None, None]
    assert transactions == [2, 1, 1]  # the batch failed on the taken id, then each alone
    stored = _leads(db_url)[len(first) :]
    assert [ld.email for ld in stored] == ["taken@before.test", "x@one.test", "y@two.test"]
    assert stored[1].id > taken and [r["id"] for r, _ in out] == [stored[1].id, stored[2].id]


def test_the_writer_waits_for_as_many_captures_as_were_lately_in_flight():
    from l2c_app.core.group_commit import Concurrency

    clock = [100.0]
    seen = Concurrency(clock=lambda: clock[0])
    assert seen.recent() == 0
    for _ in range(3):
        seen.enter()
    seen.leave()
    assert seen.recent() == 3  # the peak, while it is recent
    clock[0] += 0.6
    assert seen.recent() == 2  # an old peak: what is in flight now
    seen.leave()
    seen.leave()
    seen.enter()
    assert seen.recent() == 1  # one at a time: the writer does not wait (one connection pays nothing)
