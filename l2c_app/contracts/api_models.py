"""Pydantic models of what the contract routes answer: exactly the keys of
`contracts.views.contract_json` (instants stay the ISO strings it makes, None when unset)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt


class SignerOut(BaseModel):
    id: int
    kind: str
    routing_order: int
    name: str
    email: str
    status: str
    signed_at: str | None


class ContractOut(BaseModel):
    id: int
    deal_id: int
    quote_id: int | None
    title: str
    status: str
    provider: str
    envelope_id: str | None
    original_sha256: str | None
    signed_sha256: str | None
    sent_at: str | None
    completed_at: str | None
    void_reason: str | None
    declined_reason: str | None
    created_at: str
    signers: list[SignerOut]


class ContractList(BaseModel):
    items: list[ContractOut]
    next_cursor: str | None


# --- request bodies ------------------------------------------------------------------------


class SignerIn(BaseModel):
    kind: str = Field("signer", description="signer, countersigner or cc")
    name: str | None = None
    email: str | None = None
    routing_order: int | None = None
    contact_id: int | None = Field(None, description="a contact of the client (fills name and e-mail)")
    user_id: int | None = Field(None, description="a team member (a countersigner)")


class ContractIn(BaseModel):
    quote_id: StrictInt | None = Field(None, description="an accepted quote (or give deal_id)")
    deal_id: StrictInt | None = None
    template_id: StrictInt | None = None
    title: str | None = None
    signers: list[SignerIn] | None = Field(None, description="who signs; default: the client's contact and you")


class VoidIn(BaseModel):
    reason: str | None = Field(None, description="required: why the contract is voided")
