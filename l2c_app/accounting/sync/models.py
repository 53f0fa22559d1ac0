"""What l2c remembers about an accounting connection: the connection, the l2c -> remote id
mapping, and one sync-log row per pushed record. Not business records: a sync never locks
an invoice or a payment to note what it did.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

# The entities pushed, in the order a sync pushes them (a record's references go first).
ENTITIES = ("customer", "item", "invoice", "credit_memo", "payment", "fee", "refund")


class AccountingConnection(SQLModel, table=True):
    """One row per provider ("qbo"). Tokens are Fernet-encrypted under SECRET_KEY."""

    __tablename__ = "accounting_connection"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20, unique=True)
    # disconnected, pending (OAuth started), connected, reconnect (the refresh token was refused)
    status: str = Field(default="disconnected", max_length=20)
    realm_id: str | None = Field(default=None, max_length=64)  # QuickBooks company id
    oauth_state: str | None = Field(default=None, max_length=100)  # CSRF state of the pending OAuth
    refresh_token_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_token_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_expires_at: datetime | None = None
    connected_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    # remote ids of the accounts l2c posts to (found or created by name on the first sync)
    accounts_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    updated_at: datetime = Field(default_factory=utcnow)


class AccountingMapping(SQLModel, table=True):
    """l2c record -> remote record. `fingerprint` is a hash of what was last pushed: an
    unchanged record is not pushed again; a changed one is updated with `sync_token`."""

    __tablename__ = "accounting_mapping"
    __table_args__ = (UniqueConstraint("provider", "entity", "local_id", name="uq_accounting_mapping_local"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    entity: str = Field(max_length=20)
    local_id: str = Field(max_length=64)
    remote_id: str = Field(max_length=64)
    remote_number: str | None = Field(default=None, max_length=64)  # DocNumber shown to people
    sync_token: str | None = Field(default=None, max_length=32)
    fingerprint: str = Field(default="", max_length=64)
    synced_at: datetime = Field(default_factory=utcnow)


class AccountingSyncLog(SQLModel, table=True):
    """The last outcome of pushing one record: synced, or failed with the remote's error."""

    __tablename__ = "accounting_sync_log"
    __table_args__ = (UniqueConstraint("provider", "entity", "local_id", name="uq_accounting_sync_log_local"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    entity: str = Field(max_length=20)
    local_id: str = Field(max_length=64)
    label: str = Field(default="", max_length=200)  # "Invoice INV-2026-0001" for the log's reader
    status: str = Field(max_length=12)  # synced, failed
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)
