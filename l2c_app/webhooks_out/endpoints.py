"""Webhook endpoints: create (the target checked, the secret shown once), update, rotate the
secret (the previous one signs too during the overlap), delete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, delete, select

from l2c_app.core.audit import Actor, record_action, record_create, record_delete, record_update, snapshot
from l2c_app.core.errors import Conflict, DomainError
from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out import signing, targets
from l2c_app.webhooks_out.common import ALL, EVENT_TYPES, MAX_ENDPOINTS, ROTATION_OVERLAP, get_endpoint
from l2c_app.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _event_types(values: list[str] | None) -> list[str]:
    if values is None:
        return [ALL]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DomainError('a list of event types, or ["*"] for every event', "event_types")
    chosen = [v.strip() for v in values if v.strip()]
    if not chosen or ALL in chosen:
        return [ALL]
    unknown = [v for v in chosen if v not in EVENT_TYPES]
    if unknown:
        raise DomainError(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}", "event_types")
    return sorted(set(chosen), key=EVENT_TYPES.index)


def _description(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > 500:
        raise DomainError("at most 500 characters", "description", kind="too_large")
    return value


def create_endpoint(
    session: Session,
    actor: Actor,
    *,
    url: str,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once, stored encrypted)."""
    checked = targets.check_target(url)
    count = session.exec(select(func.count()).select_from(WebhookEndpoint)).one()
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"at most {MAX_ENDPOINTS} webhook endpoints; delete one first", "url")
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=checked.url,
        description=_description(description),
        event_types=_event_types(event_types),
        enabled=bool(enabled),
        secret_enc=signing.encrypt(secret),
    )
    session.add(endpoint)
    record_create(session, actor, endpoint)
    return endpoint, secret


def update_endpoint(
    session: Session,
    actor: Actor,
    endpoint_id: int,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    before = snapshot(endpoint)
    if url is not None:
        endpoint.url = targets.check_target(url).url
    if event_types is not None:
        endpoint.event_types = _event_types(event_types)
    if description is not None:
        endpoint.description = _description(description)
    if enabled is not None and bool(enabled) != endpoint.enabled:
        endpoint.enabled = bool(enabled)
        if endpoint.enabled:  # a fresh start: the failures that disabled it are forgiven
            endpoint.failed_deliveries, endpoint.disabled_reason = 0, None
        else:
            endpoint.disabled_reason = "Disabled by hand."
    endpoint.updated_at = utcnow()
    record_update(session, actor, endpoint, before)
    return endpoint


def rotate_secret(
    session: Session, actor: Actor, endpoint_id: int, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret, returned once; the current one keeps signing for ROTATION_OVERLAP."""
    now = now or utcnow()
    endpoint = get_endpoint(session, endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret_enc, endpoint.previous_expires_at = endpoint.secret_enc, now + ROTATION_OVERLAP
    endpoint.secret_enc = signing.encrypt(secret)
    endpoint.updated_at = now
    record_action(
        session,
        actor,
        "webhookendpoint",
        endpoint.id,
        "rotate_secret",
        {"previous_valid_until": endpoint.previous_expires_at.isoformat()},
    )
    return endpoint, secret


def delete_endpoint(session: Session, actor: Actor, endpoint_id: int) -> None:
    endpoint = get_endpoint(session, endpoint_id)
    record_delete(session, actor, endpoint)
    session.exec(delete(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id))  # type: ignore[call-overload]
    session.exec(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))  # type: ignore[call-overload]
    session.delete(endpoint)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous during the overlap."""
    now = now or utcnow()
    found = [signing.decrypt(endpoint.secret_enc)]
    if endpoint.previous_secret_enc and endpoint.previous_expires_at and endpoint.previous_expires_at > now:
        found.append(signing.decrypt(endpoint.previous_secret_enc))
    return found
