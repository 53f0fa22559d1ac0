"""Twins of core/row_writes.py's collected writes and of the side-row builders' fast paths, on
SQLite and PostgreSQL: the same rows queued and written by `write_collected` (prepared
executemany through the driver), by Core's executemany (`core_path`) and one by one through the
ORM (`reference_path`) are stored alike, ids and callback order included; `audit.snapshot`
and `bus.payload_dict` equal `model_dump` and `asdict` on the same objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import Session

from l2c_app.core import row_writes
from l2c_app.core.audit import dumped_snapshot, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog, Notification, OutboxMessage, User
from l2c_app.events.bus import payload_dict
from l2c_app.events.models import DomainEvent
from l2c_app.events.types import LeadCreated
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Activity

TABLES = {
    AuditLog: "auditlog",
    Notification: "notification",
    OutboxMessage: "outboxmessage",
    DomainEvent: "domain_event",
    Activity: "activity",
}
AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def _user(session: Session) -> int:
    user = User(email="rows@l2c.test", name="Rows", password_hash="x", role="sales")
    session.add(user)
    session.flush()
    return int(user.id)


def _cases(user_id: int) -> list[tuple[type, dict]]:
    """Rows of every table the side rows of a capture write, with the values a bind processor
    treats apart: JSON (nested, None, unicode, empty), aware datetimes in UTC and not (and with
    no microsecond), None in a nullable datetime, defaults left to the model (times given: a
    default time differs between two runs)."""
    return [
        (AuditLog, {"at": AT, "actor": "web:form", "action": "create", "entity": "lead", "entity_id": 7,
                    "after": {"name": "Zoë \u2603", "n": [1, 2.5, None], "deep": {"a": {"b": True}}}}),
        (Notification, {"user_id": user_id, "kind": "lead_assigned", "text": "New lead: Ann", "link": "/leads?lead=7",
                        "created_at": AT}),
        (AuditLog, {"at": AT.replace(microsecond=0), "action": "create", "entity": "lead", "entity_id": 8,
                    "before": None, "after": {}}),
        (OutboxMessage, {"to": "a@b.test", "subject": "s", "body": "line\nline", "link": None,
                         "related_entity": "notification", "related_id": 0, "created_at": AT.astimezone(PARIS)}),
        (Activity, {"lead_id": None, "kind": "system", "subject": "Flagged", "done_at": AT,
                     "created_at": AT}),
        (Notification, {"user_id": user_id, "kind": "k", "text": "t", "link": None, "read_at": AT,
                        "created_at": AT.replace(microsecond=0)}),
        (OutboxMessage, {"to": "c@d.test", "subject": "é", "body": "", "attachment_ids": [3, 4],
                         "created_at": AT}),
        (Activity, {"kind": "note", "subject": "x", "body": "b" * 3000, "due_at": AT.astimezone(PARIS),
                     "created_at": AT}),
    ]  # fmt: skip


def _events() -> list[dict]:
    return [
        {
            "type": "lead.created",
            "subject_kind": "lead",
            "subject_id": 7,
            "payload": {"lead_id": 7, "source": "web"},
            "created_at": AT,
        },
        {"type": "lead.created", "subject_kind": "lead", "subject_id": None, "payload": {}, "created_at": AT},
        {
            "type": "lead.created",
            "subject_kind": "lead",
            "subject_id": 9,
            "payload": {"x": ["ü", {"y": None}]},
            "created_at": AT.astimezone(PARIS),
        },
    ]


def _first_ids(session: Session) -> dict[str, int]:
    return {t: (session.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in TABLES.values()}


def _stored(session: Session, first: dict[str, int]) -> dict[str, list[tuple]]:
    """The rows written since `first`, each id relative to its table's first new row."""
    out = {}
    for table in TABLES.values():
        rows = session.execute(text(f"SELECT * FROM {table} WHERE id >= :f ORDER BY id"), {"f": first[table]})
        out[table] = [tuple((k, v - first[table] if k == "id" else v) for k, v in r.items()) for r in rows.mappings()]
    return out


def _write(session: Session, user_id: int, collect: bool) -> tuple[dict[str, list[tuple]], list[tuple[int, str]]]:
    """Queue the cases (interleaved tables, events with callbacks) and write them; the stored rows
    and the callbacks' (relative id, subject) in the order they ran."""
    first = _first_ids(session)
    called: list[tuple[int, str]] = []
    if collect:
        row_writes.collect_rows(session)
    with row_writes.deferred(session):
        cases = _cases(user_id)
        for (model, values), event in zip(cases, _events() + [None] * len(cases), strict=False):
            row_writes.insert_row(session, model, values)
            if event is not None:
                then = lambda new_id, full: called.append((new_id - first["domain_event"], full["subject_id"]))  # noqa: E731
                row_writes.insert_row_later(session, DomainEvent, event, then)
    row_writes.write_collected(session)
    session.flush()
    return _stored(session, first), called


def test_single_inserts_store_what_core_stores(session):
    """`insert_row` / `insert_new` one by one: the prepared INSERT ... RETURNING (fast) and Core's."""
    user_id = _user(session)
    session.commit()
    stored = []
    for context in (row_writes.core_path, _nothing):
        first = _first_ids(session)
        with context():
            for model, values in _cases(user_id):
                new_id = row_writes.insert_row(session, model, values)
                assert new_id == session.execute(text(f"SELECT max(id) FROM {TABLES[model]}")).scalar()
            row_writes.insert_new(session, DomainEvent, _events()[2])
        session.commit()
        stored.append(_stored(session, first))
    assert stored[1] == stored[0]
    assert [len(stored[0][t]) for t in TABLES.values()] == [2, 2, 2, 1, 2]


@pytest.mark.parametrize("path", ["fast", "fast_chunked", "core", "orm"])
def test_collected_rows_are_stored_as_core_and_the_orm_store_them(session, path, monkeypatch):
    """Each path is held to the ORM's rows (reference) on its own database copy of this backend.
    fast_chunked: SQLite's events go in several multi-row INSERTs (two rows each)."""
    if path == "fast_chunked":
        monkeypatch.setattr(row_writes, "_MAX_BOUND_VALUES", 2 * len(DomainEvent.model_fields) - 2)
    user_id = _user(session)
    session.commit()
    with row_writes.reference_path():
        reference, ref_calls = _write(session, user_id, collect=False)
    session.commit()
    paths = {"fast": _nothing, "fast_chunked": _nothing, "core": row_writes.core_path, "orm": row_writes.reference_path}
    context = paths[path]
    with context():
        got, calls = _write(session, user_id, collect=True)
    session.commit()
    assert [len(reference[t]) for t in TABLES.values()] == [2, 2, 2, 3, 2]
    assert ref_calls == [(0, 7), (1, None), (2, 9)]
    assert calls == ref_calls
    assert got == reference


def test_the_prepared_insert_is_the_one_core_runs(session):
    """The statement is the table's full-row INSERT; a table whose columns are not its model's
    fields takes Core's path (None)."""
    dialect = session.connection().dialect
    prepared = row_writes._prepared(AuditLog, dialect)
    assert prepared is not None
    assert prepared.sql.startswith("INSERT INTO auditlog (at, user_id, actor, action, entity, entity_id, ")
    assert "RETURNING" not in prepared.sql
    assert sorted(prepared.names) == sorted(c.key for c in AuditLog.__table__.columns if c.key != "id")
    assert row_writes._prepared(Lead, dialect) is not None


@pytest.mark.parametrize("path", ["fast", "core"])
def test_collected_rows_with_their_ids_keep_them(session, path):
    """A group-commit batch queues its leads with the ids it handed out (leads/batch_dedupe.py):
    they are stored under those ids (past a gap: SQLite would give the next rowid anyway)."""
    top = session.execute(text("SELECT coalesce(max(id), 0) FROM lead")).scalar() + 1000
    row_writes.collect_rows(session)
    with {"fast": _nothing, "core": row_writes.core_path}[path](), row_writes.deferred(session):
        for i in (1, 2):
            full = row_writes.row_values(Lead, {"id": top + i, "name": f"L{i}", "email": f"l{i}@ids.test"})
            row_writes.insert_row(session, Lead, full)
        row_writes.write_collected(session)
    session.commit()
    rows = session.execute(text("SELECT id, email FROM lead WHERE email LIKE '%@ids.test' ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(top + 1, "l1@ids.test"), (top + 2, "l2@ids.test")]


def test_collected_rows_keep_the_text_limits(session):
    user_id = _user(session)
    row_writes.collect_rows(session)
    with row_writes.deferred(session), pytest.raises(DomainError) as exc:
        row_writes.insert_row(session, Notification, {"user_id": user_id, "kind": "k", "text": "t\x00", "link": None})
    assert exc.value.field == "text"
    with pytest.raises(DomainError) as exc:
        row_writes.insert_row_later(session, DomainEvent, {"type": "x" * 61, "subject_kind": "lead"}, lambda *_: None)
    assert exc.value.kind == "too_large"


def test_the_datetime_processor_gives_cores_text(session):
    """SQLite's one-step UTC datetime text equals Core's processor on every kind of value
    (PostgreSQL: Core's processor itself)."""
    dialect = session.connection().dialect
    kind = AuditLog.__table__.c.at.type
    fast, core = row_writes._processor(kind, dialect), row_writes.core_processor(kind, dialect)
    assert (fast.__name__ == "utc_text") == (dialect.name == "sqlite")
    values = [
        *(AT, AT.replace(microsecond=0), AT.replace(year=5), AT.replace(microsecond=1), AT.astimezone(PARIS)),
        *(datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), None),
    ]
    for value in values:
        assert fast(value) == core(value), value
    with pytest.raises(ValueError):
        fast(datetime(2026, 1, 1))  # naive: refused as Core refuses it


# --- snapshots and event payloads --------------------------------------------------------------


def test_snapshot_reads_the_fields_as_model_dump_gives_them(session):
    lead_values = {"name": "Ann", "email": "ann@globex.test", "company": None, "consent": True, "created_at": AT,
                   "updated_at": AT, "ip": "203.0.113.7", "id": 5}  # fmt: skip
    built = Lead(**lead_values)
    loaded = row_writes.instance(Lead, row_writes.row_values(Lead, lead_values))
    user = User(id=3, email="u@l2c.test", name="U", password_hash="secret", role="sales")
    audit = AuditLog(id=1, at=AT, action="create", entity="lead", after={"a": [1]})  # a dict: model_dump's way
    for obj in (built, loaded, user, audit):
        assert list(snapshot(obj).items()) == list(dumped_snapshot(obj).items()), type(obj)
    assert "password_hash" not in snapshot(user) and "updated_at" not in snapshot(built)
    assert snapshot(loaded)["created_at"] == AT.isoformat()
    # An attribute not loaded (expired): the fast path steps aside, model_dump decides (it leaves it out).
    session.add(built)
    session.flush()
    session.expire(built, ["name"])
    assert list(snapshot(built).items()) == list(dumped_snapshot(built).items())
    with row_writes.reference_path():
        assert list(snapshot(loaded).items()) == list(dumped_snapshot(loaded).items())
    session.rollback()


@dataclass(frozen=True)
class _Nested:
    items: list = field(default_factory=list)
    when: date | None = None
    amount: Decimal | None = None


def test_payload_dict_is_asdict():
    cases = [LeadCreated(lead_id=3, source="web", owner_id=None), LeadCreated(lead_id=4),
             _Nested(items=[{"a": 1}]), _Nested(when=date(2026, 1, 2), amount=Decimal("1.10"))]  # fmt: skip
    for payload in cases:
        assert payload_dict(payload) == asdict(payload)
        assert list(payload_dict(payload)) == list(asdict(payload))
    nested = _Nested(items=[{"a": 1}])
    assert payload_dict(nested)["items"] is not nested.items  # asdict's copy, not the payload's list


def _nothing():
    from contextlib import nullcontext

    return nullcontext()
