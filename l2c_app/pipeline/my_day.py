""" "My day": the user's tasks due today or overdue, and their deals idle for N days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.deal_reads import _aware
from l2c_app.pipeline.models import Activity, Deal
from l2c_app.pipeline.stages import stale_days


def my_day(session: Session, user_id: int, tz: str = "UTC") -> dict:
    """The user's overdue and due-today tasks, and their open deals with no activity for N days."""
    from zoneinfo import ZoneInfo

    from l2c_app.core.timeutil import format_local

    now = utcnow()
    local_now = now.astimezone(ZoneInfo(tz))
    end_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    tasks = session.exec(
        select(Activity, Deal.title)
        .join(Deal, Deal.id == Activity.deal_id, isouter=True)
        .where(
            Activity.kind == "task",
            Activity.done_at.is_(None),
            Activity.user_id == user_id,
            Activity.due_at.is_not(None),
            Activity.due_at < end_of_day,
        )
        .order_by(Activity.due_at)
    ).all()
    days = stale_days(session)
    stale = session.exec(
        select(Deal)
        .where(Deal.owner_id == user_id, Deal.status == "open", Deal.last_activity_at < now - timedelta(days=days))
        .order_by(Deal.last_activity_at)
        .limit(50)
    ).all()
    # With no open deal at all, "every deal moved recently" would be true and useless: the
    # page says how to get a first deal instead.
    open_deals = session.exec(
        select(func.count()).select_from(Deal).where(Deal.owner_id == user_id, Deal.status == "open")
    ).one()
    return {
        "tasks": [
            {
                "id": a.id,
                "subject": a.subject,
                "deal": title or "",
                "deal_id": a.deal_id or 0,
                "due": format_local(a.due_at, tz),
                "overdue": "overdue" if _aware(a.due_at) < now else "today",
            }
            for a, title in tasks
        ],
        "stale": [
            {"id": d.id, "title": d.title, "idle": f"{(now - _aware(d.last_activity_at)).days} days idle"}
            for d in stale
        ],
        "stale_days": days,
        "open_deals": int(open_deals),
    }
