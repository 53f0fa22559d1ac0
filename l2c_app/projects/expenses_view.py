"""What the Expenses card of the project page shows and accepts, as display strings.

The rules live in `projects.expenses` (add, delete, receipts); this module turns its rows into
strings (money through `core.formats.money`, the organisation's locale) and the form's text into
the service's arguments (amounts with `core.money.to_minor`, in the project's currency).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.core.money import to_minor
from l2c_app.core.timeutil import org_today
from l2c_app.projects import expenses
from l2c_app.projects.models import Project
from l2c_app.quotes import catalog

CATEGORY_LABELS = {c: c.capitalize() for c in expenses.EXPENSE_CATEGORIES}


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError(f"No project {project_id}", "project_id", kind="not_found")
    return project


def expenses_card(session: Session, project_id: int) -> dict[str, Any]:
    project = _project(session, project_id)
    fmt = formats.formats(session)
    rates = catalog.list_tax_rates(session)
    names = {r.id: r.name for r in rates}
    rows = []
    for e in expenses.list_expenses(session, project_id):
        markup = e["markup_percent"].rstrip("0").rstrip(".") if "." in e["markup_percent"] else e["markup_percent"]
        rows.append(
            {
                "id": str(e["id"]),
                "day": formats.day(e["day"], fmt),
                "description": e["description"],
                "category": CATEGORY_LABELS.get(e["category"], e["category"]),
                "amount": formats.money(e["amount_minor"], project.currency, fmt),
                "tax": names.get(e["tax_rate_id"], "No tax") if e["tax_rate_id"] else "No tax",
                "billable": ("Billable" + (f" +{markup}%" if markup not in ("0", "") else ""))
                if e["billable"]
                else "Not billable",
                "status": "Billed" if e["billed"] else "Unbilled",
                "billed": "1" if e["billed"] else "",
                "receipt_url": f"/api/v1/expenses/{e['id']}/receipt" if e["has_receipt"] else "",
            }
        )
    return {
        "rows": rows,
        "currency": project.currency,
        "today": org_today(session).isoformat(),
        "tax_options": [{"id": str(r.id), "label": f"{r.name} ({r.percent.normalize()}%)"} for r in rates],
        "categories": [{"id": c, "label": label} for c, label in CATEGORY_LABELS.items()],
    }


def add_from_form(session: Session, actor: Actor, project_id: int, form: dict[str, Any]):
    """The form's text as `expenses.add_expense`'s arguments; every refusal is a DomainError."""
    project = _project(session, project_id)
    try:
        day = date.fromisoformat(str(form.get("day") or "").strip())
    except ValueError:
        raise DomainError("Give the expense's date", "day") from None
    try:
        amount = to_minor(str(form.get("amount") or ""), project.currency)
    except ValueError as exc:
        raise DomainError(
            str(exc) if str(form.get("amount") or "").strip() else "Give the amount", "amount_minor"
        ) from None
    tax = str(form.get("tax_rate") or "").strip()
    if tax and not tax.isdigit():
        raise DomainError("Choose a tax rate", "tax_rate_id")
    billable = form.get("billable") in (True, "on", "true", "1")
    return expenses.add_expense(
        session,
        actor,
        project_id,
        day=day,
        description=str(form.get("description") or ""),
        amount_minor=amount,
        tax_rate_id=int(tax) if tax else None,
        category=str(form.get("category") or "other"),
        billable=billable,
        markup_percent=str(form.get("markup") or "0").strip() or "0",
    )


def attach(session: Session, actor: Actor, expense_id: int, filename: str, data: bytes):
    return expenses.attach_receipt(session, actor, expense_id, filename, data)
