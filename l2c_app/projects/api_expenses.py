"""REST routes of expenses, their receipts and people's cost rates.

    GET    /api/v1/projects/{id}/expenses      list (keyset pages, ?updated_since)
    POST   /api/v1/projects/{id}/expenses      {day, description, amount_minor, tax_rate_id?, category?,
                                               billable?, markup_percent?}
    DELETE /api/v1/expenses/{id}               only while no live invoice bills it (409)
    PUT    /api/v1/expenses/{id}/receipt       the file as the raw body (PDF, PNG or JPEG, <= 1 MB), ?filename=
    GET    /api/v1/expenses/{id}/receipt       the file, as an attachment
    GET    /api/v1/cost-rates                  list (?user_id, ?updated_since)
    POST   /api/v1/cost-rates                  {user_id, effective_from, amount_minor, currency}

Threat model: expenses and receipts need the `projects` section (owner, admin, delivery,
billing; API keys scoped `projects:read|write`); cost rates need `team` (owner, admin): what a
person costs is not for everyone who logs time. A receipt is stored in the database (never
under the public `/_upload`) and served only here, after that check; its type is read from
its bytes, not from the declared header (projects/expenses.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core.auth import Principal
from l2c_app.projects import cost_rates, expenses
from l2c_app.projects.models import CostRate, Expense

router = APIRouter(prefix="/api/v1", tags=["expenses"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpenseIn(_In):
    day: date
    description: str = Field(min_length=1, max_length=300)
    amount_minor: StrictInt = Field(description="Net of tax, minor units of the project's currency")
    tax_rate_id: StrictInt | None = None
    category: str = Field("other", max_length=40)
    billable: StrictBool = True
    markup_percent: Decimal = Field(Decimal("0"), description='Percent added when billed, e.g. "15"')


class ExpenseOut(BaseModel):
    id: int
    project_id: int
    user_id: int | None
    day: date
    description: str
    amount_minor: int
    tax_rate_id: int | None
    category: str
    billable: bool
    markup_percent: str
    has_receipt: bool
    billed: bool
    updated_at: datetime


class ExpensePage(BaseModel):
    items: list[ExpenseOut]
    next_cursor: str | None


class ReceiptOut(BaseModel):
    expense_id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class CostRateIn(_In):
    user_id: StrictInt
    effective_from: date
    amount_minor: StrictInt = Field(description="Cost of one hour, minor units")
    currency: str = Field("EUR", min_length=3, max_length=3)


class CostRateOut(BaseModel):
    id: int
    user_id: int
    effective_from: date
    amount_minor: int
    currency: str
    updated_at: datetime


class CostRatePage(BaseModel):
    items: list[CostRateOut]
    next_cursor: str | None


@router.get("/projects/{project_id}/expenses", response_model=ExpensePage)
def list_expenses(
    project_id: int,
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> ExpensePage:
    got = page(
        session,
        select(Expense).where(Expense.project_id == project_id),
        Expense,
        cursor,
        limit,
        lambda r: expenses.expense_json(r, expenses.is_billed(session, r.id)),
        updated_since,
    )
    return ExpensePage.model_validate(got)


@router.post("/projects/{project_id}/expenses", status_code=201, response_model=ExpenseOut)
def create_expense(
    project_id: int, body: ExpenseIn, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> ExpenseOut:
    row = expenses.add_expense(
        session,
        who.actor,
        project_id,
        day=body.day,
        description=body.description,
        amount_minor=body.amount_minor,
        tax_rate_id=body.tax_rate_id,
        category=body.category,
        billable=body.billable,
        markup_percent=body.markup_percent,
    )
    session.commit()
    return ExpenseOut.model_validate(expenses.expense_json(row, False))


@router.delete("/expenses/{expense_id}", status_code=204)
def delete_expense(
    expense_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> Response:
    expenses.delete_expense(session, who.actor, expense_id)
    session.commit()
    return Response(status_code=204)


# The receipt is the raw request body, not JSON (its type is read from its bytes): documented here.
_RECEIPT_BODY = {
    "requestBody": {
        "required": True,
        "description": "the PDF, PNG or JPEG file itself",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.put("/expenses/{expense_id}/receipt", response_model=ReceiptOut, openapi_extra=_RECEIPT_BODY)
async def put_receipt(
    expense_id: int,
    request: Request,
    filename: str = Query("receipt", max_length=200),
    session: Session = Depends(db),
    who: Principal = Depends(require("projects")),
) -> ReceiptOut:
    data = await request.body()
    doc = expenses.attach_receipt(session, who.actor, expense_id, filename, data)
    session.commit()
    return ReceiptOut(
        expense_id=expense_id, filename=doc.filename, content_type=doc.content_type, size=doc.size, sha256=doc.sha256
    )


@router.get("/expenses/{expense_id}/receipt")
def get_receipt(
    expense_id: int, session: Session = Depends(db), who: Principal = Depends(require("projects"))
) -> Response:
    doc = expenses.receipt_of(session, expense_id)
    return Response(
        doc.data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{doc.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _rate_json(r: CostRate) -> dict:
    return {
        "id": r.id,
        "user_id": r.user_id,
        "effective_from": r.effective_from,
        "amount_minor": r.amount_minor,
        "currency": r.currency,
        "updated_at": r.updated_at,
    }


@router.get("/cost-rates", response_model=CostRatePage)
def list_cost_rates(
    session: Session = Depends(db),
    who: Principal = Depends(require("team")),
    user_id: int | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> CostRatePage:
    stmt = select(CostRate) if user_id is None else select(CostRate).where(CostRate.user_id == user_id)
    return CostRatePage.model_validate(page(session, stmt, CostRate, cursor, limit, _rate_json, updated_since))


@router.post("/cost-rates", status_code=201, response_model=CostRateOut)
def set_cost_rate(
    body: CostRateIn, session: Session = Depends(db), who: Principal = Depends(require("team"))
) -> CostRateOut:
    row = cost_rates.set_cost_rate(
        session, who.actor, body.user_id, body.effective_from, body.amount_minor, body.currency
    )
    session.commit()
    return CostRateOut.model_validate(_rate_json(row))
