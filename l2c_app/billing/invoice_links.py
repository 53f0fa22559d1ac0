"""Which projects and deals an invoice bills, their names, the invoice's headings, and the
invoice's events on the deal timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.models import (
    Project,
)

# --- queries for pages and API --------------------------------------------------------------


def bills_project(project_id: int):
    """WHERE clause: the invoice bills this project, as its own or (spanning several of the
    client's projects, project_id NULL) through one of its lines."""
    through_lines = exists().where(InvoiceLine.invoice_id == Invoice.id, InvoiceLine.project_id == project_id)
    return or_(Invoice.project_id == project_id, and_(Invoice.project_id.is_(None), through_lines))


def invoice_project_ids(session: Session, inv: Invoice) -> list[int]:
    """The projects an invoice bills: its own, or (spanning several) those of its lines."""
    if inv.project_id is not None:
        return [inv.project_id]
    return sorted(
        int(pid)
        for pid in session.execute(
            sa_select(InvoiceLine.project_id)
            .where(InvoiceLine.invoice_id == inv.id, InvoiceLine.project_id.is_not(None))
            .distinct()
        ).scalars()
    )


def invoice_deal_ids(session: Session, inv: Invoice | Any) -> list[int]:
    """The deals an invoice belongs to: its own deal, or the deals of the projects its lines bill."""
    known = getattr(inv, "deal_ids", None)  # read with the webhook's row lock (payments/webhook_writes)
    if known is not None:
        return list(known)
    if inv.deal_id is not None:
        return [inv.deal_id]
    return sorted(
        int(d)
        for d in session.execute(
            sa_select(Project.deal_id)
            .join(InvoiceLine, InvoiceLine.project_id == Project.id)
            .where(InvoiceLine.invoice_id == inv.id, Project.deal_id.is_not(None))
            .distinct()
        ).scalars()
    )


def project_names(session: Session, project_ids: list[int]) -> dict[int, str]:
    if not project_ids:
        return {}
    return {
        int(i): n for i, n in session.execute(sa_select(Project.id, Project.name).where(Project.id.in_(project_ids)))
    }


def spanned_project_names(session: Session, inv: Invoice) -> list[str]:
    """The names of the projects an invoice without a project of its own bills, by name
    ("Projects: ..." on the page and the PDF); [] for an invoice of one project."""
    if inv.project_id is not None:
        return []
    return sorted(project_names(session, invoice_project_ids(session, inv)).values(), key=str.lower)


def line_sections(session: Session, inv: Invoice, lines: list[InvoiceLine]) -> list[str]:
    """Per line, the project heading to show before it ("" when none): an invoice spanning
    several projects shows its lines grouped under each project's name (manual lines under
    "Other"); an invoice of one project needs no headings."""
    pids = {ln.project_id for ln in lines if ln.project_id is not None}
    if inv.project_id is not None or len(pids) < 2:
        return ["" for _ in lines]
    names = project_names(session, sorted(pids))
    out, current = [], object()
    for ln in lines:
        key = ln.project_id
        out.append("" if key == current else (names.get(key, f"Project {key}") if key is not None else "Other"))
        current = key
    return out


def add_invoice_event(session: Session, inv: Invoice | Any, subject: str, user_id: int | None = None) -> None:
    """A timeline event on every deal the invoice bills (none when its projects have no deal).
    `inv`: an Invoice or an INVOICE_ROW row (both have id and deal_id)."""
    for deal_id in invoice_deal_ids(session, inv):
        add_deal_event(session, deal_id, subject, user_id=user_id)
