"""A client's one timeline: the activities of all its deals, newest first."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.clients.common import get_account
from l2c_app.core import formats
from l2c_app.core.auth import get_organisation
from l2c_app.pipeline.models import Activity, Deal


def client_timeline(session: Session, account_id: int, limit: int = 200) -> list[dict[str, str]]:
    """One timeline across every stage: the deal events each stage records through
    `pipeline.timeline.add_deal_event` (quote sent, contract signed, invoice paid ...), newest first."""
    acc = get_account(session, account_id)
    deals = {d.id: d.title for d in session.exec(select(Deal).where(Deal.account_id == acc.id))}
    if not deals:
        return []
    rows = session.exec(
        select(Activity)
        .where(Activity.deal_id.in_(list(deals)))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    org = get_organisation(session)
    tz = (org.timezone if org else None) or "UTC"
    return [
        {
            "id": str(a.id),
            "when": formats.moment(a.done_at or a.created_at, tz),
            "kind": a.kind,
            "subject": a.subject,
            "deal": deals.get(a.deal_id, ""),
            "href": f"/deals/{a.deal_id}",
        }
        for a in rows
    ]
