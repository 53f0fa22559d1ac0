"""Pydantic models of the billing routes (issue 12): what they read and exactly the keys they
answer (`queries.invoice_json`, `Candidate.as_json`, `sending.send_invoice`, the ledger's
payment rows). Dates and instants stay the ISO strings those functions make; money is
integer minor units; quantities and percents are decimal strings.

Request bodies: the routes that used to take a free dict ignore unknown keys (existing
clients may send more); the ledger's and the draft routes' bodies refuse them. A field the
route checks itself (a date typed as text, the project ids) keeps that check, so its error
still names the field through `core.errors.DomainError`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from l2c_app.api.compose import MessageIn

# A calendar day as the routes read it: text (YYYY-MM-DD), parsed by the route so a bad one
# answers 422 with the field named ("up_to: not a date (YYYY-MM-DD)").
DateText = Annotated[str, Field(json_schema_extra={"format": "date"})]
Text = Annotated[str, Field(max_length=20_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request bodies ---------------------------------------------------------------------------


class InvoiceCreateIn(BaseModel):
    """POST /projects/{id}/invoices: a draft of the unbilled work, or a deposit (`kind`)."""

    kind: str | None = Field(None, description='"deposit" for a deposit invoice; otherwise the unbilled work')
    up_to: DateText | None = Field(None, description="bill the work up to this day (default: today)")
    itemise_time: bool | None = Field(None, description="one line per time entry (default: the billing setting)")
    exclude: list[str | int] | None = Field(None, description="candidate keys to leave out (GET .../unbilled)")
    notes: Text | None = None
    terms: Text | None = None
    percent: Decimal | None = Field(None, description="deposit: a percent of the contract value")
    amount_minor: StrictInt | None = Field(None, description="deposit: or a fixed amount")


class ClientInvoiceIn(BaseModel):
    """POST /accounts/{id}/invoices: ONE draft billing several projects of the client."""

    project_ids: list[int | str] | str | None = Field(
        None, description="required: projects of this account in one currency (a list, or ids separated by commas)"
    )
    up_to: DateText | None = Field(None, description="bill the work up to this day (default: today)")
    itemise_time: bool | None = None
    exclude: list[str | int] | None = Field(None, description='keys from GET .../unbilled, "p<project id>:<key>"')
    notes: Text | None = None
    terms: Text | None = None


class ReasonIn(BaseModel):
    """Void or credit note: an optional reason."""

    reason: Text | None = None


class ManualPaymentIn(BaseModel):
    """A manual payment. Above the open amount it answers 422 (code "amount.overpayment")
    unless `confirm_overpayment` is true."""

    amount_minor: StrictInt = Field(description="the amount received, minor units")
    method: str | None = Field("", description="bank_transfer, check, cash or other")
    received_on: DateText | None = Field(None, description="default: today")
    reference: Text | None = None
    confirm_overpayment: StrictBool = False


class InvoiceSendIn(_Strict):
    to: Annotated[str, Field(max_length=320)] | None = Field(None, description="default: the client's e-mail")
    time_appendix: StrictBool = Field(False, description="attach the time entries billed")
    message: MessageIn | None = Field(None, description="the composer's message; without it, the default e-mail")


class DepositIn(_Strict):
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=7, decimal_places=4)] | None = Field(
        None, description='a percent of the contract value (net of tax), e.g. "30"'
    )
    amount_minor: Annotated[StrictInt, Field(gt=0, le=2**53)] | None = Field(
        None, description="or a fixed amount in minor units (net of tax)"
    )
    tax_rate_id: StrictInt | None = Field(None, description="tax added to the deposit (a tax rate's id)")
    terms: Annotated[str, Field(max_length=2000)] | None = None


class ManualLineIn(_Strict):
    description: Annotated[str, Field(min_length=1, max_length=500)]
    amount_minor: Annotated[StrictInt, Field(ge=-(2**53), le=2**53)]
    tax_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] = Decimal(0)
    tax_inclusive: StrictBool = False


Reason = Annotated[str, Field(min_length=1, max_length=300)]


class ReverseBody(_Strict):
    reason: Reason


class ApplyCreditBody(_Strict):
    amount_minor: StrictInt | None = None  # default: as much as the credit and the open amount allow


class PartialCreditBody(_Strict):
    line_ids: list[StrictInt] | None = None
    amount_minor: StrictInt | None = None
    reason: Annotated[str, Field(max_length=300)] = ""


class WriteOffBody(_Strict):
    reason: Reason


# --- answers ----------------------------------------------------------------------------------


class InvoiceLineOut(BaseModel):
    id: int
    position: int
    description: str
    quantity: str
    unit: str
    unit_price_minor: int
    amount_minor: int
    tax_percent: str
    tax_minor: int
    tax_inclusive: bool
    source_type: str | None
    project_id: int | None
    credits_line_id: int | None = Field(description="on a credit note: the invoice line it credits")


class InvoiceSummaryOut(BaseModel):
    """An invoice without its lines (lists, and beside a payment)."""

    id: int
    number: str | None = Field(description="assigned on issue")
    kind: str = Field(description="invoice, deposit or credit_note")
    status: str
    refunded: bool
    disputed: bool
    currency: str
    project_id: int | None
    deal_id: int | None
    project_ids: list[int] = Field(description="every project the invoice bills")
    account_id: int | None
    issue_date: str | None
    due_date: str | None
    terms_days: int
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    tax_added_minor: int
    tax_included_minor: int
    paid_minor: int
    open_minor: int
    notes: str | None
    credited_minor: int
    written_off_minor: int
    write_off_reason: str | None
    delivery: str | None = Field(description="the last e-mail: sent, queued, failed, or null")
    state_label: str
    public_url: str
    payment_link_url: str | None
    credit_for_invoice_id: int | None


class InvoiceOut(InvoiceSummaryOut):
    lines: list[InvoiceLineOut]


class InvoiceList(BaseModel):
    items: list[InvoiceSummaryOut]
    next_cursor: str | None


class CandidateOut(BaseModel):
    """One line an invoice built now would have (what the Create invoice dialog lists)."""

    key: str = Field(description="what `exclude` names to leave it out")
    source_type: str
    description: str
    quantity: str
    unit: str
    unit_price_minor: int
    amount_minor: int
    tax_percent: str
    tax_inclusive: bool
    count: int = Field(description="how many billed items (time entries ...) it bills")


class CandidateList(BaseModel):
    items: list[CandidateOut]
    next_cursor: str | None


class ClientCandidateOut(CandidateOut):
    project_id: int
    project: str


class ClientCandidateList(BaseModel):
    items: list[ClientCandidateOut]
    next_cursor: str | None


class InvoiceSentOut(BaseModel):
    id: int
    number: str | None
    public_url: str
    payment_link_url: str | None
    to: str
    delivery: str | None
    message_id: int | None


class ManualPaymentOut(BaseModel):
    id: int
    amount_minor: int
    currency: str
    method: str
    received_on: str
    reference: str | None


class PaymentRecordedOut(BaseModel):
    payment: ManualPaymentOut
    invoice: InvoiceSummaryOut


class LedgerPaymentOut(BaseModel):
    id: int
    invoice_id: int | None
    amount_minor: int
    currency: str
    method: str
    status: str
    received_on: str | None
    reference: str | None
    reversed_at: str | None
    reversal_reason: str | None


class ReversedOut(BaseModel):
    payment: LedgerPaymentOut
    invoice: InvoiceSummaryOut


class CreditAppliedOut(BaseModel):
    payment: LedgerPaymentOut
    invoice: InvoiceSummaryOut
    credit_balance_minor: int


class CreditBalanceOut(BaseModel):
    currency: str
    held_minor: int
    applied_minor: int
    balance_minor: int


class CreditBalanceList(BaseModel):
    items: list[CreditBalanceOut]


class RemovedLineOut(BaseModel):
    id: int
    invoice_id: int
    description: str
    amount_minor: int
    sources: int = Field(description="how many billed items (time entries, milestones ...) the line billed")
    removed_at: datetime
    updated_at: datetime


class RemovedLineList(BaseModel):
    items: list[RemovedLineOut]
    next_cursor: str | None = None
