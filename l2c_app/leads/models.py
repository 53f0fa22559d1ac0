"""Raw lead capture."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

# The open statuses (leads.common.OPEN_STATUSES, checked equal by a test) as dedupe writes them:
# the partial indexes below serve a query only when its WHERE holds this very condition.
OPEN_LEAD = "status IN ('new', 'qualified')"


class Lead(SQLModel, table=True):
    # recent leads of one IP (leads.service.rate_limited; the routes limit posts in leads/rate_limit.py)
    # the newest lead of a user (round-robin, leads.capture.choose_owner) is one index lookup on
    # PostgreSQL too (an index on owner_id alone holds no ids there: the max read every lead of the user)
    # dedupe's first open leads by e-mail and by domain (`status IN (open) AND email = ? ORDER BY id
    # LIMIT 10`, leads.capture.find_duplicate): partial indexes on the open leads (migration 0024).
    # Without statistics (a table not yet analysed) the planner otherwise intersected the e-mail
    # index with the status index, reading every open lead's entry: a cost growing with the table.
    # (email, id) serves the other e-mail lookups (any status, `email IN (...)`).
    __table_args__ = (
        Index("ix_lead_ip_created_at", "ip", "created_at"),
        Index("ix_lead_owner_id_id", "owner_id", "id"),
        Index("ix_lead_email_id", "email", "id"),
        Index("ix_lead_open_email_id", "email", "id", postgresql_where=text(OPEN_LEAD), sqlite_where=text(OPEN_LEAD)),
        Index(
            "ix_lead_open_email_domain_id",
            "email_domain",
            "id",
            postgresql_where=text(OPEN_LEAD),
            sqlite_where=text(OPEN_LEAD),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)  # lower-case; indexed with id (above)
    # The e-mail's domain unless it is a free-mail provider: dedupe by company domain.
    email_domain: str | None = Field(default=None, max_length=255)  # indexed with id (above)
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
    owner_id: int | None = Field(default=None, foreign_key="user.id")  # indexed with id (above)
    consent: bool = False
    # Dedupe links: flagged, never dropped.
    duplicate_of_lead_id: int | None = Field(default=None, foreign_key="lead.id")
    duplicate_of_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    converted_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class ImportJob(SQLModel, table=True):
    """A CSV import, stored before it runs so a restart loses nothing.

    The rows are kept with the job; each chunk is imported and its progress
    (`done_rows`, counts, errors) committed in ONE transaction, so after a crash or a
    restart `done_rows` says exactly which rows were written and the import resumes
    from there, never importing a row twice.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="leads", max_length=16)  # leads or contacts
    filename: str = Field(default="upload.csv", max_length=255)
    headers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rows: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # uploaded (mapped, not started), running, done, failed
    status: str = Field(default="uploaded", max_length=16, index=True)
    row_count: int = 0
    done_rows: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owners: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
