"""emit(session, type, payload): one `domain_event` row in the caller's transaction, then the
in-transaction subscribers, in the order they subscribed.

Subscribers only write our own database (timeline, notifications, a project on signature,
outbox rows for outside effects): they run inside the business transaction, so a rollback
undoes the event and everything it caused, and nothing outside has happened yet. A subscriber
that raises rolls the change back with it: subscribe only what must hold together.

Who subscribes: each stage's `subscribers.py` (listed in SUBSCRIBER_MODULES), imported on the
first emit; `subscribe("*", fn)` receives every event (outbound webhooks' fan-out).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from sqlmodel import Session

from l2c_app.core.row_writes import insert_row, insert_row_later, instance, on_reference_path, row_values
from l2c_app.events.models import DomainEvent
from l2c_app.events.types import EVENT_TYPES, field_names

Subscriber = Callable[[Session, DomainEvent], None]

SUBSCRIBER_MODULES = (
    "l2c_app.projects.subscribers",
    "l2c_app.webhooks_out.subscribers",
    "l2c_app.accounting.sync.subscribers",
)

_subscribers: dict[str, list[Subscriber]] = {}
_loaded = False


def subscribe(event_type: str, fn: Subscriber) -> Subscriber:
    """Call `fn(session, event)` in the transaction of every `event_type` event ("*": all)."""
    if event_type != "*" and event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    listeners = _subscribers.setdefault(event_type, [])
    if fn not in listeners:
        listeners.append(fn)
    return fn


def unsubscribe(event_type: str, fn: Subscriber) -> None:
    if fn in _subscribers.get(event_type, []):
        _subscribers[event_type].remove(fn)


def subscribers_of(event_type: str) -> list[Subscriber]:
    _load()
    return [*_subscribers.get(event_type, []), *_subscribers.get("*", [])]


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in SUBSCRIBER_MODULES:
        importlib.import_module(name)


def _org_id(session: Session) -> int | None:
    from l2c_app.core.models import Organisation

    cached = session.info.get("l2c_org_id")
    if cached is None:
        org = session.query(Organisation.id).order_by(Organisation.id).first()
        cached = org[0] if org else None
        if cached is not None:  # the one organisation of the install never changes once made
            session.info["l2c_org_id"] = cached
    return cached


def event_values(session: Session, event_type: str, payload: Any) -> dict[str, Any]:
    """The `domain_event` row of `event_type` with this payload (the type's dataclass, or a dict
    of its fields), checked as `emit` checks it: what a statement that inserts it itself (the
    webhook's one-statement path, payments/webhook_fast.py) stores."""
    spec = EVENT_TYPES.get(event_type)
    if spec is None:
        raise ValueError(f"unknown event type {event_type!r}")
    cls, subject_kind, subject_field = spec
    if is_dataclass(payload):
        if not isinstance(payload, cls):
            raise TypeError(f"{event_type} takes a {cls.__name__}, not {type(payload).__name__}")
        data = payload_dict(payload)
    else:
        unknown = set(payload) - field_names(cls)
        if unknown:
            raise TypeError(f"{event_type}: unknown payload fields {sorted(unknown)}")
        data = payload_dict(cls(**payload))  # missing required fields raise here
    return row_values(
        DomainEvent,
        {
            "type": event_type,
            "org_id": _org_id(session),
            "subject_kind": subject_kind,
            "subject_id": data.get(subject_field),
            "payload": data,
        },
    )


# Exact types `asdict` hands back as they are (it deep-copies containers and nested dataclasses).
_ATOMIC = frozenset({str, int, float, bool, type(None)})


def payload_dict(payload: Any) -> dict[str, Any]:
    """`asdict(payload)`, read field by field when every value is a plain scalar (a lead's event:
    asdict's recursion was half of building it); else, and on the reference path, `asdict`."""
    if not on_reference_path():
        data = {name: getattr(payload, name) for name in _field_order(type(payload))}
        if all(type(v) in _ATOMIC for v in data.values()):
            return data
    return asdict(payload)


@functools.cache
def _field_order(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def emitted(session: Session, event: DomainEvent) -> DomainEvent:
    """Run the subscribers of an event whose row is written (by `emit`, or by a caller's own statement)."""
    for fn in subscribers_of(event.type):
        fn(session, event)
    return event


def emit(session: Session, event_type: str, payload: Any) -> DomainEvent:
    """Record `event_type` with its payload (the type's dataclass, or a dict of its fields).

    The row is a plain Core insert (no ORM flush: 45 % of a webhook's CPU went to this flush);
    the caller's pending objects are flushed first, as the ORM insert did. The returned event
    is not in the session (nothing reads it back through the ORM)."""
    values = event_values(session, event_type, payload)
    # One Core INSERT (core/row_writes.py); the subscribers get the row as a (transient) object.
    return emitted(session, DomainEvent(id=insert_row(session, DomainEvent, values), **values))


def emit_later(session: Session, event_type: str, payload: Any) -> None:
    """`emit` whose row may be written with the other rows the session collects
    (core/row_writes.collect_rows: a group-commit batch of lead captures), its subscribers run
    once it is written, with its id, still inside the transaction. On any other session it is `emit`."""
    values = event_values(session, event_type, payload)
    insert_row_later(session, DomainEvent, values, lambda new_id, full: _emitted_row(session, new_id, full))


def _emitted_row(session: Session, new_id: int, values: dict[str, Any]) -> None:
    emitted(session, instance(DomainEvent, {**values, "id": new_id}))
