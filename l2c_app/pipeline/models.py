"""Accounts, contacts, the pipeline's stages, deals (the spine), stage changes, activities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class Account(SQLModel, table=True):
    """The client company."""

    # dedupe's first account of a domain (`= ? ORDER BY id LIMIT 1`) read from the index (migration 0024)
    __table_args__ = (Index("ix_account_domain_id", "domain", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    domain: str | None = Field(default=None, max_length=255)  # lower-case, for dedupe; indexed with id
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    # The client's VAT / tax id, printed on its invoices as "Client VAT id" (EU reverse charge
    # and B2B invoices need both parties' ids).
    tax_id: str | None = Field(default=None, max_length=40)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    # Billing defaults of the client (issue 15): where invoices go, the terms and the currency
    # of new deals. None: the organisation's defaults.
    billing_email: str | None = Field(default=None, max_length=320)
    payment_terms: str | None = Field(default=None, max_length=16)  # a key of billing.service.TERMS
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Contact(SQLModel, table=True):
    # dedupe's first contact by e-mail or of an account (`= ? ORDER BY id LIMIT 1`) read from the
    # index, not every contact of a large account then sorted (migration 0024)
    __table_args__ = (
        Index("ix_contact_account_id_id", "account_id", "id"),
        Index("ix_contact_email_id", "email", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")  # indexed with id (above)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)  # lower-case; indexed with id (above)
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=100)
    is_primary: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    is_billing: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    archived_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class PipelineStage(SQLModel, table=True):
    """A column of the board. `kind` won/lost marks the closing stages."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    position: int = 0
    probability: int = Field(default=10)  # percent, 0..100
    kind: str = Field(default="open", max_length=8)  # open, won, lost
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Deal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    # No FK: lead.deal_id already points here, and a cycle of foreign keys makes the
    # tables impossible to create in one order on PostgreSQL.
    lead_id: int | None = Field(default=None, index=True)
    stage_id: int = Field(foreign_key="pipelinestage.id", index=True)
    status: str = Field(default="open", max_length=8, index=True)  # open, won, lost
    value_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    probability: int | None = None  # percent; None = the stage's probability
    expected_close: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    lost_reason: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)
    stage_entered_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class StageChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage_id: int | None = Field(default=None, foreign_key="pipelinestage.id")
    to_stage_id: int = Field(foreign_key="pipelinestage.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    via: str = Field(default="ui", max_length=10)  # ui, api, system
    at: datetime = Field(default_factory=utcnow)


class Activity(SQLModel, table=True):
    """Timeline entry on a deal or a lead: note, call, email, meeting, task, or system event."""

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    kind: str = Field(max_length=16)  # note, call, email, meeting, task, system
    subject: str = Field(max_length=300)
    body: str | None = Field(default=None, sa_column=Column(Text))
    due_at: datetime | None = None
    done_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
