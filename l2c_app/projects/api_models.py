"""Pydantic models of what `projects/api.py` answers: exactly the keys of
`projects.records.project_detail` (with `budget_report`), `approvals.time_entry_json` and
`change_orders.change_order_json` (dates and instants stay the ISO strings they make)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TeamMemberOut(BaseModel):
    id: int
    user_id: int
    name: str
    email: str
    billing_role: str
    budget_line_id: int | None
    rate_minor: int
    is_lead: bool


class MilestoneRow(BaseModel):
    id: int
    kind: str
    name: str
    amount_minor: int
    due_date: str | None
    status: str
    reached_on: str | None


class RetainerRow(BaseModel):
    id: int
    name: str
    amount_minor: int
    months: int | None
    planned_minor: int
    start_date: str
    active: bool
    email_invoices: bool


class ChangeOrderFull(BaseModel):
    id: int
    project_id: int
    number: int
    description: str
    kind: str = Field(description="fixed or hours")
    amount_minor: int
    minutes: int | None
    rate_minor: int | None
    role: str | None
    status: str
    public_url: str
    provider: str | None
    envelope_id: str | None
    approved_name: str | None
    approved_at: str | None
    billable: bool
    tax_rate_id: int | None
    tax_percent: str
    tax_inclusive: bool
    tax_minor: int
    total_minor: int = Field(description="net + exclusive tax")


class BudgetRow(BaseModel):
    id: int
    role: str
    budget_minutes: int
    rate_minor: int
    budget_minor: int
    actual_minutes: int
    actual_minor: int
    burn: int | None = Field(description="percent used; null without a budget")
    level: str = Field(description="none, ok, warning or over")
    from_change_order: bool


class BudgetTotal(BaseModel):
    budget_minutes: int
    budget_minor: int
    actual_minutes: int
    actual_minor: int
    burn: int | None
    level: str


class BudgetWarning(BaseModel):
    text: str
    level: str


class BudgetReport(BaseModel):
    currency: str
    lines: list[BudgetRow]
    unplanned_minutes: int
    unplanned_minor: int
    total: BudgetTotal
    warnings: list[BudgetWarning]


class ProjectOut(BaseModel):
    id: int
    name: str
    status: str
    currency: str
    deal_id: int | None
    deal_title: str
    account_id: int | None
    account_name: str
    contract_id: int | None
    signed_pdf_url: str | None
    quote_ids: list[int]
    lead_user_id: int | None
    lead_name: str
    billable_default: bool
    planned_minor: int
    budget_with_change_orders_minor: int
    team: list[TeamMemberOut]
    milestones: list[MilestoneRow]
    retainers: list[RetainerRow]
    change_orders: list[ChangeOrderFull]
    budget: BudgetReport
    created_at: str


class TimeEntryRow(BaseModel):
    id: int
    project_id: int
    budget_line_id: int | None
    task_id: int | None
    user_id: int
    date: str
    minutes: int
    billable: bool
    rate_minor: int
    note: str | None
    approved_at: str | None
    approved_by_id: int | None
    locked: str | None = Field(description="why the entry cannot change (approved, billed), else null")


class TimeEntryList(BaseModel):
    items: list[TimeEntryRow]
    next_cursor: str | None


class TimeEntrySet(TimeEntryRow):
    """One cell set (201 created, 200 changed): the entry and the person's minutes that day."""

    day_minutes: int


class TimeEntryCleared(BaseModel):
    """The cell cleared (minutes 0): nothing stored for it now."""

    cleared: bool
    day_minutes: int
