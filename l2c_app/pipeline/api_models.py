"""Pydantic models of what the pipeline routes answer: exactly the keys of
`pipeline.service.deal_json` / `stages_json` and `pipeline.accounts.account_details`
(dates and instants stay the ISO strings they make; money `value` in integer minor units)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StageOut(BaseModel):
    id: int
    name: str
    position: int
    probability: int
    kind: str = Field(description="open, won or lost")


class StageList(BaseModel):
    items: list[StageOut]
    next_cursor: str | None


class DealOut(BaseModel):
    id: int
    title: str
    account_id: int | None
    contact_id: int | None
    stage_id: int
    status: str
    value: int = Field(description="integer minor units of `currency`")
    currency: str
    probability: int | None
    owner_id: int | None
    owner_email: str | None
    lead_id: int | None
    source: str | None
    description: str | None
    lost_reason: str | None
    expected_close: str | None
    created_at: str
    updated_at: str
    closed_at: str | None


class DealList(BaseModel):
    items: list[DealOut]
    next_cursor: str | None


class AccountOut(BaseModel):
    id: str = Field(description="the client's id, as text (as it always was answered)")
    name: str
    address: str
    tax_id: str


# --- request bodies ------------------------------------------------------------------------
# Unknown keys are refused by the routes themselves ("not a field of a deal", named), so the
# models allow extras and the routes read `model_extra`; the service checks the values.


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class DealIn(_Open):
    title: str | None = None
    value: int | None = Field(None, description="integer minor units of `currency` (default 0)")
    currency: str | None = Field(None, description="default: the organisation's currency")
    account_id: int | None = None
    client_id: int | None = Field(None, description="the same as account_id (the client record's name for it)")
    contact_id: int | None = None
    stage_id: int | None = Field(None, description="default: the first open stage")
    owner_id: int | None = None
    owner_email: str | None = Field(None, description="the owner by e-mail, instead of owner_id")
    expected_close: str | None = Field(None, description="ISO date")
    probability: int | None = Field(None, description="percent, 0-100; default: the stage's")
    source: str | None = None
    description: str | None = None


class DealPatch(_Open):
    title: str | None = None
    value: int | None = Field(None, description="integer minor units")
    currency: str | None = None
    probability: int | None = None
    expected_close: str | None = Field(None, description="ISO date")
    description: str | None = None
    account_id: int | None = None
    contact_id: int | None = None
    source: str | None = None
    stage_id: int | None = Field(None, description="moves the deal (recorded like a board move)")
    owner_id: int | None = None
    owner_email: str | None = Field(None, description="the owner by e-mail, instead of owner_id")
    status: str | None = Field(None, description="won or lost closes the deal (lost needs lost_reason)")
    lost_reason: str | None = None


class AccountPatch(_Open):
    name: str | None = None
    address: str | None = None
    tax_id: str | None = Field(None, description='printed on its invoices as "Client VAT id"')
