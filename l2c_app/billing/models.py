"""Invoices, their lines, the billed-once links and the gap-free number sequence."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Index, Numeric, Text, text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

SOURCE_TYPES = ("time", "milestone", "change_order", "retainer_period", "expense", "deposit")


class Invoice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=40, unique=True)  # assigned on issue
    kind: str = Field(default="invoice", max_length=12)  # invoice, deposit, credit_note
    credit_for_invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    # draft, sent (issued, nothing paid yet), partially_paid, paid, written_off, void
    status: str = Field(default="draft", max_length=16, index=True)
    refunded: bool = False
    disputed: bool = False
    currency: str = Field(default="EUR", max_length=3)
    issue_date: date | None = None
    due_date: date | None = None
    terms_days: int = 30
    notes: str | None = Field(default=None, sa_column=Column(Text))
    subtotal_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # recomputed from the payment ledger, never incremented
    paid_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    public_token: str = Field(max_length=64, unique=True, index=True)
    payment_link_id: str | None = Field(default=None, max_length=100)
    payment_link_url: str | None = Field(default=None, max_length=500)
    payment_link_amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = None
    # What became of the last e-mail of it: None (never sent), "sent" (left over SMTP),
    # "queued" (kept in the Outbox: no SMTP configured), "failed" (SMTP refused it).
    delivery: str | None = Field(default=None, max_length=12)
    # Partial credit notes issued against it (positive, gross): what is due is total - credited.
    credited_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # The small remainder written off (with a reason): open = due - paid - written off.
    written_off_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    written_off_at: datetime | None = None
    write_off_reason: str | None = Field(default=None, max_length=500)
    voided_at: datetime | None = None
    void_reason: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class InvoiceLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    # The project the line bills (an invoice may span several projects of one client; the
    # invoice's own project_id is set only when it spans exactly one). NULL: a manual line.
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    position: int = 0
    description: str = Field(max_length=500)
    quantity: Decimal = Field(default=Decimal("1"), sa_column=Column(Numeric(14, 3), nullable=False))
    unit: str = Field(default="unit", max_length=20)
    unit_price_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # rounded once, half-up, when the line is built
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    tax_percent: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False))
    tax_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # True: the rate is inclusive, tax_minor is already inside amount_minor (reported, not added)
    tax_inclusive: bool = False
    source_type: str | None = Field(default=None, max_length=20)  # what the line bills (see SOURCE_TYPES)
    # On a credit note: the invoice line it credits (a line is credited at most once).
    credits_line_id: int | None = Field(default=None, foreign_key="invoiceline.id", index=True)


class RemovedInvoiceLine(SQLModel, table=True):
    """A line unticked from a draft, kept so it can be put back exactly as it was: its columns
    (`line`, amounts as built by the money rule) and the sources it billed (`sources`)."""

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    description: str = Field(max_length=500)
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    line: dict = Field(sa_column=Column(JSON, nullable=False))
    sources: list = Field(sa_column=Column(JSON, nullable=False))
    removed_at: datetime = Field(default_factory=utcnow)
    restored_at: datetime | None = None
    restored_line_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class BilledSource(SQLModel, table=True):
    """Links a billable source row to the invoice line that bills it.

    The partial unique index is the billed-once rule in the database itself: a source
    has at most one live link; voiding or crediting sets `released_at`, freeing it.
    """

    __table_args__ = (
        Index(
            "uq_billed_source_live",
            "source_type",
            "source_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_line_id: int = Field(foreign_key="invoiceline.id", index=True)
    source_type: str = Field(max_length=20)
    source_id: int
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None


class NumberSequence(SQLModel, table=True):
    """Gap-free counters (`invoice:2026` ...), taken under a row lock on issue."""

    name: str = Field(primary_key=True, max_length=60)
    next_value: int = 1
