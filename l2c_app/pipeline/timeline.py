"""The deal's story: any stage adds an event to the deal timeline through here (pipeline owns the deal)."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Activity, Deal


def add_deal_event(session: Session, deal_id: int | None, subject: str, body: str | None = None,
                   user_id: int | None = None, kind: str = "system") -> Activity | None:
    """Record a stage event (quote sent, contract signed, invoice paid ...) on the deal."""
    if deal_id is None:
        return None
    activity = Activity(deal_id=deal_id, user_id=user_id, kind=kind, subject=subject, body=body, done_at=utcnow())
    session.add(activity)
    deal = session.get(Deal, deal_id)
    if deal is not None:
        deal.last_activity_at = utcnow()
    return activity
