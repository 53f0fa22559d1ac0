"""Fan-out, INSIDE the business transaction: one delivery row per enabled endpoint subscribed
to the event's type, holding the exact JSON body; no HTTP. Also the test event."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action
from l2c_app.core.errors import Conflict, DomainError
from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out.common import ALL, EVENT_ID, RETRY_WINDOW, TEST_EVENT, get_endpoint
from l2c_app.webhooks_out.endpoint_cache import EndpointRef, enabled_endpoints
from l2c_app.webhooks_out.models import WebhookDelivery, WebhookEndpoint


def subscribed(endpoint: WebhookEndpoint | EndpointRef, event_type: str) -> bool:
    return ALL in endpoint.event_types or event_type in endpoint.event_types


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON: pass ids, minor units, strings")


def body_for(event_type: str, event_id: str, payload: dict, at: datetime) -> str:
    """The Standard Webhooks payload shape: {"type", "timestamp", "data"} (plus our event id)."""
    if isinstance(payload, dict) and any(isinstance(v, float) for v in payload.values()):
        raise DomainError("amounts are integer minor units, never floats", "payload")
    return json.dumps(
        {"type": event_type, "timestamp": at.isoformat(), "event_id": event_id, "data": payload},
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )


def _webhook_id(event_id: str) -> str:
    return f"msg_{event_id}"[:120]


# session.info: the enabled endpoints when this transaction knows them already (a Stripe
# webhook's invoice lock says whether there is any), else the process cache (endpoint_cache.py).
ENDPOINTS_KEY = "l2c_enabled_endpoints"


@sa_event.listens_for(OrmSession, "after_commit")
@sa_event.listens_for(OrmSession, "after_rollback")
@sa_event.listens_for(OrmSession, "after_soft_rollback")
def _transaction_ended(session: OrmSession, *_: Any) -> None:
    session.info.pop(ENDPOINTS_KEY, None)


@sa_event.listens_for(OrmSession, "before_flush")
def _endpoints_changed(session: OrmSession, *_: Any) -> None:
    """An endpoint added, changed or removed in this transaction: read the list again."""
    if ENDPOINTS_KEY in session.info and any(
        isinstance(o, WebhookEndpoint) for o in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info.pop(ENDPOINTS_KEY, None)


def fan_out(
    session: Session, event_type: str, event_id: str, payload: dict, *, only_endpoint: int | None = None
) -> int:
    """Queue `event_type` for every enabled endpoint subscribed to it, in the caller's
    transaction (no HTTP, no commit). Returns the number of deliveries queued."""
    if not EVENT_ID.fullmatch(event_id or ""):  # it is signed as `{id}.{timestamp}.{body}`: no "."
        raise DomainError("an event id of 1 to 100 letters, digits, '_' or '-'", "event_id")
    enabled: list[WebhookEndpoint] | tuple[EndpointRef, ...] | None
    if only_endpoint is not None:
        stmt = select(WebhookEndpoint).where(WebhookEndpoint.enabled == True, WebhookEndpoint.id == only_endpoint)  # noqa: E712
        enabled = list(session.exec(stmt))
    else:  # no statement per event: the list is kept per process and dropped when an endpoint changes
        enabled = session.info.get(ENDPOINTS_KEY)
        if enabled is None:
            enabled = enabled_endpoints(session)
    endpoints = [e for e in enabled if only_endpoint is not None or subscribed(e, event_type)]
    if not endpoints:
        return 0
    now = utcnow()
    already = set(
        session.exec(
            select(WebhookDelivery.endpoint_id).where(
                WebhookDelivery.event_id == event_id, WebhookDelivery.endpoint_id.in_([e.id for e in endpoints])
            )
        )
    )
    body = body_for(event_type, event_id, payload, now)
    queued = 0
    for endpoint in endpoints:
        if endpoint.id in already:
            continue
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_type=event_type,
                event_id=event_id,
                webhook_id=_webhook_id(event_id),
                body=body,
                next_attempt_at=now,
                give_up_at=now + RETRY_WINDOW,
                created_at=now,
            )
        )
        queued += 1
    session.flush()
    return queued


def send_test(session: Session, actor: Actor, endpoint_id: int) -> WebhookDelivery:
    """A `webhook.test` event to one endpoint (Settings > Webhooks, "Send test event")."""
    endpoint = get_endpoint(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; enable it first", "endpoint_id")
    import secrets as _secrets

    event_id = f"test_{_secrets.token_hex(8)}"
    fan_out(
        session,
        TEST_EVENT,
        event_id,
        {"endpoint_id": endpoint.id, "message": "A test event from l2c."},
        only_endpoint=endpoint.id,
    )
    record_action(session, actor, "webhookendpoint", endpoint.id, "send_test", {"event_id": event_id})
    return session.exec(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)).one()
