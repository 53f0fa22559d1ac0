"""Expenses a person enters on a project, and their receipts.

An expense is a cost of the project (margin counts every expense) and, when billable, a
billing source: billing bills it once at `marked_up(amount, markup_percent)` with its tax
(billing/service.py, `_other_candidates`). `amount_minor` is net of tax, in the project's
currency. Only an expense no live invoice bills may be deleted.

Receipts: threat model. A receipt is a private document (a scan of a bill that may carry
names, card digits, addresses). It is stored as a `Document` row in the database, never under
Reflex's `/_upload` (public, no auth), and served only by `/api/v1/expenses/{id}/receipt`,
which requires the `projects` section (the roles that see the project) or an API key scoped
to it. Uploads are refused above RECEIPT_MAX_BYTES and unless the bytes start like one of
RECEIPT_TYPES (the declared content type is not believed); the download is sent as an
attachment with `nosniff`, so a crafted file cannot run as a page of the app.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists
from sqlmodel import Session, select

from l2c_app.billing.models import BilledSource
from l2c_app.core.audit import Actor, record_action, record_create, record_delete
from l2c_app.core.documents import store_document
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Document
from l2c_app.core.money import check_amount
from l2c_app.projects.models import Expense, Project
from l2c_app.quotes.models import TaxRate

EXPENSE_CATEGORIES = ("travel", "accommodation", "meals", "software", "hardware", "subcontractor", "other")
RECEIPT_MAX_BYTES = 1_000_000  # the API's body limit (api/edge.MAX_BODY): one limit for the page and the API
# content type -> the bytes such a file starts with
RECEIPT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError(f"No project {project_id}", "project_id", kind="not_found")
    return project


def _expense(session: Session, expense_id: int) -> Expense:
    row = session.get(Expense, expense_id)
    if row is None:
        raise DomainError(f"No expense {expense_id}", "expense_id", kind="not_found")
    return row


def is_billed(session: Session, expense_id: int) -> bool:
    return bool(
        session.exec(
            select(
                exists().where(
                    BilledSource.source_type == "expense",
                    BilledSource.source_id == expense_id,
                    BilledSource.released_at.is_(None),
                )
            )
        ).one()
    )


def parse_markup(value: Decimal | int | str | None) -> Decimal:
    try:
        pct = Decimal(str(value if value not in (None, "") else 0).strip())
    except InvalidOperation:
        raise DomainError("The markup is a percent, e.g. 10 or 12.5", "markup_percent") from None
    if not pct.is_finite() or pct < 0 or pct > 500 or pct != pct.quantize(Decimal("0.0001")):
        raise DomainError("The markup is a percent between 0 and 500 (at most 4 decimals)", "markup_percent")
    return pct


def add_expense(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    day: date,
    description: str,
    amount_minor: int,
    tax_rate_id: int | None = None,
    category: str = "other",
    billable: bool = True,
    markup_percent: Decimal | int | str = 0,
) -> Expense:
    _project(session, project_id)
    text = (description or "").strip()
    if not text or len(text) > 300 or "\x00" in text:
        raise DomainError("Describe the expense (1 to 300 characters)", "description")
    amount = check_amount(amount_minor, "amount_minor", "The amount")
    if amount <= 0:
        raise DomainError("The amount must be more than zero", "amount_minor")
    if category not in EXPENSE_CATEGORIES:
        raise DomainError(f"The category is one of {', '.join(EXPENSE_CATEGORIES)}", "category")
    if tax_rate_id is not None and session.get(TaxRate, tax_rate_id) is None:
        raise DomainError(f"No tax rate {tax_rate_id}", "tax_rate_id")
    row = Expense(
        project_id=project_id,
        user_id=actor.user_id,
        day=day,
        description=text,
        amount_minor=amount,
        tax_rate_id=tax_rate_id,
        category=category,
        billable=bool(billable),
        markup_percent=parse_markup(markup_percent),
    )
    session.add(row)
    record_create(session, actor, row)
    return row


def delete_expense(session: Session, actor: Actor, expense_id: int) -> None:
    row = _expense(session, expense_id)
    if is_billed(session, expense_id):
        raise DomainError(
            "This expense is on an invoice; void or credit the invoice first",
            "expense_id",
            kind="conflict",
            code="expense.billed",
        )
    record_delete(session, actor, row)
    session.delete(row)
    session.flush()


def list_expenses(session: Session, project_id: int) -> list[dict]:
    """The project's expenses, newest first, each with whether it is billed (one query for the links)."""
    rows = list(
        session.exec(
            select(Expense).where(Expense.project_id == project_id).order_by(Expense.day.desc(), Expense.id.desc())
        )
    )  # type: ignore[attr-defined]
    ids = [r.id for r in rows]
    billed = (
        set(
            session.exec(
                select(BilledSource.source_id).where(
                    BilledSource.source_type == "expense",
                    BilledSource.source_id.in_(ids),  # type: ignore[attr-defined]
                    BilledSource.released_at.is_(None),
                )
            )
        )
        if ids
        else set()
    )
    return [expense_json(r, r.id in billed) for r in rows]


def expense_json(row: Expense, billed: bool | None = None) -> dict:
    return {
        "id": row.id,
        "project_id": row.project_id,
        "user_id": row.user_id,
        "day": row.day,
        "description": row.description,
        "amount_minor": row.amount_minor,
        "tax_rate_id": row.tax_rate_id,
        "category": row.category,
        "billable": row.billable,
        "markup_percent": str(row.markup_percent or 0),
        "has_receipt": row.receipt_document_id is not None,
        "billed": bool(billed),
        "updated_at": row.updated_at,
    }


def sniff_receipt(data: bytes) -> str:
    """The content type the bytes really are (one of RECEIPT_TYPES), else a refusal."""
    if len(data) > RECEIPT_MAX_BYTES:
        raise DomainError("A receipt is at most 1 MB", "receipt", kind="too_large")
    for content_type, starts in RECEIPT_TYPES.items():
        if any(data.startswith(s) for s in starts):
            return content_type
    raise DomainError("A receipt is a PDF, PNG or JPEG file", "receipt")


def attach_receipt(session: Session, actor: Actor, expense_id: int, filename: str, data: bytes) -> Document:
    row = _expense(session, expense_id)
    content_type = sniff_receipt(data)
    safe = "".join(ch for ch in (filename or "receipt") if ch.isalnum() or ch in "._- ")[:120] or "receipt"
    doc = store_document(session, kind="expense_receipt", filename=safe, data=data, content_type=content_type)
    row.receipt_document_id = doc.id
    session.add(row)
    record_action(session, actor, "expense", row.id, "receipt", {"sha256": doc.sha256, "size": doc.size})
    session.flush()
    return doc


def receipt_of(session: Session, expense_id: int) -> Document:
    row = _expense(session, expense_id)
    doc = session.get(Document, row.receipt_document_id) if row.receipt_document_id else None
    if doc is None:
        raise DomainError("This expense has no receipt", "expense_id", kind="not_found")
    return doc
