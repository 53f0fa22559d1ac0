"""Tables of outbound webhooks: endpoints, deliveries (one per endpoint and event) and the
attempts of each delivery (the delivery log). See `service.py` for the rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class WebhookEndpoint(SQLModel, table=True):
    """Where events are POSTed. The signing secret is stored encrypted (Fernet, key derived
    from SECRET_KEY); after a rotation the previous secret stays valid until
    `previous_expires_at` and both sign every message meanwhile."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    # ["*"] = every event type; else the exact types (service.EVENT_TYPES).
    event_types: list[str] = Field(default_factory=lambda: ["*"], sa_column=Column(JSON, nullable=False))
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=500)
    secret_enc: str = Field(max_length=500)
    previous_secret_enc: str | None = Field(default=None, max_length=500)
    previous_expires_at: datetime | None = None
    # Deliveries that failed for good in a row (every attempt over the retry window); reset by a success.
    failed_deliveries: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the exact body signed and sent, and where it stands.

    status: pending (due at `next_attempt_at`), delivered, failed (gave up after the retry
    window, or the endpoint was disabled/deleted). `webhook_id` is the Standard Webhooks
    message id, the same on every attempt and on a replay (receivers deduplicate on it)."""

    __table_args__ = (UniqueConstraint("endpoint_id", "event_id", name="uq_webhookdelivery_endpoint_event"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", index=True)
    event_type: str = Field(max_length=64)
    event_id: str = Field(max_length=100)
    webhook_id: str = Field(max_length=120)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default_factory=utcnow, index=True)
    # Retries stop at this instant (created + RETRY_WINDOW; a replay opens a new window).
    give_up_at: datetime
    last_attempt_at: datetime | None = None
    response_code: int | None = None
    response_excerpt: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery: what the receiver answered (bounded excerpt) or why it failed."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhookdelivery.id", index=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", index=True)
    attempted_at: datetime = Field(default_factory=utcnow)
    ok: bool = Field(default=False)
    response_code: int | None = None
    response_excerpt: str = Field(default="", max_length=1000)
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = Field(default=0)
