"""REST routes of the quotes stage.

    GET  /api/v1/quotes                 list (?status=, ?deal_id=, cursor pagination)
    POST /api/v1/quotes                 create a draft from a deal (optionally with lines)
    GET  /api/v1/quotes/{id}            one version with its lines and totals
    POST /api/v1/quotes/{id}/lines      add a line (catalog item or free)
    POST /api/v1/quotes/{id}/send       e-mail it (outbox without SMTP) {message?: {to, cc, subject, body}}
    GET  /api/v1/quotes/{id}/email-draft the composer's draft (templates + merge values)
    GET  /api/v1/quotes/{id}/pdf        the proposal PDF
    GET  /api/public/quotes/{token}/pdf the client's copy, by the quote's public token

Money is integer minor units plus `currency`; quantities and percents are decimal
strings. Errors are `{"detail": message, "field": name}`.

Threat model: the v1 routes need an API key or a signed-in user with the quotes
section. The public PDF route answers only for a sent (or answered) version whose
256-bit token is presented; it leaves internal fields out and says nothing about
other quotes: an unknown token and a draft's token get the same 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_
from sqlmodel import Session, select

from l2c_app.api.compose import DraftOut, MessageIn, draft_out, message_of
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core.auth import Principal
from l2c_app.quotes import service as svc
from l2c_app.quotes.api_models import LineAdded, QuoteIn, QuoteLineIn, QuoteList, QuoteOut, QuoteSent
from l2c_app.quotes.models import Quote
from l2c_app.quotes.pdf import pdf_filename, render_for

router = APIRouter(tags=["quotes"])
auth = require("quotes")


def _summary(q: Quote, today) -> dict[str, Any]:
    return {
        "id": q.id,
        "label": svc.quote_label(q),
        "deal_id": q.deal_id,
        "number": q.number,
        "version": q.version,
        "status": svc.effective_status(q, today),
        "title": q.title,
        "currency": q.currency,
        "subtotal_minor": q.subtotal_minor,
        "discount_minor": q.discount_minor,
        "tax_minor": q.tax_minor,
        "total_minor": q.total_minor,
        "expires_on": q.expires_on.isoformat() if q.expires_on else None,
        "sent_at": q.sent_at.isoformat() if q.sent_at else None,
    }


def _line_payload(payload: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in payload.items() if k != "position"}
    if "unit_price" in data and "unit_price_minor" not in data:  # a clear message instead of a silent zero
        raise svc.QuoteError("Send unit_price_minor (integer minor units), not unit_price.", "unit_price")
    if "position" in payload:
        data["position"] = payload["position"]
    return data


@router.get("/api/v1/quotes", response_model=QuoteList)
def list_quotes(
    status: str | None = None,
    deal_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(auth),
) -> QuoteList:
    today = svc.org_today(session)
    stmt = select(Quote)
    if status == "expired":  # derived: sent and past its expiry date
        stmt = stmt.where(Quote.status == "sent", Quote.expires_on < today)  # type: ignore[operator]
    elif status == "sent":
        stmt = stmt.where(Quote.status == "sent", or_(Quote.expires_on.is_(None), Quote.expires_on >= today))  # type: ignore[union-attr,operator]
    elif status:
        stmt = stmt.where(Quote.status == status)
    if deal_id is not None:
        stmt = stmt.where(Quote.deal_id == deal_id)
    return QuoteList.model_validate(
        page(session, stmt, Quote, cursor, limit, lambda q: _summary(q, today), updated_since)
    )


@router.post("/api/v1/quotes", status_code=201, response_model=QuoteOut)
def create_quote(body: QuoteIn, session: Session = Depends(db), principal: Principal = Depends(auth)) -> JSONResponse:
    # A QuoteError anywhere below rolls the whole request back (api/deps.db) and answers by its kind.
    payload = body.model_dump(exclude_unset=True)
    if payload.get("deal_id") is None:
        raise svc.QuoteError("deal_id is required.", "deal_id")
    deal_id = int(payload["deal_id"])
    quote = svc.create_quote_from_deal(
        session,
        principal.actor,
        deal_id,
        title=payload.get("title"),
        currency=payload.get("currency"),
        contact_id=payload.get("contact_id"),
        expires_on=payload.get("expires_on"),
    )
    extra = {k: payload[k] for k in ("discount_percent", "notes", "terms") if k in payload}
    if extra:
        svc.update_quote(session, principal.actor, quote.id, **extra)
    for i, line in enumerate(payload.get("lines") or []):
        try:
            svc.add_line(session, principal.actor, quote.id, **_line_payload(line))
        except svc.QuoteError as exc:  # name the line: the field becomes lines[i].<field>
            raise svc.QuoteError(exc.message, f"lines[{i}].{exc.field}", kind=exc.kind) from None
        except TypeError:
            raise svc.QuoteError(f"lines[{i}]: unknown field.", f"lines[{i}]") from None
    return JSONResponse(svc.quote_view(session, quote), 201)


@router.get("/api/v1/quotes/{quote_id}", response_model=QuoteOut)
def get_quote(quote_id: int, session: Session = Depends(db), _: Principal = Depends(auth)) -> QuoteOut:
    return QuoteOut.model_validate(svc.quote_view(session, quote_id))


@router.post("/api/v1/quotes/{quote_id}/lines", status_code=201, response_model=LineAdded)
def add_line(
    quote_id: int,
    body: QuoteLineIn,
    session: Session = Depends(db),
    principal: Principal = Depends(auth),
) -> JSONResponse:
    svc.get_quote(session, quote_id)
    line = svc.add_line(session, principal.actor, quote_id, **_line_payload(body.model_dump(exclude_unset=True)))
    view = svc.quote_view(session, quote_id)
    return JSONResponse({"line": next(ln for ln in view["lines"] if ln["id"] == line.id), "quote": view}, 201)


class QuoteSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: MessageIn | None = Field(None, description="the composer's message; without it, the default e-mail")


@router.post("/api/v1/quotes/{quote_id}/send", response_model=QuoteSent)
def send_quote(
    quote_id: int, body: QuoteSendIn | None = None, session: Session = Depends(db), principal: Principal = Depends(auth)
) -> QuoteSent:
    message = svc.send_quote(session, principal.actor, quote_id, message=message_of(body.message if body else None))
    view = svc.quote_view(session, quote_id)
    return QuoteSent.model_validate(
        {
            "quote": view,
            "public_url": view["public_url"],
            "email": {"id": message.id, "to": message.to, "status": message.status},
        }
    )


@router.get("/api/v1/quotes/{quote_id}/email-draft", response_model=DraftOut)
def quote_email_draft(quote_id: int, session: Session = Depends(db), principal: Principal = Depends(auth)) -> dict:
    """The composer's draft: today's e-mail as templates and the merge fields' values (to preview)."""
    return draft_out(svc.email_draft(session, principal.actor, quote_id))


PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "the PDF"}}


def _pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/api/v1/quotes/{quote_id}/pdf", response_class=Response, responses=PDF)
def quote_pdf(quote_id: int, session: Session = Depends(db), _: Principal = Depends(auth)) -> Response:
    view = svc.quote_view(session, quote_id)
    return _pdf_response(render_for(session, view), pdf_filename(view))


@router.get("/api/public/quotes/{token}/pdf", response_class=Response, responses=PDF)
def public_quote_pdf(token: str, session: Session = Depends(db)) -> Response:
    view = svc.public_view(session, token)
    return _pdf_response(render_for(session, view), pdf_filename(view))
