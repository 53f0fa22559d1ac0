"""Delivery: projects, their plan (budget lines, milestones, retainers), team, time,
change orders and expenses. Every billable row here is a *source* for billing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Column, Index, Numeric, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", unique=True)
    status: str = Field(default="active", max_length=12)  # active, on_hold, done
    currency: str = Field(default="EUR", max_length=3)
    lead_user_id: int | None = Field(default=None, foreign_key="user.id")
    billable_default: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ProjectQuote(SQLModel, table=True):
    """Accepted quotes that fed the project (several quotes of one deal may)."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    quote_id: int = Field(foreign_key="quote.id", unique=True)


class ProjectMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_member"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    budget_line_id: int | None = Field(default=None, foreign_key="budgetline.id")  # billing role
    # overrides the budget line's rate
    rate_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class BudgetLine(SQLModel, table=True):
    """Hours x rate per role; from an hourly quote line or an approved change order."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    quote_line_id: int | None = Field(default=None, foreign_key="quoteline.id")
    change_order_id: int | None = Field(default=None, foreign_key="changeorder.id")
    role: str = Field(max_length=100)
    budget_minutes: int = 0
    rate_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # the quoted money, kept exactly (not recomputed from hours x rate)
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Milestone(SQLModel, table=True):
    """A fixed-fee item (billable at once) or a milestone (billable once reached)."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    quote_line_id: int | None = Field(default=None, foreign_key="quoteline.id")
    kind: str = Field(default="milestone", max_length=12)  # fixed, milestone
    name: str = Field(max_length=300)
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    due_date: date | None = None
    status: str = Field(default="planned", max_length=12)  # planned, reached
    reached_on: date | None = None


class Retainer(SQLModel, table=True):
    """A recurring monthly fee from a recurring quote line."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    quote_line_id: int | None = Field(default=None, foreign_key="quoteline.id")
    name: str = Field(max_length=300)
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))  # per month
    months: int | None = None  # None: until stopped
    # The quoted money for the whole term, kept exactly (the quote line's net amount);
    # `retainer_period_amount` splits it over the months so the periods sum to it.
    planned_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    start_date: date
    active: bool = True
    # The monthly invoice the job makes is e-mailed to the client at once (else it waits, issued).
    email_invoices: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class RetainerPeriod(SQLModel, table=True):
    """One month of a retainer: the billable source, made when the month is due."""

    __table_args__ = (UniqueConstraint("retainer_id", "period_start", name="uq_retainer_period"),)
    id: int | None = Field(default=None, primary_key=True)
    retainer_id: int = Field(foreign_key="retainer.id", index=True)
    period_start: date
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    budget_line_id: int | None = Field(default=None, foreign_key="budgetline.id")
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    name: str = Field(max_length=300)
    done: bool = False


class TimeEntry(SQLModel, table=True):
    __table_args__ = (Index("ix_time_user_day", "user_id", "day"), Index("ix_time_project_day", "project_id", "day"))
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    budget_line_id: int | None = Field(default=None, foreign_key="budgetline.id")
    task_id: int | None = Field(default=None, foreign_key="task.id")
    user_id: int = Field(foreign_key="user.id")
    day: date
    minutes: int  # > 0; at most 1440 per user and day across entries
    billable: bool = True
    rate_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))  # the rate at the time of entry
    note: str | None = Field(default=None, max_length=1000)
    approved_at: datetime | None = None
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class WeekSubmission(SQLModel, table=True):
    """A person's week of time handed in for approval (all their projects that week).
    Reopening an approval withdraws it: the person fixes the time and submits again."""

    __table_args__ = (UniqueConstraint("user_id", "week_start", name="uq_week_submission"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    week_start: date  # the Monday
    submitted_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class ChangeOrder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: int = 1
    description: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(default="fixed", max_length=8)  # fixed, hours
    # fixed: the price; hours: minutes x rate, rounded once
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    minutes: int = 0
    rate_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    role: str | None = Field(default=None, max_length=100)
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    # The tax as shown to the client (kept, so the invoice charges what was approved even if
    # the rate row changes later); tax_minor by the one line rule (core/lines).
    tax_percent: Decimal = Field(
        default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False, server_default="0")
    )
    tax_inclusive: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    tax_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    status: str = Field(default="draft", max_length=10)  # draft, sent, approved, declined
    public_token: str = Field(max_length=64, unique=True, index=True)
    provider: str = Field(default="builtin", max_length=12)
    envelope_id: str | None = Field(default=None, max_length=100)
    approved_name: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = None
    approved_ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Expense(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    day: date
    description: str = Field(max_length=300)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    tax_rate_id: int | None = Field(default=None, foreign_key="taxrate.id")
    billable: bool = True
    # one of projects.expenses.EXPENSE_CATEGORIES
    category: str = Field(default="other", max_length=40, sa_column_kwargs={"server_default": "other"})
    # Percent added on top when billed (Numeric like every other percent: exact, fed to core.money.percent_of)
    markup_percent: Decimal = Field(
        default=Decimal("0"), sa_column=Column(Numeric(7, 4), nullable=False, server_default="0")
    )
    # The receipt, a private Document (served by /api/v1/expenses/{id}/receipt after an access check)
    receipt_document_id: int | None = Field(default=None, foreign_key="document.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class CostRate(SQLModel, table=True):
    """What an hour of a person costs the organisation, from `effective_from` on (history by date):
    a time entry costs the rate whose effective_from is the latest on or before its day."""

    __table_args__ = (UniqueConstraint("user_id", "effective_from", name="uq_costrate_user_day"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    effective_from: date
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))  # per hour
    currency: str = Field(default="EUR", max_length=3)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)
