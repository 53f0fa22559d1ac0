"""A user's live sign-in sessions: listing, signing one out, signing out everywhere. No Reflex.

Threat model: a stolen or forgotten session (a shared computer, a lost phone) is ended by
its user from any other session, or by an owner for any user. A user may only end their
own sessions; ending someone else's everywhere is for owners.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from l2c_app.core.audit import Actor, record_action
from l2c_app.core.auth import AuthError, sha256_hex
from l2c_app.core.models import User, UserSession
from l2c_app.core.timeutil import utcnow


def _live(user_id: int):
    return select(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))


def list_sessions(session: Session, user_id: int, current_token: str | None = None) -> list[dict]:
    now = utcnow()
    current = sha256_hex(current_token) if current_token else ""
    rows = [r for r in session.exec(_live(user_id)).all() if r.expires_at > now]
    rows.sort(key=lambda r: r.last_seen_at or r.created_at, reverse=True)
    fmt = "%Y-%m-%d %H:%M UTC"
    return [
        {
            "id": r.id,
            "created": r.created_at.strftime(fmt),
            "last_seen": (r.last_seen_at or r.created_at).strftime(fmt),
            "ip": r.ip or "unknown",
            "user_agent": r.user_agent or "unknown",
            "current": r.token_hash == current,
        }
        for r in rows
    ]


def sign_out_session(session: Session, actor: Actor, session_id: int) -> None:
    """End one of the actor's own sessions (another user's id answers "no such session")."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise AuthError("No such session.", kind="not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        record_action(session, actor, "user", row.user_id, "session_signed_out", {"session": row.id})


def sign_out_everywhere(session: Session, actor: Actor, user_id: int) -> int:
    """End every live session of `user_id`; the user themself or an owner. Returns how many."""
    if actor.user_id != user_id:
        me = session.get(User, actor.user_id) if actor.user_id else None
        if me is None or me.role != "owner" or not me.is_active:
            raise AuthError("Only an owner can sign another user out.", kind="forbidden")
    if session.get(User, user_id) is None:
        raise AuthError("No such user.", kind="not_found")
    now = utcnow()
    count = 0
    for row in session.exec(_live(user_id)).all():
        row.revoked_at = now
        session.add(row)
        count += 1
    record_action(session, actor, "user", user_id, "signed_out_everywhere", {"sessions": count})
    return count
