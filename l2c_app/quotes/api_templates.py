"""Typed REST routes for duplicating quotes and for quote templates (issue 22).

    POST /api/v1/quotes/{id}/duplicate              a new draft (next number, same deal and lines)
    GET  /api/v1/quote-templates                    the templates (`items` + `next_cursor`)
    POST /api/v1/quote-templates                    save a quote as a template {quote_id, name}
    POST /api/v1/quote-templates/{id}/quotes        a new draft for a deal from it {deal_id}
    POST   /api/v1/quotes/{id}/sections             add a heading at the end of a draft {heading}
    PATCH  /api/v1/quotes/{id}/sections             rename a heading (and its lines') {heading, new_heading}
    DELETE /api/v1/quotes/{id}/sections?heading=    remove an empty heading

Money is integer minor units plus `currency`. Errors name the field (`name`, `template_id`,
`deal_id`, `quote_id`, `section`) and answer by their kind (422 invalid, 404 not_found, 409 conflict).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.auth import Principal
from l2c_app.quotes import service as svc
from l2c_app.quotes.models import Quote

router = APIRouter(prefix="/api/v1", tags=["quotes"])
auth = require("quotes")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuoteRef(BaseModel):
    id: int
    label: str
    deal_id: int
    number: int
    version: int
    status: str
    title: str
    currency: str
    total_minor: int


class TemplateIn(_In):
    quote_id: StrictInt
    name: Annotated[str, Field(min_length=1, max_length=200)]


class TemplateOut(BaseModel):
    id: int
    name: str
    title: str
    currency: str
    line_count: int
    sections: list[str]
    created_at: str


class TemplateList(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None = None


class FromTemplateIn(_In):
    deal_id: StrictInt


def _ref(session: Session, quote: Quote) -> QuoteRef:
    session.flush()
    return QuoteRef.model_validate(
        {
            "id": quote.id,
            "label": svc.quote_label(quote),
            "deal_id": quote.deal_id,
            "number": quote.number,
            "version": quote.version,
            "status": quote.status,
            "title": quote.title,
            "currency": quote.currency,
            "total_minor": quote.total_minor,
        }
    )


@router.post("/quotes/{quote_id}/duplicate", status_code=201, response_model=QuoteRef)
def duplicate_quote(quote_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> QuoteRef:
    return _ref(session, svc.duplicate_quote(session, who.actor, quote_id))


@router.get("/quote-templates", response_model=TemplateList)
def list_templates(
    updated_since: datetime | None = UPDATED_SINCE, session: Session = Depends(db), _: Principal = Depends(auth)
) -> TemplateList:
    rows = changed_since(svc.list_templates(session), updated_since)
    return TemplateList(items=[TemplateOut(**svc.template_json(t)) for t in rows], next_cursor=None)


@router.post("/quote-templates", status_code=201, response_model=TemplateOut)
def save_template(body: TemplateIn, session: Session = Depends(db), who: Principal = Depends(auth)) -> TemplateOut:
    template = svc.save_as_template(session, who.actor, body.quote_id, body.name)
    session.flush()
    return TemplateOut(**svc.template_json(template))


@router.post("/quote-templates/{template_id}/quotes", status_code=201, response_model=QuoteRef)
def quote_from_template(
    template_id: int, body: FromTemplateIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> QuoteRef:
    return _ref(session, svc.create_quote_from_template(session, who.actor, body.deal_id, template_id))


# --- headings (sections) of a draft quote: the builder's rules in quotes/service.py -------------

Heading = Annotated[str, Field(min_length=1, max_length=200)]


class SectionIn(_In):
    heading: Heading


class SectionRenameIn(_In):
    heading: Heading = Field(description="the heading as it is now")
    new_heading: Heading


class SectionsOut(BaseModel):
    quote_id: int
    sections: list[str] = Field(description="the quote's headings in order")


def _sections(session: Session, quote: Quote) -> SectionsOut:
    session.flush()
    return SectionsOut.model_validate(
        {"quote_id": quote.id, "sections": svc.quote_sections(quote, svc.quote_lines(session, quote.id))}
    )  # type: ignore[arg-type]


@router.post("/quotes/{quote_id}/sections", status_code=201, response_model=SectionsOut)
def add_section(
    quote_id: int, body: SectionIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> SectionsOut:
    return _sections(session, svc.add_section(session, who.actor, quote_id, body.heading))


@router.patch("/quotes/{quote_id}/sections", response_model=SectionsOut)
def rename_section(
    quote_id: int, body: SectionRenameIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> SectionsOut:
    return _sections(session, svc.rename_section(session, who.actor, quote_id, body.heading, body.new_heading))


@router.delete("/quotes/{quote_id}/sections", response_model=SectionsOut)
def remove_section(
    quote_id: int,
    heading: str = Query(..., min_length=1, max_length=200),
    session: Session = Depends(db),
    who: Principal = Depends(auth),
) -> SectionsOut:
    return _sections(session, svc.remove_section(session, who.actor, quote_id, heading))
