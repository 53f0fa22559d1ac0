"""REST routes of the client record: clients with their summary, contacts, the statement.

Bodies are typed (pydantic, unknown fields refused); a broken rule raises a DomainError
naming the field (422 invalid, 404 not found). Lists follow the API's convention
(`items` + `next_cursor`, keyset on id). Every write is committed before the answer.
Money: integer minor units + currency.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page, page_rows
from l2c_app.clients import service as svc
from l2c_app.clients.statement import statement
from l2c_app.clients.statement_pdf import render_statement_pdf
from l2c_app.core.auth import Principal
from l2c_app.pipeline.models import Contact

router = APIRouter(tags=["clients"])

Text200 = Annotated[str, Field(max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientPatch(_Body):
    name: Text200 | None = None
    domain: Annotated[str, Field(max_length=255)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    tax_id: Annotated[str, Field(max_length=40)] | None = None
    billing_email: Annotated[str, Field(max_length=320)] | None = None
    payment_terms: Annotated[str, Field(max_length=16)] | None = None
    currency: Annotated[str, Field(max_length=3)] | None = None
    owner_id: StrictInt | None = None


class ContactBody(_Body):
    name: Text200
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None
    title: Annotated[str, Field(max_length=100)] | None = None
    is_primary: StrictBool = False
    is_billing: StrictBool = False


class Balance(BaseModel):
    currency: str
    open_minor: int
    overdue_minor: int
    credit_minor: int


class Summary(BaseModel):
    currency: str
    open_minor: int
    overdue_minor: int
    credit_minor: int
    balances: list[Balance]
    counts: dict[str, int]


class ClientOut(BaseModel):
    id: int
    name: str
    domain: str
    phone: str
    address: str
    tax_id: str
    billing_email: str
    payment_terms: str
    currency: str
    owner_id: int | None
    summary: Summary | None = None


class ClientRow(BaseModel):
    id: int
    name: str
    domain: str
    owner_id: int | None
    currency: str
    open_minor: int
    overdue_minor: int
    has_active_project: bool


class ClientPage(BaseModel):
    items: list[ClientRow]
    next_cursor: str | None


class ContactOut(BaseModel):
    id: int
    client_id: int
    name: str
    email: str
    phone: str
    title: str
    is_primary: bool
    is_billing: bool
    archived: bool


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class StatementLine(BaseModel):
    date: str
    kind: str
    reference: str
    debit_minor: int
    credit_minor: int
    balance_minor: int


class StatementOut(BaseModel):
    client_id: int
    client: str
    currency: str
    start: str
    end: str
    opening_minor: int
    lines: list[StatementLine]
    invoiced_minor: int
    credited_minor: int
    paid_minor: int
    refunded_minor: int
    written_off_minor: int
    closing_minor: int
    aged: dict[str, int]
    as_of: str


def _client_out(session: Session, client_id: int) -> ClientOut:
    summary = Summary(**svc.client_summary(session, client_id))
    return ClientOut(**svc.client_details(session, client_id), summary=summary)


@router.get("/api/v1/clients", response_model=ClientPage)
def list_clients(
    session: Session = Depends(db),
    _: Principal = Depends(require("clients")),
    q: Annotated[str, Query(max_length=200)] = "",
    has_open_balance: bool = False,
    has_active_project: bool = False,
    owner_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClientPage:
    """Clients by id (keyset pages), with the filters of the Clients page; sync by (updated_at, id)."""
    rows = svc.list_clients(
        session, q=q, has_open_balance=has_open_balance, has_active_project=has_active_project, owner_id=owner_id
    )
    kept, next_cursor = page_rows(rows, cursor, limit, updated_since, lambda r: r["updated_at"], lambda r: r["id"])
    return ClientPage(items=[ClientRow(**r) for r in kept], next_cursor=next_cursor)


@router.get("/api/v1/clients/{client_id}", response_model=ClientOut)
def get_client(client_id: int, session: Session = Depends(db), _: Principal = Depends(require("clients"))):
    return _client_out(session, client_id)


@router.patch("/api/v1/clients/{client_id}", response_model=ClientOut)
def patch_client(
    client_id: int,
    body: ClientPatch,
    session: Session = Depends(db),
    principal: Principal = Depends(require("clients")),
):
    svc.update_client(session, principal.actor, client_id, body.model_dump(exclude_unset=True))
    session.commit()  # committed before the answer says it succeeded
    return _client_out(session, client_id)


@router.get("/api/v1/clients/{client_id}/contacts", response_model=ContactPage)
def list_contacts(
    client_id: int,
    session: Session = Depends(db),
    _: Principal = Depends(require("clients")),
    include_archived: bool = False,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ContactPage:
    svc.get_account(session, client_id)
    stmt = select(Contact).where(Contact.account_id == client_id)
    if not include_archived:
        stmt = stmt.where(Contact.archived_at.is_(None))
    got = page(session, stmt, Contact, cursor, limit, lambda c: ContactOut(**svc.contact_json(c)), updated_since)
    return ContactPage(**got)


@router.post("/api/v1/clients/{client_id}/contacts", response_model=ContactOut, status_code=201)
def add_contact(
    client_id: int,
    body: ContactBody,
    session: Session = Depends(db),
    principal: Principal = Depends(require("clients")),
):
    c = svc.add_contact(session, principal.actor, client_id, body.model_dump(exclude_unset=True))
    session.commit()
    return ContactOut(**svc.contact_json(c))


@router.get(
    "/api/v1/clients/{client_id}/statement",
    response_model=StatementOut,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_statement(
    client_id: int,
    session: Session = Depends(db),
    _: Principal = Depends(require("clients")),
    start: date | None = None,
    end: date | None = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    format: Literal["json", "pdf"] = "json",
):
    """The statement of account for [start, end] (default: about three months to today)."""
    if format == "pdf":
        data = render_statement_pdf(session, client_id, start, end, currency)
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="statement-{client_id}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
    return StatementOut(**statement(session, client_id, start, end, currency))


@router.get("/api/v1/clients.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def clients_csv(
    session: Session = Depends(db),
    _: Principal = Depends(require("clients")),
    q: Annotated[str, Query(max_length=200)] = "",
    has_open_balance: bool = False,
    has_active_project: bool = False,
    owner_id: int | None = None,
    sort: str = "name",
) -> Response:
    """The Clients list as CSV (cells a spreadsheet would run as a formula are quoted)."""
    text = svc.clients_csv(
        session,
        q=q,
        has_open_balance=has_open_balance,
        has_active_project=has_active_project,
        owner_id=owner_id,
        sort=sort,
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"', "Cache-Control": "private, no-store"},
    )


# The client portal's pages (their own credential: the portal cookie; see clients.portal).
from l2c_app.clients import portal_routes  # noqa: E402

router.include_router(portal_routes.router)
