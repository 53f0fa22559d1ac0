"""The notification bell: a user's notifications and marking them read."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action
from l2c_app.core.auth import get_organisation
from l2c_app.core.timeutil import utcnow

# --- notifications (the bell) ------------------------------------------------------------------


def notifications(session: Session, user_id: int, limit: int = 15) -> dict:
    from l2c_app.core.models import Notification

    unread = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).one()
    from l2c_app.core.timeutil import format_local

    rows = session.exec(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)
    ).all()
    org = get_organisation(session)
    tz = (org.timezone if org else None) or "UTC"
    return {
        "unread": unread,
        "items": [
            {
                "id": n.id,
                "text": n.text,
                "link": n.link or "",
                "at": format_local(n.created_at, tz, "%d %b %Y, %H:%M"),
                "unread": "unread" if n.read_at is None else "",
            }
            for n in rows
        ],
    }


def mark_read(session: Session, user_id: int, note_id: int | None = None) -> None:
    from l2c_app.core.models import Notification

    stmt = select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if note_id:
        stmt = stmt.where(Notification.id == note_id)
    now = utcnow()
    for n in session.exec(stmt):
        n.read_at = now


def audit_lead_action(session: Session, actor: Actor, lead_id: int, action: str, detail: dict) -> None:
    record_action(session, actor, "lead", lead_id, action, detail)
