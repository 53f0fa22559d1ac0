"""REST routes of the billing stage, and the public PDF of an invoice.

Threat model of `GET /i/{token}/pdf`: anyone holding the link may read that one invoice
(the token is 192 random bits, unguessable); nothing else is reachable with it. The
other routes need a user or API key allowed to use invoices.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session, select

from l2c_app.api.compose import DraftOut, draft_out, message_of
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.billing import service
from l2c_app.billing.api_models import (
    CandidateList,
    ClientCandidateList,
    ClientInvoiceIn,
    InvoiceCreateIn,
    InvoiceList,
    InvoiceOut,
    InvoiceSendIn,
    InvoiceSentOut,
    ManualPaymentIn,
    PaymentRecordedOut,
    ReasonIn,
)
from l2c_app.billing.models import Invoice
from l2c_app.billing.pdf import invoice_filename, render_invoice_pdf
from l2c_app.billing.sending import email_draft, send_invoice
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.timeutil import org_today

router = APIRouter(tags=["billing"])


def _date(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("not a date (YYYY-MM-DD)", field) from None


def _exclude_keys(exclude: list[str | int] | None) -> set[str]:
    """The candidate keys the caller unticked (`exclude`, as listed by GET .../unbilled)."""
    return {str(k) for k in exclude or []}


def _invoice_out(session: Session, inv: Invoice) -> InvoiceOut:
    return InvoiceOut.model_validate(service.invoice_json(session, inv))


@router.post("/api/v1/projects/{project_id}/invoices", status_code=201)
def create_invoice(
    project_id: int,
    body: InvoiceCreateIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceOut:
    """Build a draft from the project's unbilled work up to `up_to` (default today).

    Body (all optional): up_to, itemise_time, exclude (candidate keys to leave out), notes,
    terms; or kind="deposit" with percent or amount_minor.
    """
    body = body or InvoiceCreateIn()
    if body.kind == "deposit":
        inv = service.create_deposit_invoice(
            session,
            principal.actor,
            project_id,
            percent=body.percent,
            amount_minor=body.amount_minor,
            terms=body.terms,
        )
    else:
        inv = service.build_invoice(
            session,
            principal.actor,
            project_id,
            _date(body.up_to, "up_to") or org_today(session),
            itemise=body.itemise_time,
            exclude_keys=_exclude_keys(body.exclude),
            notes=body.notes,
            terms=body.terms,
        )
    return _invoice_out(session, inv)


@router.get("/api/v1/projects/{project_id}/unbilled")
def unbilled(
    project_id: int,
    up_to: str | None = None,
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> CandidateList:
    """What an invoice built now up to `up_to` (default today) would bill, line by line."""
    cands = service.unbilled_candidates(
        session, project_id, _date(up_to, "up_to") or org_today(session), create_periods=False
    )
    return CandidateList.model_validate({"items": [c.as_json() for c in cands], "next_cursor": None})


def _project_ids(raw: list[int | str] | str | None) -> list[int]:
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
    body: ClientInvoiceIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceOut:
    """ONE draft billing several projects of the client up to `up_to` (default today).

    Body: project_ids (required, projects of this account in one currency), up_to,
    itemise_time, exclude (keys from GET .../unbilled, "p<project id>:<key>"), notes, terms.
    404 unknown account or project; 422 invalid input or nothing to bill; 409 when another
    invoice billed some of the items meanwhile (retry gets what is left).
    """
    body = body or ClientInvoiceIn()
    project_ids = _project_ids(body.project_ids)
    inv = service.build_client_invoice(
        session,
        principal.actor,
        account_id,
        project_ids,
        _date(body.up_to, "up_to") or org_today(session),
        itemise=body.itemise_time,
        exclude_keys=_exclude_keys(body.exclude),
        notes=body.notes,
        terms=body.terms,
    )
    return _invoice_out(session, inv)


@router.get("/api/v1/accounts/{account_id}/unbilled")
def client_unbilled(
    account_id: int,
    project_ids: str,
    up_to: str | None = None,
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> ClientCandidateList:
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
    return ClientCandidateList.model_validate({"items": items, "next_cursor": None})


@router.get("/api/v1/invoices")
def list_invoices(
    status: str | None = None,
    project_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("invoices")),
) -> InvoiceList:
    """Invoices without their lines, by id (or by last change with `updated_since`)."""
    stmt = select(Invoice)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if project_id:  # its own invoices and the client invoices whose lines bill it
        stmt = stmt.where(service.bills_project(project_id))

    def summary(inv: Invoice) -> dict:
        return service.invoice_json(session, inv, with_lines=False)

    return InvoiceList.model_validate(page(session, stmt, Invoice, cursor, limit, summary, updated_since))


def _invoice(session: Session, invoice_id: int) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"no invoice {invoice_id}", "invoice_id")
    return inv


@router.get("/api/v1/invoices/{invoice_id}")
def get_invoice(
    invoice_id: int, session: Session = Depends(db), _: Principal = Depends(require("invoices"))
) -> InvoiceOut:
    return _invoice_out(session, _invoice(session, invoice_id))


@router.post("/api/v1/invoices/{invoice_id}/issue")
def issue(
    invoice_id: int, session: Session = Depends(db), principal: Principal = Depends(require("invoices"))
) -> InvoiceOut:
    _invoice(session, invoice_id)
    inv = service.issue_invoice(session, principal.actor, invoice_id)
    return _invoice_out(session, inv)


@router.post("/api/v1/invoices/{invoice_id}/send")
def send(
    invoice_id: int,
    body: InvoiceSendIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceSentOut:
    """Issue if needed, e-mail the PDF; returns the public link and the payment link url.
    Optional `message` {to, cc, subject, body} with merge fields, as the composer sends it."""
    body = body or InvoiceSendIn()
    _invoice(session, invoice_id)
    sent = send_invoice(
        session,
        principal.actor,
        invoice_id,
        to=body.to,
        time_appendix=body.time_appendix,
        message=message_of(body.message),
    )
    return InvoiceSentOut.model_validate(sent)


@router.get("/api/v1/invoices/{invoice_id}/email-draft", response_model=DraftOut)
def invoice_email_draft(
    invoice_id: int, session: Session = Depends(db), principal: Principal = Depends(require("invoices"))
) -> DraftOut:
    """The composer's draft: today's e-mail as templates and the merge fields' values (to preview)."""
    _invoice(session, invoice_id)
    return DraftOut.model_validate(draft_out(email_draft(session, principal.actor, invoice_id)))


@router.post("/api/v1/invoices/{invoice_id}/void")
def void(
    invoice_id: int,
    body: ReasonIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceOut:
    _invoice(session, invoice_id)
    inv = service.void_invoice(session, principal.actor, invoice_id, reason=(body.reason if body else None) or "")
    return _invoice_out(session, inv)


@router.post("/api/v1/invoices/{invoice_id}/credit-note", status_code=201)
def credit(
    invoice_id: int,
    body: ReasonIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("invoices")),
) -> InvoiceOut:
    _invoice(session, invoice_id)
    cn = service.credit_note(session, principal.actor, invoice_id, reason=(body.reason if body else None) or "")
    return _invoice_out(session, cn)


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
    invoice_id: int,
    body: ManualPaymentIn,
    session: Session = Depends(db),
    principal: Principal = Depends(require("payments")),
) -> PaymentRecordedOut:
    """A manual payment: {amount_minor, method: bank_transfer|check|cash|other, received_on, reference,
    confirm_overpayment}. Above the open amount it answers 422 (code "amount.overpayment", the
    message names the client credit it would create) unless confirm_overpayment is true."""
    _invoice(session, invoice_id)
    pay = service.record_manual_payment(
        session,
        principal.actor,
        invoice_id,
        amount_minor=body.amount_minor,
        method=body.method or "",
        received_on=_date(body.received_on, "received_on"),
        reference=body.reference,
        confirm_overpayment=body.confirm_overpayment,
    )
    session.commit()  # committed before the 201 says it was recorded
    inv = _invoice(session, invoice_id)
    return PaymentRecordedOut.model_validate(
        {
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
    )


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
