"""The delivery log: one delivery, its attempts, the list with filters, and replay (back in the
queue, due now, same webhook-id)."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action
from l2c_app.core.errors import Conflict, DomainError, NotFound
from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out.common import DELIVERY_STATUSES, RETRY_WINDOW, get_endpoint
from l2c_app.webhooks_out.models import WebhookAttempt, WebhookDelivery


def get_delivery(session: Session, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound("no such delivery for this endpoint", "delivery_id")
    return delivery


def replay(session: Session, actor: Actor, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send one delivery again (due now, a new retry window, the same webhook-id)."""
    endpoint = get_endpoint(session, endpoint_id)
    delivery = get_delivery(session, endpoint_id, delivery_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; enable it first, then replay", "endpoint_id")
    if delivery.status == "pending" and delivery.attempts == 0:
        raise Conflict("this delivery has not been attempted yet; it goes out shortly", "delivery_id")
    now = utcnow()
    delivery.status, delivery.next_attempt_at, delivery.give_up_at = "pending", now, now + RETRY_WINDOW
    delivery.delivered_at = None
    record_action(session, actor, "webhookdelivery", delivery.id, "replay", {"endpoint_id": endpoint_id})
    return delivery


def attempts_of(session: Session, delivery_id: int, limit: int = 50) -> list[WebhookAttempt]:
    return list(
        session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id.desc())
            .limit(limit)
        )
    )


def deliveries_query(session: Session, endpoint_id: int, status: str | None = None):
    """The endpoint's deliveries (optionally of one status), unordered: the list and the sync page share it."""
    get_endpoint(session, endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        if status not in DELIVERY_STATUSES:
            raise DomainError(f"one of {', '.join(DELIVERY_STATUSES)}", "status")
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


def list_deliveries(
    session: Session, endpoint_id: int, *, status: str | None = None, before_id: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """Newest first; `before_id` pages back (keyset)."""
    stmt = deliveries_query(session, endpoint_id, status)
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return list(session.exec(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))
