"""What l2c remembers about talking to a provider (not business records).

One row per (provider, key): the Stripe sync's `created` cursor (key `events_cursor`), the
last time a DocuSign envelope was polled (key `poll:<envelope id>`). Kept apart from the
business tables so a sync or a poll never has to lock an invoice or a contract to note it.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, select

from l2c_app.core.timeutil import utcnow


class ProviderState(SQLModel, table=True):
    __tablename__ = "provider_state"
    __table_args__ = (UniqueConstraint("provider", "key", name="uq_provider_state_key"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)  # stripe, docusign
    key: str = Field(max_length=200)
    value: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    updated_at: datetime = Field(default_factory=utcnow)


def get_state(session: Session, provider: str, key: str) -> ProviderState | None:
    return session.exec(
        select(ProviderState).where(ProviderState.provider == provider, ProviderState.key == key)
    ).first()


def set_state(session: Session, provider: str, key: str, value: str) -> ProviderState:
    row = get_state(session, provider, key)
    if row is None:
        row = ProviderState(provider=provider, key=key)
    row.value, row.updated_at = value, utcnow()
    session.add(row)
    session.flush()
    return row


_now = time.time  # the clock of claim_poll (tests move it)


def claim_poll(session: Session, provider: str, object_id: str, min_seconds: int) -> bool:
    """Claim the right to poll `object_id` now: True (and the time noted) unless it was polled
    less than `min_seconds` ago. One statement each way, so two hosts cannot both claim it:
    the first poll is an INSERT ... ON CONFLICT DO NOTHING, later ones a conditional UPDATE
    (on PostgreSQL a concurrent claimer waits on the row and then sees the new time)."""
    table = ProviderState.__table__
    key = f"poll:{object_id}"[:200]
    now = int(_now())
    stamp = f"{now:012d}"  # fixed width: text comparison is time comparison
    conn = session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = conn.execute(
        dialect.insert(table)
        .values(provider=provider, key=key, value=stamp, updated_at=utcnow())
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return True
    moved = conn.execute(
        update(table)
        .where(table.c.provider == provider, table.c.key == key, table.c.value <= f"{now - min_seconds:012d}")
        .values(value=stamp, updated_at=utcnow())
    )
    return moved.rowcount == 1
