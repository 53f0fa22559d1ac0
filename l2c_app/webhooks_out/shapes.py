"""The JSON shapes of an endpoint and a delivery (the REST API's; Settings > Webhooks reads the same)."""

from __future__ import annotations

from datetime import datetime

from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out.models import WebhookDelivery, WebhookEndpoint


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def endpoint_json(endpoint: WebhookEndpoint, now: datetime | None = None) -> dict:
    now = now or utcnow()
    overlap = (
        endpoint.previous_expires_at if (endpoint.previous_expires_at and endpoint.previous_expires_at > now) else None
    )
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failed_deliveries": endpoint.failed_deliveries,
        "previous_secret_valid_until": _iso(overlap),
        "created_at": _iso(endpoint.created_at),
        "updated_at": _iso(endpoint.updated_at),
    }


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "webhook_id": delivery.webhook_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "response_excerpt": delivery.response_excerpt,
        "error": delivery.error,
        "created_at": _iso(delivery.created_at),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "delivered_at": _iso(delivery.delivered_at),
    }
