"""Reads of invoices for the pages and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing.invoice_links import invoice_project_ids
from l2c_app.billing.invoice_totals import lines_of, tax_split
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.billing.payment_status import open_amount
from l2c_app.core.textlimits import plausible_token


def invoice_json(session: Session, inv: Invoice, with_lines: bool = True) -> dict:
    from l2c_app.core.config import get_settings

    data = {
        "id": inv.id,
        "number": inv.number,
        "kind": inv.kind,
        "status": inv.status,
        "refunded": inv.refunded,
        "disputed": inv.disputed,
        "currency": inv.currency,
        "project_id": inv.project_id,
        "deal_id": inv.deal_id,
        "project_ids": invoice_project_ids(session, inv),
        "account_id": inv.account_id,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "due_date": inv.due_date.isoformat() if inv.due_date else None,
        "terms_days": inv.terms_days,
        "subtotal_minor": inv.subtotal_minor,
        "tax_minor": inv.tax_minor,
        "total_minor": inv.total_minor,
        "tax_added_minor": tax_split(inv)[0],
        "tax_included_minor": tax_split(inv)[1],
        "paid_minor": inv.paid_minor,
        "open_minor": open_amount(session, inv),
        "notes": inv.notes,
        "credited_minor": inv.credited_minor,
        "written_off_minor": inv.written_off_minor,
        "write_off_reason": inv.write_off_reason,
        "delivery": inv.delivery,
        "state_label": state_label(inv),
        "public_url": f"{get_settings().app_base_url}/i/{inv.public_token}",
        "payment_link_url": inv.payment_link_url,
        "credit_for_invoice_id": inv.credit_for_invoice_id,
    }
    if with_lines:
        data["lines"] = [
            {
                "id": ln.id,
                "position": ln.position,
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit": ln.unit,
                "unit_price_minor": ln.unit_price_minor,
                "amount_minor": ln.amount_minor,
                "tax_percent": str(ln.tax_percent),
                "tax_minor": ln.tax_minor,
                "tax_inclusive": ln.tax_inclusive,
                "source_type": ln.source_type,
                "project_id": ln.project_id,
                "credits_line_id": ln.credits_line_id,
            }
            for ln in lines_of(session, inv.id)
        ]
    return data


def invoice_by_token(session: Session, token: str) -> Invoice | None:
    if not plausible_token(token, 64):
        return None
    return session.exec(select(Invoice).where(Invoice.public_token == token)).first()


def billed_sources_total(session: Session, invoice_id: int) -> int:
    return int(
        session.execute(
            sa_select(func.coalesce(func.sum(BilledSource.amount_minor), 0))
            .join(InvoiceLine, InvoiceLine.id == BilledSource.invoice_line_id)
            .where(InvoiceLine.invoice_id == invoice_id, BilledSource.released_at.is_(None))
        ).scalar_one()
    )


DELIVERY_LABEL = {"sent": "Sent", "queued": "Queued in Outbox", "failed": "E-mail failed"}
STATE_LABEL = {
    "draft": "Draft",
    "partially_paid": "Partially paid",
    "paid": "Paid",
    "written_off": "Written off",
    "void": "Void",
}


def state_label(inv: Invoice | Any) -> str:
    """What happened to the invoice, in words (page, list, public page, PDF): "Issued" once it
    has its number, "Sent" only once the e-mail left over SMTP, "Queued in Outbox" when no
    SMTP is set up; then Partially paid / Paid / Written off / Void from the ledger."""
    if inv.status == "void":
        return "Void"
    if inv.kind == "credit_note" or inv.status == "sent":
        return "Draft" if inv.status == "draft" else DELIVERY_LABEL.get(inv.delivery or "", "Issued")
    return STATE_LABEL.get(inv.status, inv.status)
