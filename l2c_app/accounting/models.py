"""The journal: balanced entries keyed by their source record, and the export batches.

An entry is never changed or deleted (the mapper events in `accounting.journal` refuse it);
the only update allowed is stamping `batch_id` once, when it is exported. A correction is a
new entry of the same source with the next `seq`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class ExportBatch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    date_from: date | None = None
    date_to: date | None = None
    entry_count: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class JournalEntry(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source_type", "source_id", "seq", name="uq_journal_source_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # invoice, credit_note, payment, refund, dispute, write_off, client_credit, payout
    source_type: str = Field(max_length=20)
    source_id: int
    seq: int = 1  # 1: the first posting of the source; 2, 3 ...: corrections (a delta)
    kind: str = Field(max_length=30)  # what happened: invoice_issued, payment, stripe_fee ... or *_correction
    entry_date: date = Field(index=True)
    currency: str = Field(max_length=3)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)  # the client
    reference: str | None = Field(default=None, max_length=200)
    memo: str | None = Field(default=None, max_length=300)
    batch_id: int | None = Field(default=None, foreign_key="exportbatch.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class JournalLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="journalentry.id", index=True)
    # What the line stands for within its source (receivable, income:time, tax:3, fee ...): the
    # correction of a role goes to the account the role was first posted to.
    role: str = Field(max_length=40)
    account: str = Field(max_length=40)  # the account code from the accounting settings
    account_name: str = Field(default="", max_length=120)
    debit_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    credit_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_code: str | None = Field(default=None, max_length=40)
