"""One row per outside effect, written in the transaction of the change that asks for it.

States: queued (waiting, or waiting for a retry at `next_attempt_at`), sending (claimed by a
worker until `lease_until`; a worker that died frees it by expiry), sent, failed (gave up:
`last_error` says why; the Outbox page's Retry queues it again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

STATES = ("queued", "sending", "sent", "failed")


class OutboxEffect(SQLModel, table=True):
    __tablename__ = "outbox_effect"
    __table_args__ = (Index("ix_outbox_effect_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)  # email, stripe.link_create, stripe.link_deactivate, docusign.send
    # One key per effect: the same effect asked twice is one row, and the provider gets it
    # (Stripe's Idempotency-Key) so a retry after a lost answer changes nothing twice.
    idempotency_key: str = Field(max_length=200, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    result: str | None = Field(default=None, max_length=500)  # what the provider answered (a link id ...)
    summary: str = Field(default="", max_length=300)  # for people: "E-mail to x: Invoice 2026-0001"
    related_entity: str | None = Field(default=None, max_length=60)
    related_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
