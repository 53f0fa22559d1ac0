"""Typed REST routes of the quotes stage that the cycle needs beyond `quotes/api.py`:
tax rates and catalog items (CRUD, archive/restore), editing quote lines, and the
client's answer (recorded on behalf of the client, or given by the client's own token).

    GET    /api/v1/tax-rates                     list (?include_archived=)
    POST   /api/v1/tax-rates                     create
    PATCH  /api/v1/tax-rates/{id}                rename / change (refused when in use)
    DELETE /api/v1/tax-rates/{id}                delete if unused, else archive
    POST   /api/v1/tax-rates/{id}/restore        un-archive
    (the same five for /api/v1/catalog-items)
    PATCH  /api/v1/quotes/{id}/lines/{line_id}   edit a line of a draft
    DELETE /api/v1/quotes/{id}/lines/{line_id}   remove it
    PUT    /api/v1/quotes/{id}/lines/order       reorder
    POST   /api/v1/quotes/{id}/accept            the client accepted (who, how), recorded by staff
    POST   /api/v1/quotes/{id}/decline           the client declined, recorded by staff
    POST   /api/public/quotes/{token}/accept     the client's own answer (the token is the credential)
    POST   /api/public/quotes/{token}/decline

Every route calls the service (quotes/service.py); nothing is computed here.

Threat model: v1 routes need `require("quotes")`. The public routes answer only for a
sent version whose 256-bit token is presented; the service refuses anything else
with the same 404, and one conditional UPDATE decides a race between two answers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import client_ip, db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.audit import record_action
from l2c_app.core.auth import Principal
from l2c_app.core.errors import NotFound
from l2c_app.quotes import service as svc
from l2c_app.quotes.api_models import PublicQuoteOut, QuoteOut
from l2c_app.quotes.models import CatalogItem, TaxRate

router = APIRouter(prefix="/api/v1", tags=["catalog"])
public = APIRouter(prefix="/api/public", tags=["public"])
auth = require("quotes")

Name = Annotated[str, Field(min_length=1, max_length=200)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]
Minor = Annotated[StrictInt, Field(ge=-(2**53), le=2**53)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- tax rates ---------------------------------------------------------------------------


class TaxRateIn(_In):
    name: Name
    percent: Percent = Field(description='decimal percent, e.g. "20" or "5.5"')
    inclusive: StrictBool = False


class TaxRatePatch(_In):
    name: Name | None = None
    percent: Percent | None = None
    inclusive: StrictBool | None = None


class TaxRateOut(BaseModel):
    id: int
    name: str
    percent: str
    inclusive: bool
    archived: bool


class TaxRateList(BaseModel):
    items: list[TaxRateOut]
    next_cursor: str | None = None


class Removed(BaseModel):
    id: int
    result: Literal["deleted", "archived"]


@router.get("/tax-rates", response_model=TaxRateList)
def list_tax_rates(
    include_archived: bool = False,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(auth),
) -> TaxRateList:
    rates = changed_since(svc.list_tax_rates(session, include_archived), updated_since)
    return TaxRateList(items=[TaxRateOut(**svc.tax_rate_json(r)) for r in rates], next_cursor=None)


@router.post("/tax-rates", status_code=201, response_model=TaxRateOut)
def create_tax_rate(body: TaxRateIn, session: Session = Depends(db), who: Principal = Depends(auth)) -> TaxRateOut:
    rate = svc.create_tax_rate(session, who.actor, name=body.name, percent=body.percent, inclusive=body.inclusive)
    session.flush()
    return TaxRateOut(**svc.tax_rate_json(rate))


@router.get("/tax-rates/{tax_rate_id}", response_model=TaxRateOut)
def get_tax_rate(tax_rate_id: int, session: Session = Depends(db), _: Principal = Depends(auth)) -> TaxRateOut:
    return TaxRateOut(**svc.tax_rate_json(svc.get_tax_rate(session, tax_rate_id)))


@router.patch("/tax-rates/{tax_rate_id}", response_model=TaxRateOut)
def update_tax_rate(
    tax_rate_id: int, body: TaxRatePatch, session: Session = Depends(db), who: Principal = Depends(auth)
) -> TaxRateOut:
    rate = svc.get_tax_rate(session, tax_rate_id)
    rate = svc.update_tax_rate(
        session,
        who.actor,
        tax_rate_id,
        name=body.name if body.name is not None else rate.name,
        percent=body.percent if body.percent is not None else rate.percent,
        inclusive=body.inclusive if body.inclusive is not None else rate.inclusive,
    )
    return TaxRateOut(**svc.tax_rate_json(rate))


@router.delete("/tax-rates/{tax_rate_id}", response_model=Removed)
def remove_tax_rate(tax_rate_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> Removed:
    return Removed.model_validate({"id": tax_rate_id, "result": svc.remove_tax_rate(session, who.actor, tax_rate_id)})


@router.post("/tax-rates/{tax_rate_id}/restore", response_model=TaxRateOut)
def restore_tax_rate(tax_rate_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> TaxRateOut:
    return TaxRateOut(**svc.tax_rate_json(svc.restore_tax_rate(session, who.actor, tax_rate_id)))


# --- catalog items -----------------------------------------------------------------------


class CatalogItemIn(_In):
    name: Name
    kind: Literal["fixed", "hourly", "recurring"] = "fixed"
    unit_price_minor: Minor
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    unit: Annotated[str, Field(max_length=20)] | None = None
    role: Annotated[str, Field(max_length=100)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    tax_rate_id: StrictInt | None = None


class CatalogItemPatch(_In):
    name: Name | None = None
    kind: Literal["fixed", "hourly", "recurring"] | None = None
    unit_price_minor: Minor | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    unit: Annotated[str, Field(max_length=20)] | None = None
    role: Annotated[str, Field(max_length=100)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    tax_rate_id: StrictInt | None = None


class CatalogItemOut(BaseModel):
    id: int
    name: str
    description: str
    kind: str
    unit: str
    role: str
    unit_price_minor: int
    currency: str
    tax_rate_id: int | None
    tax_name: str
    archived: bool


class CatalogList(BaseModel):
    items: list[CatalogItemOut]
    next_cursor: str | None = None


def _taxes(session: Session) -> dict[int, TaxRate]:
    return {r.id: r for r in svc.list_tax_rates(session, include_archived=True) if r.id is not None}


def _item(item: CatalogItem, taxes: dict[int, TaxRate]) -> CatalogItemOut:
    """`catalog_json` less its formatted `price` (this route never answered it)."""
    data = svc.catalog_json(item, taxes)
    data.pop("price", None)
    return CatalogItemOut(**data)


@router.get("/catalog-items", response_model=CatalogList)
def list_catalog(
    include_archived: bool = False,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(auth),
) -> CatalogList:
    taxes = _taxes(session)
    items = changed_since(svc.list_catalog(session, include_archived), updated_since)
    return CatalogList(items=[_item(i, taxes) for i in items], next_cursor=None)


@router.post("/catalog-items", status_code=201, response_model=CatalogItemOut)
def create_catalog_item(
    body: CatalogItemIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> CatalogItemOut:
    item = svc.create_catalog_item(session, who.actor, **body.model_dump(exclude_none=True))
    session.flush()
    return _item(item, _taxes(session))


@router.get("/catalog-items/{item_id}", response_model=CatalogItemOut)
def get_catalog_item(item_id: int, session: Session = Depends(db), _: Principal = Depends(auth)) -> CatalogItemOut:
    return _item(svc.get_catalog_item(session, item_id), _taxes(session))


@router.patch("/catalog-items/{item_id}", response_model=CatalogItemOut)
def update_catalog_item(
    item_id: int, body: CatalogItemPatch, session: Session = Depends(db), who: Principal = Depends(auth)
) -> CatalogItemOut:
    item = svc.update_catalog_item(session, who.actor, item_id, **body.model_dump(exclude_unset=True))
    return _item(item, _taxes(session))


@router.delete("/catalog-items/{item_id}", response_model=Removed)
def remove_catalog_item(item_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> Removed:
    return Removed.model_validate({"id": item_id, "result": svc.remove_catalog_item(session, who.actor, item_id)})


@router.post("/catalog-items/{item_id}/restore", response_model=CatalogItemOut)
def restore_catalog_item(
    item_id: int, session: Session = Depends(db), who: Principal = Depends(auth)
) -> CatalogItemOut:
    return _item(svc.restore_catalog_item(session, who.actor, item_id), _taxes(session))


# --- quote lines -------------------------------------------------------------------------


class LinePatch(_In):
    description: Annotated[str, Field(max_length=5000)] | None = None
    quantity: Annotated[Decimal, Field(max_digits=14, decimal_places=4)] | None = None
    unit: Annotated[str, Field(max_length=20)] | None = None
    unit_price_minor: Minor | None = None
    discount_percent: Percent | None = None
    tax_rate_id: StrictInt | None = None
    billing_kind: str | None = None
    role: Annotated[str, Field(max_length=100)] | None = None
    section: Annotated[str, Field(max_length=200)] | None = None
    optional: StrictBool | None = None
    selected: StrictBool | None = None
    due_date: date | None = None


class LineOrder(_In):
    line_ids: list[StrictInt] = Field(max_length=500)


def _line_of(session: Session, quote_id: int, line_id: int):
    line = svc.get_line(session, line_id)
    if line.quote_id != quote_id:
        raise NotFound(f"Line {line_id} is not on quote {quote_id}", "line_id")
    return line


@router.patch("/quotes/{quote_id}/lines/{line_id}", tags=["quotes"], response_model=QuoteOut)
def update_line(
    quote_id: int, line_id: int, body: LinePatch, session: Session = Depends(db), who: Principal = Depends(auth)
) -> QuoteOut:
    """Change fields of a draft's line; the answer is the whole quote with its new totals."""
    _line_of(session, quote_id, line_id)
    data = body.model_dump(exclude_unset=True)
    if "due_date" in data and data["due_date"] is not None:
        data["due_date"] = data["due_date"].isoformat()
    svc.update_line(session, who.actor, line_id, **data)
    return QuoteOut(**svc.quote_view(session, quote_id))


@router.delete("/quotes/{quote_id}/lines/{line_id}", tags=["quotes"], response_model=QuoteOut)
def remove_line(
    quote_id: int, line_id: int, session: Session = Depends(db), who: Principal = Depends(auth)
) -> QuoteOut:
    _line_of(session, quote_id, line_id)
    svc.remove_line(session, who.actor, line_id)
    return QuoteOut(**svc.quote_view(session, quote_id))


@router.put("/quotes/{quote_id}/lines/order", tags=["quotes"], response_model=QuoteOut)
def reorder_lines(
    quote_id: int, body: LineOrder, session: Session = Depends(db), who: Principal = Depends(auth)
) -> QuoteOut:
    svc.reorder_lines(session, who.actor, quote_id, body.line_ids)
    return QuoteOut(**svc.quote_view(session, quote_id))


# --- the client's answer -----------------------------------------------------------------

How = Literal["email", "phone", "paper", "in_person", "other"]


class AcceptOnBehalf(_In):
    name: Annotated[str, Field(min_length=2, max_length=200, description="who accepted (the client's name)")]
    how: How = Field(description="how the client told you")
    note: Annotated[str, Field(max_length=500)] = ""
    selected_line_ids: list[StrictInt] = Field(default_factory=list, max_length=500)


class DeclineOnBehalf(_In):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    how: How


class PublicAccept(_In):
    name: Annotated[str, Field(min_length=2, max_length=200)]
    agreed: StrictBool
    selected_line_ids: list[StrictInt] = Field(default_factory=list, max_length=500)


class PublicDecline(_In):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


def _token_of(session: Session, quote_id: int) -> str:
    quote = svc.get_quote(session, quote_id)
    if not quote.public_token or quote.status != "sent":
        raise svc.QuoteError("Only a sent quote can be answered; send it first.", "status", kind="conflict")
    return quote.public_token


@router.post("/quotes/{quote_id}/accept", tags=["quotes"], response_model=QuoteOut)
def accept_on_behalf(
    quote_id: int,
    body: AcceptOnBehalf,
    request: Request,
    session: Session = Depends(db),
    who: Principal = Depends(auth),
) -> QuoteOut:
    """Record that the client accepted (by e-mail, phone, on paper ...): the same rule as the
    client's own link (the deal is won); the audit log keeps who recorded it and how."""
    token = _token_of(session, quote_id)
    svc.accept_quote(
        session,
        token,
        name=body.name,
        agreed=True,
        ip=client_ip(request),
        user_agent=f"recorded via API ({body.how})",
        selected_line_ids=body.selected_line_ids,
    )
    record_action(
        session,
        who.actor,
        "quote",
        quote_id,
        "accept_recorded",
        {"client_name": body.name, "how": body.how, "note": body.note},
    )
    return QuoteOut(**svc.quote_view(session, quote_id))


@router.post("/quotes/{quote_id}/decline", tags=["quotes"], response_model=QuoteOut)
def decline_on_behalf(
    quote_id: int,
    body: DeclineOnBehalf,
    request: Request,
    session: Session = Depends(db),
    who: Principal = Depends(auth),
) -> QuoteOut:
    token = _token_of(session, quote_id)
    svc.decline_quote(
        session, token, reason=body.reason, ip=client_ip(request), user_agent=f"recorded via API ({body.how})"
    )
    record_action(session, who.actor, "quote", quote_id, "decline_recorded", {"how": body.how})
    return QuoteOut(**svc.quote_view(session, quote_id))


@public.get("/quotes/{token}", response_model=PublicQuoteOut, response_model_exclude_unset=True)
def public_quote(token: str, session: Session = Depends(db)) -> PublicQuoteOut:
    """The client's view of a sent quote (internal fields left out)."""
    return PublicQuoteOut(**svc.public_view(session, token))


@public.post("/quotes/{token}/accept", response_model=PublicQuoteOut, response_model_exclude_unset=True)
def public_accept(token: str, body: PublicAccept, request: Request, session: Session = Depends(db)) -> PublicQuoteOut:
    svc.accept_quote(
        session,
        token,
        name=body.name,
        agreed=body.agreed,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        selected_line_ids=body.selected_line_ids,
    )
    return PublicQuoteOut(**svc.public_view(session, token))


@public.post("/quotes/{token}/decline", response_model=PublicQuoteOut, response_model_exclude_unset=True)
def public_decline(token: str, body: PublicDecline, request: Request, session: Session = Depends(db)) -> PublicQuoteOut:
    svc.decline_quote(
        session, token, reason=body.reason, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    return PublicQuoteOut(**svc.public_view(session, token))
