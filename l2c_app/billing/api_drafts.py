"""Typed REST routes for shaping a draft invoice and for deposits.

    POST   /api/v1/projects/{id}/deposits                a deposit: percent or amount, optional tax rate
    POST   /api/v1/invoices/{id}/lines                   a manual line on a draft
    DELETE /api/v1/invoices/{id}/lines/{line_id}         untick a draft's line (its work is unbilled again)
    GET    /api/v1/invoices/{id}/removed-lines           the unticked lines that can be put back
    POST   /api/v1/invoices/{id}/removed-lines/{rid}/restore   put one back (its work is billed by it again)

Every figure comes from `billing.service` (deposit base, tax, totals); nothing is computed
here. Threat model: `require("invoices")`; the service refuses changes to anything but a
draft and locks the invoice row while it changes.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.billing import service
from l2c_app.billing.api_models import DepositIn, InvoiceOut, ManualLineIn, RemovedLineList, RemovedLineOut
from l2c_app.billing.models import Invoice
from l2c_app.core.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["billing"])
auth = require("invoices")


@router.post("/projects/{project_id}/deposits", status_code=201)
def create_deposit(
    project_id: int, body: DepositIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> InvoiceOut:
    """A draft deposit invoice; later invoices of the project deduct it."""
    inv = service.create_deposit_invoice(
        session,
        who.actor,
        project_id,
        percent=body.percent,
        amount_minor=body.amount_minor,
        tax_rate_id=body.tax_rate_id,
        terms=body.terms,
    )
    return InvoiceOut.model_validate(service.invoice_json(session, inv))


@router.post("/invoices/{invoice_id}/lines", status_code=201)
def add_line(
    invoice_id: int, body: ManualLineIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> InvoiceOut:
    line = service.add_manual_line(
        session,
        who.actor,
        invoice_id,
        body.description,
        body.amount_minor,
        body.tax_percent,
        body.tax_inclusive,
    )
    return InvoiceOut.model_validate(service.invoice_json(session, session.get(Invoice, line.invoice_id)))


@router.delete("/invoices/{invoice_id}/lines/{line_id}")
def remove_line(
    invoice_id: int, line_id: int, session: Session = Depends(db), who: Principal = Depends(auth)
) -> InvoiceOut:
    inv = service.remove_line(session, who.actor, invoice_id, line_id)
    return InvoiceOut.model_validate(service.invoice_json(session, inv))


@router.get("/invoices/{invoice_id}/removed-lines", response_model=RemovedLineList)
def removed_lines(
    invoice_id: int,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(auth),
) -> RemovedLineList:
    rows = changed_since(service.removed_lines(session, invoice_id), updated_since)
    return RemovedLineList(items=[RemovedLineOut(**service.removed_line_json(r)) for r in rows])


@router.post("/invoices/{invoice_id}/removed-lines/{removed_id}/restore")
def restore_line(
    invoice_id: int, removed_id: int, session: Session = Depends(db), who: Principal = Depends(auth)
) -> InvoiceOut:
    """The line back on the draft as it was; 409 when another invoice bills its work meanwhile."""
    inv = service.restore_line(session, who.actor, invoice_id, removed_id)
    return InvoiceOut.model_validate(service.invoice_json(session, inv))
