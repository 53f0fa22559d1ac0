"""Delivery AFTER commit: claim due rows in a short transaction (a lease), send with no
transaction open, record the attempt (retry with backoff, fail, disable the endpoint and
e-mail owners and admins) in another."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from l2c_app.core.audit import SYSTEM, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out import sender, signing, targets
from l2c_app.webhooks_out.common import DISABLE_AFTER, FIRST_RETRY, GONE, LEASE, MAX_BACKOFF, RETRY_WINDOW
from l2c_app.webhooks_out.endpoints import signing_secrets
from l2c_app.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("l2c.webhooks_out")


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
