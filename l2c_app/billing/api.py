"""REST routes of the billing stage, and the public PDF of an invoice.

Threat model of `GET /i/{token}/pdf`: anyone holding the link may read that one invoice
(the token is 192 random bits, unguessable); nothing else is reachable with it. The
other routes need a user or API key allowed to use invoices.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlmodel import Session, select

from l2c_app.api.compose import DraftOut, MessageIn, draft_out, message_of
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.billing import service
from l2c_app.billing.models import Invoice
from l2c_app.billing.pdf import invoice_filename, render_invoice_pdf
from l2c_app.billing.sending import email_draft, send_invoice
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.timeutil import org_today

router = APIRouter(tags=["billing"])


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("not a date (YYYY-MM-DD)", field) from None


def _exclude_keys(body: dict) -> set[str]:
    """The candidate keys the caller unticked (`exclude`, as listed by GET .../unbilled)."""
    exclude = body.get("exclude") or []
    if not isinstance(exclude, list):
        raise DomainError("a list of candidate keys", "exclude")
    return {str(k) for k in exclude}


@router.post("/api/v1/projects/{project_id}/invoices", status_code=201)
def create_invoice(
    project_id: int,
    body: dict | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> dict:
    """Build a draft from the project's unbilled work up to `up_to` (default today).

    Body (all optional): up_to, itemise_time, exclude (candidate keys to leave out), notes,
    terms; or kind="deposit" with percent or amount_minor.
    """
    body = body or {}
    if body.get("kind") == "deposit":
        inv = service.create_deposit_invoice(
            session,
            principal.actor,
            project_id,
            percent=body.get("percent"),
            amount_minor=body.get("amount_minor"),
            terms=body.get("terms"),
        )
    else:
        inv = service.build_invoice(
            session,
            principal.actor,
            project_id,
            _date(body.get("up_to"), "up_to") or org_today(session),
            itemise=body.get("itemise_time"),
            exclude_keys=_exclude_keys(body),
            notes=body.get("notes"),
            terms=body.get("terms"),
        )
    return service.invoice_json(session, inv)


@router.get("/api/v1/projects/{project_id}/unbilled")
def unbilled(
    project_id: int,
    up_to: str | None = None,
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> dict:
    cands = service.unbilled_candidates(
        session, project_id, _date(up_to, "up_to") or org_today(session), create_periods=False
    )
    return {"items": [c.as_json() for c in cands], "next_cursor": None}


def _project_ids(raw) -> list[int]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise DomainError("a non-empty list of project ids", "project_ids")
    try:
        return [int(str(p).strip()) for p in items if str(p).strip()]
    except ValueError:
        raise DomainError("project ids are whole numbers", "project_ids") from None


@router.post("/api/v1/accounts/{account_id}/invoices", status_code=201)
def create_client_invoice(
    account_id: int,
    body: dict | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> dict:
    """ONE draft billing several projects of the client up to `up_to` (default today).

    Body: project_ids (required, projects of this account in one currency), up_to,
    itemise_time, exclude (keys from GET .../unbilled, "p<project id>:<key>"), notes, terms.
    404 unknown account or project; 422 invalid input or nothing to bill; 409 when another
    invoice billed some of the items meanwhile (retry gets what is left).
    """
    body = body or {}
    project_ids = _project_ids(body.get("project_ids"))
    exclude_keys = _exclude_keys(body)
    inv = service.build_client_invoice(
        session,
        principal.actor,
        account_id,
        project_ids,
        _date(body.get("up_to"), "up_to") or org_today(session),
        itemise=body.get("itemise_time"),
        exclude_keys=exclude_keys,
        notes=body.get("notes"),
        terms=body.get("terms"),
    )
    return service.invoice_json(session, inv)


@router.get("/api/v1/accounts/{account_id}/unbilled")
def client_unbilled(
    account_id: int,
    project_ids: str,
    up_to: str | None = None,
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> dict:
    """What a client invoice of these projects (comma-separated ids) would bill, keyed per project."""
    per_project = service.client_candidates(
        session,
        account_id,
        _project_ids(project_ids),
        _date(up_to, "up_to") or org_today(session),
        create_periods=False,
    )
    items = [
        {**c.as_json(), "key": service.project_key(p.id, c.key), "project_id": p.id, "project": p.name}
        for p, cands in per_project
        for c in cands
    ]
    return {"items": items, "next_cursor": None}


@router.get("/api/v1/invoices")
def list_invoices(
    status: str | None = None,
    project_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> dict:
    stmt = select(Invoice)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if project_id:  # its own invoices and the client invoices whose lines bill it
        stmt = stmt.where(service.bills_project(project_id))
    return page(
        session, stmt, Invoice, cursor, limit, lambda inv: service.invoice_json(session, inv, False), updated_since
    )


def _invoice(session: Session, invoice_id: int) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"no invoice {invoice_id}", "invoice_id")
    return inv


@router.get("/api/v1/invoices/{invoice_id}")
def get_invoice(invoice_id: int, session: Session = Depends(db), _: Principal = Depends(require("invoices"))) -> dict:
    return service.invoice_json(session, _invoice(session, invoice_id))


@router.post("/api/v1/invoices/{invoice_id}/issue")
def issue(invoice_id: int, session: Session = Depends(db), principal: Principal = Depends(require("invoices"))) -> dict:
    _invoice(session, invoice_id)
    inv = service.issue_invoice(session, principal.actor, invoice_id)
    return service.invoice_json(session, inv)


class InvoiceSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Annotated[str, Field(max_length=320)] | None = Field(None, description="default: the client's e-mail")
    time_appendix: StrictBool = Field(False, description="attach the time entries billed")
    message: MessageIn | None = Field(None, description="the composer's message; without it, the default e-mail")


@router.post("/api/v1/invoices/{invoice_id}/send")
def send(
    invoice_id: int,
    body: InvoiceSendIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> dict:
    """Issue if needed, e-mail the PDF; returns the public link and the payment link url.
    Optional `message` {to, cc, subject, body} with merge fields, as the composer sends it."""
    body = body or InvoiceSendIn()
    _invoice(session, invoice_id)
    return send_invoice(
        session,
        principal.actor,
        invoice_id,
        to=body.to,
        time_appendix=body.time_appendix,
        message=message_of(body.message),
    )


@router.get("/api/v1/invoices/{invoice_id}/email-draft", response_model=DraftOut)
def invoice_email_draft(
    invoice_id: int, session: Session = Depends(db), principal: Principal = Depends(require("invoices"))
) -> dict:
    """The composer's draft: today's e-mail as templates and the merge fields' values (to preview)."""
    _invoice(session, invoice_id)
    return draft_out(email_draft(session, principal.actor, invoice_id))


@router.post("/api/v1/invoices/{invoice_id}/void")
def void(
    invoice_id: int,
    body: dict | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> dict:
    _invoice(session, invoice_id)
    inv = service.void_invoice(session, principal.actor, invoice_id, reason=str((body or {}).get("reason") or ""))
    return service.invoice_json(session, inv)


@router.post("/api/v1/invoices/{invoice_id}/credit-note", status_code=201)
def credit(
    invoice_id: int,
    body: dict | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> dict:
    _invoice(session, invoice_id)
    cn = service.credit_note(session, principal.actor, invoice_id, reason=str((body or {}).get("reason") or ""))
    return service.invoice_json(session, cn)


@router.get("/api/v1/invoices/{invoice_id}/pdf")
def pdf(
    invoice_id: int,
    time_appendix: bool = False,
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> Response:
    inv = _invoice(session, invoice_id)
    return Response(
        render_invoice_pdf(session, inv, time_appendix),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice_filename(inv)}"'},
    )


@router.post("/api/v1/invoices/{invoice_id}/payments", status_code=201)
def record_payment(
    invoice_id: int, body: dict, session: Session = Depends(db), principal: Principal = Depends(require("payments"))
) -> dict:
    """A manual payment: {amount_minor, method: bank_transfer|check|cash|other, received_on, reference,
    confirm_overpayment}. Above the open amount it answers 422 (code "amount.overpayment", the
    message names the client credit it would create) unless confirm_overpayment is true."""
    _invoice(session, invoice_id)
    amount = body.get("amount_minor")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise DomainError("an integer count of minor units is required", "amount_minor")
    confirm = body.get("confirm_overpayment", False)
    if not isinstance(confirm, bool):
        raise DomainError("true or false", "confirm_overpayment")
    pay = service.record_manual_payment(
        session,
        principal.actor,
        invoice_id,
        amount_minor=amount,
        method=str(body.get("method") or ""),
        received_on=_date(body.get("received_on"), "received_on"),
        reference=body.get("reference"),
        confirm_overpayment=confirm,
    )
    session.commit()  # committed before the 201 says it was recorded
    inv = _invoice(session, invoice_id)
    return {
        "payment": {
            "id": pay.id,
            "amount_minor": pay.amount_minor,
            "currency": pay.currency,
            "method": pay.method,
            "received_on": pay.received_on.isoformat(),
            "reference": pay.reference,
        },
        "invoice": service.invoice_json(session, inv, with_lines=False),
    }


@router.get("/i/{token}/pdf", include_in_schema=False)
def public_pdf(token: str, session: Session = Depends(db)) -> Response:
    inv = service.invoice_by_token(session, token)
    if inv is None or inv.status == "draft":
        raise NotFound("Not found")
    return Response(
        render_invoice_pdf(session, inv),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{invoice_filename(inv)}"',
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
        },
    )


# The ledger's corrections (reverse, apply credit, partial credit note, write-off) live in
# their own module; they answer under the same router.
from l2c_app.billing import ledger_api  # noqa: E402

router.include_router(ledger_api.router)
