"""Pydantic models of what the pipeline routes answer: exactly the keys of
`pipeline.service.deal_json` / `stages_json` and `pipeline.accounts.account_details`
(dates and instants stay the ISO strings they make; money `value` in integer minor units)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
