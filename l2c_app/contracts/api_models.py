"""Pydantic models of what the contract routes answer: exactly the keys of
`contracts.views.contract_json` (instants stay the ISO strings it makes, None when unset)."""

from __future__ import annotations

from pydantic import BaseModel


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
