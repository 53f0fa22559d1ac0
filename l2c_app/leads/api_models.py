"""Pydantic models of the lead routes: what they answer (exactly the keys of
`leads.lists.lead_api_json`; instants stay the ISO strings it makes) and the bodies they take."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class LeadOut(BaseModel):
    id: int
    name: str
    email: str
    company: str | None
    phone: str | None
    message: str | None
    source: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    status: str = Field(description="new, qualified, disqualified, converted, merged")
    owner_id: int | None
    owner_email: str | None
    consent: bool
    duplicate_of_lead_id: int | None
    duplicate_of_contact_id: int | None
    deal_id: int | None
    disqualify_reason: str | None
    created_at: str


class LeadList(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class LeadCreated(BaseModel):
    id: int = Field(description="0 when the honeypot field was filled (nothing stored)")
    status: str
    duplicate: bool | None = Field(None, description="only with an API key: a lead or contact had this e-mail")


class LeadIn(BaseModel):
    """The contact form's fields (JSON or form-encoded). The route reads the raw body and
    `leads.capture.validate` checks it, naming every bad field at once: this model documents it."""

    model_config = ConfigDict(extra="allow")

    name: str
    email: str = Field(description="name@company.com")
    company: str | None = None
    phone: str | None = Field(None, description="digits, spaces and + - ( ) only")
    message: str | None = None
    consent: bool | str | None = Field(None, description='true, "1", "on" or "yes" records consent')
    website: str | None = Field(None, description="the honeypot: leave empty (filled: 201, nothing stored)")
    source: str | None = Field(None, description="API key only")
    owner_email: str | None = Field(None, description="API key only: the owner's e-mail")
    utm_source: str | None = Field(None, description="API key only")
    utm_medium: str | None = Field(None, description="API key only")
    utm_campaign: str | None = Field(None, description="API key only")


class ConvertIn(BaseModel):
    value: StrictInt = Field(0, ge=0, description="the deal's value in integer minor units")
    title: str | None = Field(None, description="the deal's title; default: from the lead")
