"""The deal's story: any stage adds an event to the deal timeline through here (pipeline owns the deal)."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Activity, Deal


def add_deal_event(
    session: Session,
    deal_id: int | None,
    subject: str,
    body: str | None = None,
    user_id: int | None = None,
    kind: str = "system",
) -> Activity | None:
    """Record a stage event (quote sent, contract signed, invoice paid ...) on the deal."""
    if deal_id is None:
        return None
    activity = Activity(deal_id=deal_id, user_id=user_id, kind=kind, subject=subject, body=body, done_at=utcnow())
    session.add(activity)
    deal = session.identity_map.get(session.identity_key(Deal, deal_id))
    if deal is not None:  # loaded here: the object says it too
        deal.last_activity_at = utcnow()
    elif deal_id not in session.info.setdefault(_TOLD, set()):  # once per transaction (a Stripe payment tells it twice)
        session.execute(update(Deal).where(col(Deal.id) == deal_id).values(last_activity_at=utcnow()))  # no SELECT
        session.info[_TOLD].add(deal_id)
    return activity


_TOLD = "l2c_deals_told"  # the deals whose last_activity_at this transaction has set with an UPDATE


@sa_event.listens_for(OrmSession, "after_commit")
@sa_event.listens_for(OrmSession, "after_rollback")
@sa_event.listens_for(OrmSession, "after_soft_rollback")
def _transaction_ended(session: OrmSession, *_: object) -> None:
    session.info.pop(_TOLD, None)
