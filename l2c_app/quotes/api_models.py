"""Pydantic models of what the quote routes answer: exactly the keys `quotes.views.quote_view`
and `public_view` return (dates and instants stay the ISO strings the view makes, "" when
unset; money as integer minor units next to its formatted text)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PartyOut(BaseModel):
    name: str
    address: str


class ContactRef(BaseModel):
    id: int | None
    name: str
    email: str


class OwnerRef(BaseModel):
    name: str
    email: str


class QuoteLineOut(BaseModel):
    id: int
    position: int
    section: str
    description: str
    quantity: str
    unit: str
    unit_price_minor: int
    unit_price: str
    discount_percent: str
    tax_rate_id: int | None
    tax_name: str
    billing_kind: str
    role: str
    due_date: str
    optional: bool
    selected: bool
    included: bool
    amount_minor: int
    amount: str
    catalog_item_id: int | None


class TaxTotalOut(BaseModel):
    name: str
    percent: str
    inclusive: bool
    base_minor: int
    tax_minor: int
    tax: str


class TotalsOut(BaseModel):
    currency: str
    subtotal_minor: int
    subtotal: str
    discount_minor: int
    discount: str
    taxes: list[TaxTotalOut]
    tax_minor: int
    total_minor: int
    total: str


class QuoteVersionRef(BaseModel):
    id: int
    version: int
    status: str
    label: str


class _QuoteViewBase(BaseModel):
    id: int
    label: str
    title: str
    number: int
    version: int
    status: str
    currency: str
    deal_id: int
    org_name: str
    account: PartyOut
    contact: ContactRef
    owner: OwnerRef
    discount_percent: str
    notes: str
    terms: str
    expires_on: str
    sent_at: str
    accepted_at: str
    accepted_name: str
    declined_at: str
    decline_reason: str
    lines: list[QuoteLineOut]
    sections: list[str]
    totals: TotalsOut


class QuoteOut(_QuoteViewBase):
    """One quote version as staff see it (`quote_view`)."""

    deal_title: str
    public_url: str
    owner_id: int | None
    accepted_ip: str
    accepted_user_agent: str
    versions: list[QuoteVersionRef]


class PublicQuoteOut(_QuoteViewBase):
    """The client's view (`public_view`): internal fields left out. `notice` is present only
    on a superseded version; routes answer with `response_model_exclude_unset=True` so it is
    absent otherwise, as before."""

    notice: str | None = None


class QuoteSummary(BaseModel):
    """A quote in the list (`quotes.api._summary`)."""

    id: int
    label: str
    deal_id: int
    number: int
    version: int
    status: str = Field(description="draft, sent, expired (derived), accepted, declined, superseded")
    title: str
    currency: str
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    expires_on: str | None
    sent_at: str | None


class QuoteList(BaseModel):
    items: list[QuoteSummary]
    next_cursor: str | None


class LineAdded(BaseModel):
    line: QuoteLineOut
    quote: QuoteOut


class SentEmail(BaseModel):
    id: int
    to: str
    status: str


class QuoteSent(BaseModel):
    quote: QuoteOut
    public_url: str
    email: SentEmail


# --- request bodies ------------------------------------------------------------------------
# The service checks every value and names the field (quotes.builder); unknown keys of a line
# are its to refuse too, so the models allow extras. Quantities and percents: decimal strings
# (numbers are taken as well, as before).

Decimalish = str | int | float


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    description: str | None = None
    quantity: Decimalish | None = Field(None, description='decimal, e.g. "1.5"')
    unit: str | None = None
    unit_price_minor: int | None = Field(None, description="integer minor units (not unit_price)")
    discount_percent: Decimalish | None = None
    tax_rate_id: int | None = None
    billing_kind: str | None = None
    role: str | None = None
    due_date: str | None = Field(None, description="ISO date")
    section: str | None = None
    optional: bool | None = None
    selected: bool | None = None
    catalog_item_id: int | None = Field(None, description="fills description, unit, price, tax; given fields win")
    position: int | None = None


class QuoteIn(BaseModel):
    deal_id: int | None = Field(None, description="required: the deal the quote is for")
    title: str | None = None
    currency: str | None = None
    contact_id: int | None = None
    expires_on: str | None = Field(None, description="ISO date")
    discount_percent: Decimalish | None = None
    notes: str | None = None
    terms: str | None = None
    lines: list[QuoteLineIn] | None = None
