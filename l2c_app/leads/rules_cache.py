"""What every lead capture reads and almost never changes (the lead settings, the active people),
kept per process and per database instead of read twice per lead.

Invalidation: a flush that writes an Organisation or a User row (settings saved, a person
added, deactivated, given another role) marks its session; its commit bumps the generation
and every entry read before it is dropped. Another worker process cannot bump ours, so an
entry also lives at most TTL_S: a change made in another process reaches this one's captures
within that time (a lead posted in that second is assigned by the rules of a second ago, as if
it had arrived a second earlier). Rows changed by hand in SQL are seen after TTL_S too.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from l2c_app.core.auth import can
from l2c_app.core.models import Organisation, User

TTL_S = 1.0
_CHANGED = "l2c_lead_rules_changed"


@dataclass(frozen=True)
class Person:
    """The columns of a User that capture reads (kept across sessions, so not an ORM object)."""

    id: int
    email: str
    role: str


_generation = 0
_entries: dict[tuple[str, str], tuple[int, float, Any]] = {}
_lock = threading.Lock()


def _mark(_mapper, _connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _model in (Organisation, User):
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _name, _mark)


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.info.pop(_CHANGED, None):
        invalidate()


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    session.info.pop(_CHANGED, None)


def invalidate() -> None:
    """Drop every entry (a commit that changed the organisation or a user; tests)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def _cached(session: Session, what: str, read) -> Any:
    key = (str(session.get_bind().url), what)
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


def lead_rules(session: Session) -> dict:
    """`common.lead_settings`, cached (read-only: callers must not change the dict)."""
    from l2c_app.leads.common import lead_settings

    return _cached(session, "rules", lead_settings)  # type: ignore[no-any-return]


def _read_people(session: Session) -> tuple[dict[int, Person], dict[int, Person]]:
    rows = session.exec(select(User.id, User.email, User.role).where(col(User.is_active)).order_by(col(User.id))).all()
    users = {int(uid): Person(int(uid), email, role) for uid, email, role in rows}
    return users, {uid: p for uid, p in users.items() if can(p.role, "leads")}


def people(session: Session) -> tuple[dict[int, Person], dict[int, Person]]:
    """(active users by id, those of them who may own leads), cached."""
    return _cached(session, "people", _read_people)  # type: ignore[no-any-return]
