"""What Settings > Webhooks shows: endpoint rows and the delivery log as display strings
(organisation's time zone). Plain functions over a Session; the page's state calls them."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.core.auth import get_organisation
from l2c_app.core.timeutil import format_local
from l2c_app.webhooks_out import service as svc
from l2c_app.webhooks_out.models import WebhookEndpoint

STATUS_LABELS = {"pending": "Retrying", "delivered": "Delivered", "failed": "Failed"}


def _tz(session: Session) -> str:
    org = get_organisation(session)
    return (org.timezone if org else None) or "UTC"


def endpoint_rows(session: Session) -> list[dict[str, str]]:
    tz = _tz(session)
    rows = []
    for e in session.exec(select(WebhookEndpoint).order_by(WebhookEndpoint.id)):
        data = svc.endpoint_json(e)
        rows.append(
            {
                "id": str(e.id),
                "url": e.url,
                "description": e.description or "",
                "events": "All events" if svc.ALL in e.event_types else ", ".join(e.event_types),
                "status": "Enabled" if e.enabled else "Disabled",
                "reason": e.disabled_reason or "",
                "failed": str(e.failed_deliveries),
                "rotated_until": format_local(e.previous_expires_at, tz) if data["previous_secret_valid_until"] else "",
            }
        )
    return rows


def delivery_rows(session: Session, endpoint_id: int, limit: int = 50) -> list[dict[str, str]]:
    tz = _tz(session)
    rows = []
    for d in svc.list_deliveries(session, endpoint_id, limit=limit):
        waiting = d.status == "pending" and d.attempts == 0
        rows.append(
            {
                "id": str(d.id),
                "event": d.event_type,
                "webhook_id": d.webhook_id,
                "status": "Queued" if waiting else STATUS_LABELS.get(d.status, d.status),
                "code": str(d.response_code) if d.response_code is not None else "—",
                "attempts": str(d.attempts),
                "time": format_local(d.last_attempt_at or d.created_at, tz),
                "next": format_local(d.next_attempt_at, tz) if d.status == "pending" and d.next_attempt_at else "",
                "excerpt": (d.error + (": " if d.response_excerpt else "") if d.error else "")
                + d.response_excerpt[:200],
                "can_replay": "yes" if not waiting else "",
            }
        )
    return rows
