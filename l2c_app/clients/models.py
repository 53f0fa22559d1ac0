"""The client portal's links and the request log that rate-limits them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class PortalLink(SQLModel, table=True):
    """A magic link for ONE contact of ONE client: valid until `expires_at`, unless revoked.

    Only the SHA-256 of the token is stored (a database leak gives no working link)."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class PortalRequest(SQLModel, table=True):
    """One "send me my link" request (the rate limit counts these rows, so it holds across workers)."""

    id: int | None = Field(default=None, primary_key=True)
    ip: str = Field(max_length=64, index=True)
    email_hash: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
