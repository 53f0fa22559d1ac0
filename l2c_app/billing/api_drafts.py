"""Typed REST routes for shaping a draft invoice and for deposits.

    POST   /api/v1/projects/{id}/deposits                a deposit: percent or amount, optional tax rate
    POST   /api/v1/invoices/{id}/lines                   a manual line on a draft
    DELETE /api/v1/invoices/{id}/lines/{line_id}         untick a draft's line (its work is unbilled again)

Every figure comes from `billing.service` (deposit base, tax, totals); nothing is computed
here. Threat model: `require("invoices")`; the service refuses changes to anything but a
draft and locks the invoice row while it changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.billing import service
from l2c_app.core.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["billing"])
auth = require("invoices")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepositIn(_In):
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=7, decimal_places=4)] | None = Field(
        None, description="a percent of the contract value (net of tax), e.g. \"30\"")
    amount_minor: Annotated[StrictInt, Field(gt=0, le=2**53)] | None = Field(
        None, description="or a fixed amount in minor units (net of tax)")
    tax_rate_id: StrictInt | None = Field(None, description="tax added to the deposit (a tax rate's id)")
    terms: Annotated[str, Field(max_length=2000)] | None = None


class ManualLineIn(_In):
    description: Annotated[str, Field(min_length=1, max_length=500)]
    amount_minor: Annotated[StrictInt, Field(ge=-(2**53), le=2**53)]
    tax_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] = Decimal(0)
    tax_inclusive: StrictBool = False


@router.post("/projects/{project_id}/deposits", status_code=201)
def create_deposit(project_id: int, body: DepositIn, session: Session = Depends(db),
                   who: Principal = Depends(auth)) -> dict[str, Any]:
    """A draft deposit invoice; later invoices of the project deduct it."""
    inv = service.create_deposit_invoice(session, project_id, who.actor, percent=body.percent,
                                         amount_minor=body.amount_minor, tax_rate_id=body.tax_rate_id,
                                         terms=body.terms)
    return service.invoice_json(session, inv)


@router.post("/invoices/{invoice_id}/lines", status_code=201)
def add_line(invoice_id: int, body: ManualLineIn, session: Session = Depends(db),
             who: Principal = Depends(auth)) -> dict[str, Any]:
    line = service.add_manual_line(session, invoice_id, who.actor, body.description, body.amount_minor,
                                   body.tax_percent, body.tax_inclusive)
    return service.invoice_json(session, session.get(service.Invoice, line.invoice_id))


@router.delete("/invoices/{invoice_id}/lines/{line_id}")
def remove_line(invoice_id: int, line_id: int, session: Session = Depends(db),
                who: Principal = Depends(auth)) -> dict[str, Any]:
    inv = service.remove_line(session, invoice_id, line_id, who.actor)
    return service.invoice_json(session, inv)
