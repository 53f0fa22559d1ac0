"""The one table of domain events (l2c_app/events/types.py lists the types and payloads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class DomainEvent(SQLModel, table=True):
    __tablename__ = "domain_event"

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=60, index=True)  # invoice.paid ...
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    subject_kind: str = Field(max_length=40)  # invoice, deal, lead ...
    subject_id: int | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
