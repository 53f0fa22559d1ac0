"""Raw lead capture."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class Lead(SQLModel, table=True):
    # the public form's per-IP rate limit counts recent leads of one IP (leads.service.rate_limited)
    __table_args__ = (Index("ix_lead_ip_created_at", "ip", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, index=True)  # lower-case
    # The e-mail's domain unless it is a free-mail provider: dedupe by company domain.
    email_domain: str | None = Field(default=None, max_length=255, index=True)
    company: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    message: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(default="web", max_length=100, index=True)
    utm_source: str | None = Field(default=None, max_length=100)
    utm_medium: str | None = Field(default=None, max_length=100)
    utm_campaign: str | None = Field(default=None, max_length=100)
    # new, qualified, disqualified, converted, merged
    status: str = Field(default="new", max_length=16, index=True)
    disqualify_reason: str | None = Field(default=None, max_length=500)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    consent: bool = False
    # Dedupe links: flagged, never dropped.
    duplicate_of_lead_id: int | None = Field(default=None, foreign_key="lead.id")
    duplicate_of_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    converted_at: datetime | None = None
