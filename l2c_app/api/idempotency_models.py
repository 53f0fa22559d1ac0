"""The table behind the `Idempotency-Key` header (api/idempotency.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class IdempotencyKey(SQLModel, table=True):
    """One POST made with an Idempotency-Key, per caller: its request's fingerprint and,
    once it finished, the answer a retry gets back. Kept 24 h."""

    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(max_length=64)  # SHA-256 of the credential (API key or session cookie)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path and body
    status_code: int | None = None  # NULL while the first request runs
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    content_type: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, index=True)
