"""Outbound webhooks (Standard Webhooks): endpoints, fan-out in the business transaction,
delivery after commit with retries, the delivery log, replay, and disabling a failing
endpoint. No Reflex here; the API (`api.py`) and Settings > Webhooks (`pages.py`) call it.

How an event flows:
1. `fan_out(session, event_type, event_id, payload)` runs INSIDE the transaction of the
   change (the outbox's subscriber calls it): one `WebhookDelivery` row per enabled endpoint
   subscribed to the type, holding the exact JSON body. No HTTP. A rollback leaves no row;
   the same event fanned out twice adds nothing (unique endpoint + event id).
2. `deliver_due(now)` runs AFTER commit (the outbox worker's pump, or a test): it claims due
   rows in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
   never take the same row; a claim is a lease of LEASE), sends each one with no
   transaction open, then records the attempt in another short transaction.
3. A 2xx delivers. Anything else is retried with exponential backoff (30 s, 1 min, 2 min
   ... capped at 12 h between attempts; at least a Retry-After the receiver sent) until
   RETRY_WINDOW (3 days) after the event, then the delivery has failed. DISABLE_AFTER
   deliveries failed in a row (no success between), or one 410 Gone, disable the endpoint;
   owners and admins are e-mailed after that commit. (Standard Webhooks, "Deliverability and
   reliability" and "Delivery success and failure": spec/standard-webhooks.md of
   github.com/standard-webhooks/standard-webhooks. No jitter: one l2c install sends few.)
4. A replay puts one delivery back in the queue, due now, with a fresh retry window and the
   same `webhook-id` (receivers deduplicate on it).

Threat model:
- SSRF: see targets.py (http(s) only; public addresses only, resolved at save time and at
  every delivery, connection pinned to the checked address; `WEBHOOKS_ALLOW_PRIVATE=1`
  lifts the address rule for tests).
- Secrets at rest: see signing.py (Fernet under a key derived from SECRET_KEY; shown once;
  never in the audit log or an API answer after creation/rotation).
- Hostile receivers: sender.py (short timeouts, response read bounded to 64 KiB, excerpt of
  1000 characters stored, redirects not followed, no decompression, no proxy).
- Payloads carry what the REST API returns to an API key (ids, amounts in minor units with
  their currency), so an endpoint learns nothing a key could not read.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, delete, select

from l2c_app.core.audit import SYSTEM, Actor, record_action, record_create, record_delete, record_update, snapshot
from l2c_app.core.errors import Conflict, DomainError, NotFound
from l2c_app.core.timeutil import utcnow
from l2c_app.events.types import EVENT_TYPES as _DOMAIN_EVENT_TYPES
from l2c_app.webhooks_out import sender, signing, targets
from l2c_app.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("l2c.webhooks_out")

# The domain events (the outbox's `emit` types, one list); "*" subscribes to all of them.
EVENT_TYPES: tuple[str, ...] = tuple(_DOMAIN_EVENT_TYPES)
ALL = "*"
TEST_EVENT = "webhook.test"  # sent by "Send test event" only, to one endpoint
MAX_ENDPOINTS = 50
RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=12)
LEASE = timedelta(minutes=2)  # a claimed row is retried after this if its worker died
DISABLE_AFTER = 5  # deliveries failed for good in a row
ROTATION_OVERLAP = timedelta(days=1)
DELIVERY_STATUSES = ("pending", "delivered", "failed")
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
GONE = 410  # the receiver says it wants no more webhooks: the endpoint is disabled at once


# --- endpoints --------------------------------------------------------------------------


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


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", "endpoint_id")
    return endpoint


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


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL in endpoint.event_types or event_type in endpoint.event_types


# --- fan-out (inside the business transaction) -------------------------------------------


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


ENDPOINTS_KEY = "l2c_enabled_endpoints"  # session.info: the enabled endpoints (this transaction)


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
    now = utcnow()
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.enabled == True)  # noqa: E712
    if only_endpoint is not None:
        stmt = stmt.where(WebhookEndpoint.id == only_endpoint)
        enabled = list(session.exec(stmt))
    else:  # read once per transaction (a Stripe payment emits two events); see _endpoints_changed
        enabled = session.info.get(ENDPOINTS_KEY)
        if enabled is None:
            enabled = session.info[ENDPOINTS_KEY] = list(session.exec(stmt.order_by(WebhookEndpoint.id)))
    endpoints = [e for e in enabled if only_endpoint is not None or subscribed(e, event_type)]
    if not endpoints:
        return 0
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


# --- delivery (after commit, no transaction during HTTP) -----------------------------------


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    endpoint_id: int
    url: str
    webhook_id: str
    body: str
    secrets: tuple[str, ...]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s doubling, capped at 12 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(now: datetime, limit: int, delivery_ids: list[int] | None = None) -> list[_Job]:
    from l2c_app.core.db import session_scope

    jobs: list[_Job] = []
    with session_scope() as session:
        stmt = (
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.enabled == True,  # noqa: E712
            )
        )
        if delivery_ids is not None:
            stmt = stmt.where(WebhookDelivery.id.in_(delivery_ids))
        stmt = (
            stmt.order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )  # type: ignore[arg-type]
        for delivery, endpoint in session.exec(stmt).all():
            try:
                keys = tuple(signing_secrets(endpoint, now))
            except DomainError as exc:  # SECRET_KEY changed: nothing can be signed
                _fail_now(session, delivery, endpoint, now, exc.message)
                continue
            # The lease, taken by a conditional UPDATE: of two workers that read the same row
            # (SQLite has no SKIP LOCKED), only one changes it; the other skips it.
            taken = session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery.id,
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + LEASE)
            )
            if taken.rowcount != 1:
                continue
            jobs.append(_Job(delivery.id, endpoint.id, endpoint.url, delivery.webhook_id, delivery.body, keys))
    return jobs


def _fail_now(
    session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime, error: str
) -> None:
    session.add(WebhookAttempt(delivery_id=delivery.id, endpoint_id=endpoint.id, attempted_at=now, error=error[:500]))
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.error = now, error[:500]
    delivery.status, delivery.next_attempt_at = "failed", None


def _attempt(job: _Job) -> sender.Outcome:
    try:
        target = targets.check_target(job.url)  # again now: the name may point elsewhere since it was saved
    except DomainError as exc:
        return sender.Outcome(False, error=f"refused: {exc.message}"[:500])
    from datetime import UTC

    signed_at = datetime.now(UTC)  # the real instant of sending (receivers check it within minutes)
    return sender.post(target, job.body, signing.headers(job.webhook_id, job.body, list(job.secrets), signed_at))


def _record(job: _Job, outcome: sender.Outcome, now: datetime) -> WebhookEndpoint | None:
    """Write the attempt and the delivery's new state; the endpoint if this disabled it."""
    from l2c_app.core.db import session_scope

    with session_scope() as session:
        delivery = session.get(WebhookDelivery, job.delivery_id)
        endpoint = session.get(WebhookEndpoint, job.endpoint_id)
        if delivery is None or endpoint is None:  # deleted while it was being sent
            return None
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                endpoint_id=endpoint.id,
                attempted_at=now,
                ok=outcome.ok,
                response_code=outcome.status,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.response_code = now, outcome.status
        delivery.response_excerpt, delivery.error = outcome.excerpt, outcome.error
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
            endpoint.failed_deliveries = 0
            return None
        wait = backoff(delivery.attempts)
        if outcome.retry_after is not None:  # the receiver asked for a pause (429, 503): at least that
            wait = min(max(wait, timedelta(seconds=outcome.retry_after)), MAX_BACKOFF)
        retry_at = now + wait
        gone = outcome.status == GONE
        if retry_at <= delivery.give_up_at and not gone:
            delivery.next_attempt_at = retry_at
            return None
        delivery.status, delivery.next_attempt_at = "failed", None
        endpoint.failed_deliveries += 1
        if endpoint.enabled and (gone or endpoint.failed_deliveries >= DISABLE_AFTER):
            before = snapshot(endpoint)
            endpoint.enabled = False
            endpoint.disabled_reason = (
                "Disabled automatically: the receiver answered 410 Gone (it wants no more webhooks)."
                if gone
                else f"Disabled automatically: {endpoint.failed_deliveries} deliveries in a row "
                f"failed every attempt for {RETRY_WINDOW.days} days (last: "
                f"{outcome.error or 'no answer'})."
            )[:500]
            endpoint.updated_at = now
            record_update(session, SYSTEM, endpoint, before, action="disable")
            session.flush()
            return WebhookEndpoint.model_validate(endpoint.model_dump())
        return None


def _mail_admins(endpoint: WebhookEndpoint) -> None:
    """After the disabling commit: tell owners and admins (the outbox shows the message)."""
    from l2c_app.core.config import get_settings
    from l2c_app.core.db import session_scope
    from l2c_app.core.models import User
    from l2c_app.ports.mailer import send_mail

    with session_scope() as session:
        admins = session.exec(select(User).where(User.role.in_(("owner", "admin")), User.is_active == True)).all()  # noqa: E712
        link = f"{get_settings().app_base_url}/settings/webhooks"
        for user in admins:
            send_mail(
                session,
                to=user.email,
                subject=f"Webhook endpoint disabled: {endpoint.url}"[:300],
                body=(
                    f"Hello {user.name},\n\nl2c stopped sending events to {endpoint.url}.\n"
                    f"{endpoint.disabled_reason}\n\nFix the receiver, then enable the endpoint again and "
                    f"replay the failed deliveries: {link}\n"
                ),
                link=link,
                related=("webhookendpoint", endpoint.id),
            )


def deliver_due(now: datetime | None = None, limit: int = 50, delivery_ids: list[int] | None = None) -> int:
    """Send what is due (own sessions, none open during HTTP). Returns the attempts made.

    The outbox worker calls this as a pump; it is also safe to call from several processes.
    `delivery_ids`: only these (Settings > Webhooks sends a test or a replay at once)."""
    now = now or utcnow()
    jobs = _claim(now, limit, delivery_ids)
    for job in jobs:
        outcome = _attempt(job)
        disabled = _record(job, outcome, now)
        if disabled is not None:
            try:
                _mail_admins(disabled)
            except Exception:  # the endpoint is disabled either way; the log says the mail failed
                log.exception("could not e-mail admins about disabled endpoint %s", disabled.id)
    return len(jobs)


# --- log and replay -------------------------------------------------------------------------


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


# --- JSON (the API's shapes; the UI reads the same) ---------------------------------------------


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
