"""The payment ledger: payments, refunds, disputes, client credit.

Stripe rows are keyed by Stripe object ids (unique), so an event applied twice or out
of order finds the row it already made instead of making another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Integer, String, text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow

# Refund statuses that still count as money given back (Stripe: failed/canceled return it).
REFUND_LIVE = ("pending", "requires_action", "succeeded")
# Dispute statuses that end a dispute (Stripe's Dispute object: `prevented` never becomes a
# chargeback, `warning_closed` is an inquiry that closed).
DISPUTE_CLOSED = ("won", "lost", "warning_closed", "prevented")


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)  # None: unmatched
    account_id: int | None = Field(default=None, foreign_key="account.id")
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    method: str = Field(max_length=16)  # bank_transfer, check, cash, other, stripe, credit (client credit applied)
    status: str = Field(default="succeeded", max_length=12)  # pending, succeeded, failed, reversed
    received_on: date | None = None
    reference: str | None = Field(default=None, max_length=200)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    stripe_checkout_session_id: str | None = Field(default=None, max_length=100, unique=True)
    stripe_charge_id: str | None = Field(default=None, max_length=100, index=True)
    # True when a Stripe payment carries none of l2c's metadata: on a Stripe account shared
    # with another app (or a link made by hand in the dashboard) it is someone else's money
    # flow, kept but listed behind a filter instead of filling "unmatched payments".
    stripe_foreign: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # Stripe's fee and what reached our balance, from the charge's balance transaction (Stripe,
    # "Balance Transaction object": `fee` and `net` in the balance's currency, which can differ
    # from the payment's when Stripe converts it). None until known: the sync heals it.
    fee_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    net_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    fee_currency: str | None = Field(default=None, max_length=3)
    balance_transaction_id: str | None = Field(default=None, max_length=100)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    # A reversal (a payment typed in error, a bounced check) keeps the row: status "reversed".
    reversed_at: datetime | None = None
    reversal_reason: str | None = Field(default=None, max_length=300)
    reversed_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Refund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    stripe_refund_id: str | None = Field(default=None, max_length=100, unique=True)
    reason: str | None = Field(default=None, max_length=300)
    # Stripe's refund status: pending, requires_action, succeeded, failed, canceled. A failed or
    # canceled refund gives the money back to us: it no longer counts (REFUND_LIVE).
    status: str = Field(default="succeeded", sa_column=Column(String(20), nullable=False, server_default="succeeded"))
    created_at: datetime = Field(default_factory=utcnow)


class Dispute(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    stripe_dispute_id: str = Field(max_length=100, unique=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=30)  # Stripe's dispute status
    # Money Stripe has taken from our balance for this dispute right now (withdrawn minus
    # reinstated): read from the dispute's balance_transactions, which only ever grow, so the
    # snapshot with more of them is the newer one (balance_txn_count).
    withdrawn_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    balance_txn_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class ClientCredit(SQLModel, table=True):
    """Money a client has with us: an overpayment kept as credit (or used later)."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", unique=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    note: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


# Payout statuses (Stripe, "Payout object"): pending -> in_transit -> paid, or failed / canceled.
# "Some payouts that fail might initially show as paid, then change to failed": failed and
# canceled rank above paid, so a late `payout.paid` never hides a failure.
PAYOUT_RANK = {"pending": 0, "in_transit": 1, "paid": 2, "failed": 3, "canceled": 3}


class Payout(SQLModel, table=True):
    """Money Stripe sent from our balance to the bank (payout.paid / payout.failed)."""

    id: int | None = Field(default=None, primary_key=True)
    stripe_payout_id: str = Field(max_length=100, unique=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    arrival_date: date | None = None
    status: str = Field(max_length=20)
    failure_code: str | None = Field(default=None, max_length=100)
    failure_message: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
