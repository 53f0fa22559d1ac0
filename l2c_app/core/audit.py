"""Audit log: every create/update/delete or state change of a business record.

Services call `record_create`, `record_update`, `record_delete` or `record_action`
in the same transaction as the change, so the audit row and the change commit or
roll back together. `actor` says who: a user, an API key, a webhook, the system.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from l2c_app.core import row_writes
from l2c_app.core.models import AuditLog
from l2c_app.core.timeutil import utcnow

# Never copied into the audit log.
# Bookkeeping columns every write touches (the sync stamp `updated_at`): not a change worth auditing.
_NOISE_FIELDS = {"updated_at"}
_SECRET_FIELDS = {"password_hash", "token_hash", "key_hash", "data", "raw_body", "secret_enc", "previous_secret_enc"}


@dataclass(frozen=True)
class Actor:
    """Who acts: `kind` is user, api, webhook or system."""

    kind: str = "system"
    user_id: int | None = None
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind == "user":
            return f"user:{self.user_id}"
        return f"{self.kind}:{self.name}" if self.name else self.kind


SYSTEM = Actor()


def user_actor(user_id: int | None) -> Actor:
    return Actor("user", user_id) if user_id else SYSTEM


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def snapshot(obj: SQLModel) -> dict[str, Any]:
    """The record's columns as JSON-safe values, secrets left out, in the model's field order
    (not the order the object's attributes happened to be set: an object built as if loaded,
    core/row_writes.insert_new, and one from the constructor give the same snapshot).

    Read from the object's attributes when every field holds a plain value (what `model_dump`
    returns unchanged; the reference path and any other value go through `model_dump`): the
    dump was 40 % of building a captured lead's side rows."""
    fields = _snapshot_fields(type(obj))
    if fields is not None and not row_writes.on_reference_path():
        held = obj.__dict__
        out = {}
        for k in fields:
            value = held.get(k, _MISSING)
            if type(value) not in _AS_DUMPED:
                break  # missing (expired, unloaded) or a value model_dump may convert
            out[k] = _plain(value)
        else:
            return out
    return dumped_snapshot(obj)


def dumped_snapshot(obj: SQLModel) -> dict[str, Any]:
    """`snapshot` through `model_dump` (its reference: tests/test_row_writes.py)."""
    dumped = obj.model_dump()
    return {
        k: _plain(dumped[k])
        for k in type(obj).model_fields
        if k in dumped and k not in _SECRET_FIELDS and k not in _NOISE_FIELDS
    }


_MISSING = object()
# Exact types `model_dump` (python mode) hands back as they are, whatever the field's annotation.
_AS_DUMPED = frozenset({str, int, float, bool, type(None), datetime, date, Decimal, bytes})


@functools.cache
def _snapshot_fields(model: type[SQLModel]) -> tuple[str, ...] | None:
    """The fields a snapshot keeps, in order; None when the model customises its dump (a serializer)."""
    decorators = model.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or model.model_computed_fields:
        return None
    return tuple(k for k in model.model_fields if k not in _SECRET_FIELDS and k not in _NOISE_FIELDS)


def _entity(obj: SQLModel) -> str:
    return str(obj.__tablename__)


def audit_values(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """An AuditLog row's values: the ORM path below and the Core inserts of hot paths
    (`insert(AuditLog)` on the webhook path) both build their rows here, so they cannot differ."""
    return {
        "at": utcnow(),
        "user_id": actor.user_id,
        "actor": actor.label,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _write(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditLog:
    row = AuditLog(**audit_values(actor, action, entity, entity_id, before, after))
    session.add(row)
    return row


def record_create(session: Session, actor: Actor, obj: SQLModel) -> AuditLog:
    session.flush()  # the id must exist
    return _write(session, actor, "create", _entity(obj), obj.id, None, snapshot(obj))  # type: ignore[attr-defined]


def record_create_row(session: Session, actor: Actor, entity: str, entity_id: int, after: dict[str, Any]) -> int:
    """`record_create` for a row already inserted, as one Core INSERT (core/row_writes.py): hot
    paths (lead capture) that hold the snapshot already and need no AuditLog object back."""
    return row_writes.insert_row(session, AuditLog, audit_values(actor, "create", entity, entity_id, None, after))


def record_update(
    session: Session, actor: Actor, obj: SQLModel, before: dict[str, Any], action: str = "update"
) -> AuditLog | None:
    """Audit the fields that changed since `before` (a `snapshot` taken earlier)."""
    session.flush()
    after = snapshot(obj)
    changed = {k for k in after if before.get(k) != after.get(k)}
    if not changed and action == "update":
        return None
    return _write(
        session,
        actor,
        action,
        _entity(obj),
        obj.id,  # type: ignore[attr-defined]
        {k: before.get(k) for k in changed},
        {k: after[k] for k in changed},
    )


def record_delete(session: Session, actor: Actor, obj: SQLModel) -> AuditLog:
    return _write(session, actor, "delete", _entity(obj), obj.id, snapshot(obj), None)  # type: ignore[attr-defined]


def record_action(
    session: Session,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """A named transition (issue, void, sign ...) with its details."""
    return _write(session, actor, action, entity, entity_id, None, detail)


def history(session: Session, entity: str, entity_id: int) -> list[AuditLog]:
    stmt = (
        select(AuditLog)
        .where(col(AuditLog.entity) == entity, col(AuditLog.entity_id) == entity_id)
        .order_by(col(AuditLog.id))
    )
    return list(session.exec(stmt))
