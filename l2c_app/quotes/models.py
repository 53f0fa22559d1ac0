"""Tax rates, the catalog, quotes (versioned) and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Numeric, Text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class TaxRate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False))
    inclusive: bool = False  # True: unit prices already contain the tax
    archived_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class CatalogItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text))
    kind: str = Field(default="fixed", max_length=12)  # fixed, hourly, recurring
    unit: str = Field(default="unit", max_length=20)  # unit, hour, month
    role: str | None = Field(default=None, max_length=100)  # hourly roles, e.g. "Senior developer"
    unit_price_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    archived_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Quote(SQLModel, table=True):
    """One version of a proposal. `revision_of_id` chains versions; old ones are superseded."""

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    number: int = 1  # quote number within the deal
    version: int = 1
    revision_of_id: int | None = Field(default=None, foreign_key="quote.id")
    # draft, sent, accepted, declined, superseded, expired
    status: str = Field(default="draft", max_length=12, index=True)
    title: str = Field(default="Proposal", max_length=200)
    currency: str = Field(default="EUR", max_length=3)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    discount_percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    terms: str | None = Field(default=None, sa_column=Column(Text))
    expires_on: date | None = None
    public_token: str = Field(max_length=64, unique=True, index=True)
    # The quote's headings in order, an empty one too (a line names its heading in
    # QuoteLine.section). NULL on quotes made before 0019: their lines' sections are the list.
    sections: list[str] | None = Field(default=None, sa_column=Column(JSON))
    # Totals as last computed by quotes.totals (cached for lists; recomputed on change).
    subtotal_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    discount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    sent_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_name: str | None = Field(default=None, max_length=200)
    accepted_ip: str | None = Field(default=None, max_length=64)
    accepted_user_agent: str | None = Field(default=None, max_length=400)
    declined_at: datetime | None = None
    decline_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class QuoteLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    position: int = 0
    section: str | None = Field(default=None, max_length=200)  # heading the line sits under
    catalog_item_id: int | None = Field(default=None, foreign_key="catalogitem.id")
    description: str = Field(max_length=500)
    quantity: Decimal = Field(default=Decimal("1"), sa_column=Column(Numeric(14, 3), nullable=False))
    unit: str = Field(default="unit", max_length=20)
    unit_price_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    discount_percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    # How the line is delivered and billed later: fixed, milestone, hourly, recurring
    billing_kind: str = Field(default="fixed", max_length=12)
    role: str | None = Field(default=None, max_length=100)  # hourly estimates
    due_date: date | None = None  # milestones
    optional: bool = False
    selected: bool = True  # optional lines: ticked by the client


class QuoteTemplate(SQLModel, table=True):
    """A quote saved to start others from: its fields, headings and lines (as plain JSON:
    description, quantity, unit, unit_price_minor, discount_percent, tax_rate_id,
    billing_kind, role, section, optional, catalog_item_id)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    title: str = Field(default="Proposal", max_length=200)
    currency: str = Field(default="EUR", max_length=3)
    discount_percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    terms: str | None = Field(default=None, sa_column=Column(Text))
    sections: list[str] | None = Field(default=None, sa_column=Column(JSON))
    lines: list[dict] | None = Field(default=None, sa_column=Column(JSON))
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)
