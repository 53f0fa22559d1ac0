"""What every lead capture reads and almost never changes (the lead settings, the active people),
kept per process and per database instead of read twice per lead.

Invalidation (core/commit_cache.py): a flush that writes an Organisation or a User row (settings saved, a person
added, deactivated, given another role) marks its session; its commit bumps the generation
and every entry read before it is dropped. Another worker process cannot bump ours, so an
entry also lives at most TTL_S: a change made in another process reaches this one's captures
within that time (a lead posted in that second is assigned by the rules of a second ago, as if
it had arrived a second earlier). Rows changed by hand in SQL are seen after TTL_S too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from l2c_app.core.auth import can
from l2c_app.core.commit_cache import CommitCache
from l2c_app.core.models import Organisation, User

TTL_S = 1.0


@dataclass(frozen=True)
class Person:
    """The columns of a User that capture reads (kept across sessions, so not an ORM object)."""

    id: int
    email: str
    role: str


_cache = CommitCache("lead_rules", Organisation, User)
invalidate = _cache.invalidate  # tests; a commit that changes the organisation or a user does it


def _cached(session: Session, what: str, read) -> Any:
    return _cache.get(session, what, read, TTL_S)


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
