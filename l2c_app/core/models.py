"""Tables shared by every stage: organisation, users, sessions, keys, audit, outbox,
documents, notifications and raw webhook events.

Conventions for every table of l2c:
- money: `*_minor` integer columns plus a `currency` ISO code, never floats;
- durations: integer minutes;
- datetimes: timezone-aware, stored in UTC (see core/timeutil.py);
- states: short strings validated by the services (no SQL enums: cheap migrations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

ROLES = ("owner", "admin", "sales", "delivery", "billing")


class Organisation(SQLModel, table=True):
    """The one organisation of an install (created by the setup page)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    currency: str = Field(default="EUR", max_length=3)
    timezone: str = Field(default="UTC", max_length=64)
    # Stage settings that need no column of their own (assignment rules, invoice
    # number pattern, approval required, stale days, consent text ...).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    logo_document_id: int | None = Field(default=None, foreign_key="document.id")
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True, index=True)  # stored lower-case
    role: str = Field(max_length=16)  # one of ROLES
    password_hash: str = Field(default="", max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class UserSession(SQLModel, table=True):
    """A login. The cookie holds the token; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)
    last_seen_at: datetime | None = None  # refreshed at most once a minute (core.sessions)


class TwoFactor(SQLModel, table=True):
    """A user's TOTP secret, encrypted (Fernet, key derived from SECRET_KEY: core.twofactor).

    `enabled_at` is None while set-up waits for the first code; `last_step` is the 30-second
    step of the last accepted code, so a code is never accepted twice."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True, index=True)
    secret_enc: str = Field(max_length=255)
    enabled_at: datetime | None = None
    last_step: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """One-time codes for a lost authenticator: only a keyed hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64, index=True)
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginChallenge(SQLModel, table=True):
    """The step between a correct password and the second factor; a cookie holds the token."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    failures: int = 0
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)


class Invitation(SQLModel, table=True):
    """A link that lets an invited team member choose their password (single use, expires)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Failed logins, to slow down guessing (kept in the database: several workers)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    ip: str | None = Field(default=None, max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)


class ApiKey(SQLModel, table=True):
    """Server-to-server key: shown once at creation, stored as SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    # None: every section, read and write (keys made before scopes). Else e.g.
    # ["billing:write", "quotes:read"] or ["*:read"] (api/scopes.py).
    scopes: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    rate_limit_per_minute: int | None = None  # None: the default of api/scopes.py
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class AuditLog(SQLModel, table=True):
    """Who did what to which record, when; before/after hold the changed fields."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(default="system", max_length=100)  # user:<id>, api:<key name>, webhook:stripe ...
    action: str = Field(max_length=40)  # create, update, delete, or a named transition
    entity: str = Field(max_length=60, index=True)
    entity_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=40)
    text: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class Document(SQLModel, table=True):
    """A stored file (PDFs, logo). Served only by routes that check a user or a token."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # quote_pdf, contract_original, contract_signed, invoice_pdf, logo
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/pdf", max_length=100)
    sha256: str = Field(max_length=64, index=True)
    size: int = 0
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """Every e-mail l2c writes. Without SMTP it stays here, marked not sent."""

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=320)
    cc: str = Field(default="", max_length=1000)  # comma-separated Cc addresses (the composer's cc)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    link: str | None = Field(default=None, max_length=500)  # the public link the message carries
    attachment_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="outbox", max_length=16)  # outbox (no SMTP: not sent), queued, sent, failed
    error: str | None = Field(default=None, max_length=500)
    related_entity: str | None = Field(default=None, max_length=60)
    related_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class WebhookEvent(SQLModel, table=True):
    """A request from a provider, kept raw with its outcome so every change can be explained.

    Recorded before it is acted on; (provider, event_id) is unique so a redelivery is
    recognised and changes nothing.
    """

    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_provider_event"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)  # stripe, docusign
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=100)
    raw_body: str = Field(sa_column=Column(Text, nullable=False))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    outcome: str = Field(default="received", max_length=20)  # received, applied, ignored, failed
    detail: str | None = Field(default=None, sa_column=Column(Text))


class JobLease(SQLModel, table=True):
    """Who runs the scheduled jobs now: one row per job round, held until `expires_at`.

    Every `l2c serve` (on every host) starts the job loop; only the holder of the lease
    runs a round, so reminders, retainer invoices and syncs run once across hosts
    without `--no-jobs`. Taken with one conditional UPDATE (atomic on SQLite and
    PostgreSQL): no advisory locks, so the same code serves both databases.
    """

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime
    last_run_at: datetime | None = None
