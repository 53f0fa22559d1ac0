"""Lead capture's Core inserts (core/row_writes.py) against the ORM reference path on the same
cases: the same rows in every table capture writes (lead, audit, timeline, notification, e-mail,
domain event), and the process cache of rules and people dropped when they change."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.models import AuditLog, Notification, OutboxMessage
from l2c_app.core.row_writes import insert_object, insert_row, reference_path
from l2c_app.events.models import DomainEvent
from l2c_app.leads import rules_cache
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Activity

CASES = [
    {"name": "Ann", "email": "ann@globex.test", "company": "Globex", "message": "Hello", "consent": "on"},
    {"name": "Al", "email": "al@globex.test", "company": "Globex"},  # same domain: a duplicate
    {"name": "Ann B", "email": "ANN@globex.test"},  # same e-mail
    {"name": "Gail", "email": "gail@gmail.com", "phone": "+33 1 23"},  # free mail: no domain dedupe
]
TABLES = ("lead", "auditlog", "activity", "notification", "outboxmessage", "domain_event")
MOMENTS = {"at", "created_at", "updated_at", "done_at", "received_on"}


def _normalised(session, first_ids: dict[str, int]) -> dict[str, list[str]]:
    """Every row written since `first_ids`, ids made relative to the run's first lead, times dropped."""
    base = first_ids["lead"]
    out: dict[str, list[dict]] = {}
    for table in TABLES:
        rows = session.execute(text(f"SELECT * FROM {table} WHERE id >= :f ORDER BY id"), {"f": first_ids[table]})
        found = []
        for row in rows.mappings():
            row = {k: v for k, v in row.items() if k not in MOMENTS and k != "id"}
            blob = repr(sorted(row.items()))
            # times inside the audit snapshot (JSON: a dict on PostgreSQL, its text on SQLite)
            blob = re.sub(r"""(["'](created_at|updated_at)["']: )["'][^"']*["']""", r"\1T", blob)
            # who got it: the rotation goes on between the two runs
            blob = re.sub(r"""(["']?(owner_id|user_id)["']?(, |: ))\d+""", r"\1O", blob)
            # lead ids (entity_id, subject_id, lead_id, links, "lead #n") relative to the first lead
            blob = re.sub(
                r"""(lead=|lead #|["'](lead_id|id|entity_id|subject_id|duplicate_of_lead_id)["'](, |: ))(\d+)""",
                lambda m: f"{m[1]}+{int(m[4]) - base}",
                blob,
            )
            found.append(blob)
        out[table] = found
    return out


def _next_ids(session) -> dict[str, int]:
    return {t: (session.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in TABLES}


def _capture_all(session, run: str) -> dict[str, list[str]]:
    """The cases with the run's own addresses (x@globex.test -> x+run@globex-run.test), normalised back."""
    first = _next_ids(session)
    for data in CASES:
        data = {**data, "email": data["email"].replace("@", f"+{run}@").replace(".test", f"-{run}.test")}
        svc.capture(session, data, ip="203.0.113.7", actor=Actor("web", None, "contact form"))
    session.flush()
    back = lambda r: r.replace(f"-{run}.test", ".test").replace(f"+{run}@", "@")  # noqa: E731
    return {t: [back(r) for r in rows] for t, rows in _normalised(session, first).items()}


def test_capture_writes_the_rows_the_orm_path_writes(session, team):
    svc.save_lead_settings(
        session,
        Actor("user", team.owner.id),
        mode="round_robin",
        users=[team.sam.id, team.sofia.id],
        by_source={},
        consent_text="ok",
    )
    session.commit()
    with reference_path():
        reference = _capture_all(session, "ref")
    session.commit()
    fast = _capture_all(session, "fast")
    session.commit()
    assert [len(reference[t]) for t in TABLES] == [4, 4, 2, 4, 4, 4]
    for table in TABLES:
        assert fast[table] == reference[table], table


def test_insert_row_and_insert_object_store_what_the_orm_stores(session, team):
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    cases = [
        (
            AuditLog,
            {"at": at, "actor": "api:x", "action": "create", "entity": "lead", "entity_id": 3, "after": {"a": 1}},
        ),
        (Notification, {"user_id": team.sam.id, "kind": "k", "text": "t", "link": "/x", "created_at": at}),
        (OutboxMessage, {"to": "a@b.test", "subject": "s", "body": "b", "created_at": at}),
        (
            DomainEvent,
            {"type": "lead.created", "subject_kind": "lead", "subject_id": 1, "payload": {}, "created_at": at},
        ),
    ]
    for model, values in cases:
        with reference_path():
            ref_id = insert_row(session, model, values)
        fast_id = insert_row(session, model, values)
        ref, fast = session.get(model, ref_id), session.get(model, fast_id)
        assert ref.model_dump(exclude={"id"}) == fast.model_dump(exclude={"id"}), model
    lead_values = {"name": "N", "email": "n@x.test", "created_at": at, "updated_at": at}
    with reference_path():
        ref = insert_object(session, Lead(**lead_values))
    fast = insert_object(session, Lead(**lead_values))
    assert fast.id is not None and fast in session and fast not in session.new
    fast.status = "qualified"  # a change after the Core insert is an UPDATE like any other
    session.commit()
    session.expire_all()
    got = session.get(Lead, fast.id)
    assert got.status == "qualified"
    changed = {"id", "status", "updated_at"}
    assert got.model_dump(exclude=changed) == session.get(Lead, ref.id).model_dump(exclude=changed)


def test_the_process_cache_drops_rules_and_people_when_they_change(session, team, monkeypatch):
    monkeypatch.setattr(rules_cache, "TTL_S", 600.0)
    owner = Actor("user", team.owner.id)
    svc.save_lead_settings(session, owner, mode="round_robin", users=[team.sam.id], by_source={}, consent_text="ok")
    session.commit()
    assert rules_cache.lead_rules(session)["users"] == [team.sam.id]
    assert team.sofia.id in rules_cache.people(session)[1]
    svc.save_lead_settings(session, owner, mode="round_robin", users=[team.sofia.id], by_source={}, consent_text="ok")
    assert rules_cache.lead_rules(session)["users"] == [team.sam.id]  # not committed yet: the old rules
    session.commit()
    assert rules_cache.lead_rules(session)["users"] == [team.sofia.id]
    team.sofia.is_active = False
    session.add(team.sofia)
    session.commit()
    assert team.sofia.id not in rules_cache.people(session)[1]
    lead = svc.capture(session, {"name": "X", "email": "x@firm.test"}).lead
    assert lead.owner_id == team.owner.id  # the only one in the rotation left: the owner gets it
    session.rollback()
    # Expired entries are read again (another process changed them: seen within TTL_S).
    monkeypatch.setattr(rules_cache, "TTL_S", 0.0)
    session.execute(text('UPDATE "user" SET is_active = :t WHERE id = :i'), {"t": True, "i": team.sofia.id})
    assert team.sofia.id in rules_cache.people(session)[1]
    assert session.exec(select(Activity)).all() == []


def test_core_inserts_keep_the_text_limits_the_orm_flush_checks(session, team):
    import pytest

    from l2c_app.core.errors import DomainError

    too_long = {"user_id": team.sam.id, "kind": "k", "text": "t", "link": "/" + "x" * 400}
    for path in (reference_path, None):
        with pytest.raises(DomainError) as exc, path() if path else _nothing():
            insert_row(session, Notification, too_long)
        assert exc.value.field == "link"
        session.rollback()
    with pytest.raises(DomainError):
        insert_object(session, Lead(name="N", email="n@x.test", ip="1" * 65))


def _nothing():
    from contextlib import nullcontext

    return nullcontext()
