"""Contract templates, contracts and their signers (built-in signer or DocuSign)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from l2c_app.core.timeutil import utcnow


class ContractTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))  # text with {{merge.fields}}
    is_default: bool = False
    archived_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id")
    template_id: int | None = Field(default=None, foreign_key="contracttemplate.id")
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))  # merged text, editable in draft
    # draft, sent, delivered, completed, declined, voided (only moves forward)
    status: str = Field(default="draft", max_length=12, index=True)
    provider: str = Field(default="builtin", max_length=12)  # builtin, docusign
    envelope_id: str | None = Field(default=None, max_length=100, unique=True)
    original_document_id: int | None = Field(default=None, foreign_key="document.id")
    original_sha256: str | None = Field(default=None, max_length=64)
    signed_document_id: int | None = Field(default=None, foreign_key="document.id")
    signed_sha256: str | None = Field(default=None, max_length=64, index=True)
    audit_trail: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sent_at: datetime | None = None
    completed_at: datetime | None = None
    voided_at: datetime | None = None
    void_reason: str | None = Field(default=None, max_length=500)
    declined_reason: str | None = Field(default=None, max_length=500)
    last_provider_event_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)


class ContractSigner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    kind: str = Field(default="signer", max_length=16)  # signer, countersigner, cc
    routing_order: int = 1
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    token_expires_at: datetime | None = None
    status: str = Field(default="created", max_length=12)  # created, sent, viewed, signed, declined
    viewed_at: datetime | None = None
    consent_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str | None = Field(default=None, max_length=500)
    typed_name: str | None = Field(default=None, max_length=200)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})  # sync (?updated_since)
