"""The payment ledger: payments, refunds, disputes, client credit.

Stripe rows are keyed by Stripe object ids (unique), so an event applied twice or out
of order finds the row it already made instead of making another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)  # None: unmatched
    account_id: int | None = Field(default=None, foreign_key="account.id")
    amount_minor: int
    currency: str = Field(max_length=3)
    method: str = Field(max_length=16)  # bank_transfer, check, cash, other, stripe, credit (client credit applied)
    status: str = Field(default="succeeded", max_length=12)  # pending, succeeded, failed, reversed
    received_on: date | None = None
    reference: str | None = Field(default=None, max_length=200)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    stripe_checkout_session_id: str | None = Field(default=None, max_length=100, unique=True)
    stripe_charge_id: str | None = Field(default=None, max_length=100, index=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    # A reversal (a payment typed in error, a bounced check) keeps the row: status "reversed".
    reversed_at: datetime | None = None
    reversal_reason: str | None = Field(default=None, max_length=300)
    reversed_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Refund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    amount_minor: int
    stripe_refund_id: str | None = Field(default=None, max_length=100, unique=True)
    reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class Dispute(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    stripe_dispute_id: str = Field(max_length=100, unique=True)
    amount_minor: int
    status: str = Field(max_length=30)  # Stripe's dispute status
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class ClientCredit(SQLModel, table=True):
    """Money a client has with us: an overpayment kept as credit (or used later)."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", unique=True)
    amount_minor: int
    currency: str = Field(max_length=3)
    note: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
