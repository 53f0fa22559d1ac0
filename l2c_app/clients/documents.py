"""Every document of a client with its status and amounts (deals, quotes, contracts, projects,
change orders, invoices, credit notes, payments, credit), as display rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from l2c_app.billing.models import Invoice
from l2c_app.billing.service import open_amount
from l2c_app.clients.common import get_account, payment_of
from l2c_app.contracts.models import Contract
from l2c_app.core import formats
from l2c_app.core.money import format_money
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.pipeline.models import Deal
from l2c_app.projects.models import ChangeOrder, Project
from l2c_app.quotes.models import Quote
from l2c_app.quotes.service import quote_label


def _money(minor: int, cur: str) -> str:
    return format_money(int(minor or 0), cur)


def _day(d: date | datetime | None) -> str:
    return formats.day(d) if d else ""


def client_documents(session: Session, account_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every deal, quote, contract, project, change order, invoice, credit note, payment and
    credit of the client, newest first, each with its status, amount and page."""
    acc = get_account(session, account_id)
    deals = list(session.exec(select(Deal).where(Deal.account_id == acc.id).order_by(Deal.id.desc())))
    deal_ids = [d.id for d in deals]
    quotes = list(session.exec(select(Quote).where(Quote.deal_id.in_(deal_ids)).order_by(Quote.id.desc())))
    contracts = list(session.exec(select(Contract).where(Contract.deal_id.in_(deal_ids)).order_by(Contract.id.desc())))
    projects = list(session.exec(select(Project).where(Project.account_id == acc.id).order_by(Project.id.desc())))
    pnames = {p.id: p.name for p in projects}
    cos = list(
        session.exec(
            select(ChangeOrder).where(ChangeOrder.project_id.in_(list(pnames))).order_by(ChangeOrder.id.desc())
        )
    )
    invoices = list(session.exec(select(Invoice).where(Invoice.account_id == acc.id).order_by(Invoice.id.desc())))
    payments = list(session.exec(select(Payment).where(payment_of(acc.id)).order_by(Payment.id.desc())))
    numbers = {i.id: i.number or f"Draft #{i.id}" for i in invoices}
    credits = list(
        session.exec(select(ClientCredit).where(ClientCredit.account_id == acc.id).order_by(ClientCredit.id.desc()))
    )
    return {
        "deals": [
            {
                "id": d.id,
                "label": d.title,
                "status": d.status,
                "amount": _money(d.value_minor, d.currency),
                "date": _day(d.created_at),
                "href": f"/deals/{d.id}",
            }
            for d in deals
        ],
        "quotes": [
            {
                "id": q.id,
                "label": f"{quote_label(q)} {q.title}",
                "status": q.status,
                "amount": _money(q.total_minor, q.currency),
                "date": _day(q.sent_at or q.created_at),
                "href": f"/quotes/{q.id}",
            }
            for q in quotes
        ],
        "contracts": [
            {
                "id": c.id,
                "label": f"C-{c.id} {c.title}",
                "status": c.status,
                "amount": "",
                "date": _day(c.completed_at or c.sent_at or c.created_at),
                "href": f"/contracts/{c.id}",
            }
            for c in contracts
        ],
        "projects": [
            {"id": p.id, "label": p.name, "status": p.status, "amount": "", "date": "", "href": f"/projects/{p.id}"}
            for p in projects
        ],
        "change_orders": [
            {
                "id": c.id,
                "label": f"CO-{c.number} {pnames.get(c.project_id, '')}",
                "status": c.status,
                "amount": _money(c.amount_minor, _project_currency(projects, c.project_id)),
                "date": _day(c.approved_at or c.created_at),
                "href": f"/projects/{c.project_id}",
            }
            for c in cos
        ],
        "invoices": [
            {
                "id": i.id,
                "label": numbers[i.id],
                "status": i.status,
                "amount": _money(i.total_minor, i.currency),
                "open": _money(open_amount(session, i, i.paid_minor), i.currency),
                "date": _day(i.issue_date),
                "due": _day(i.due_date),
                "href": f"/invoices/{i.id}",
            }
            for i in invoices
            if i.kind != "credit_note"
        ],
        "credit_notes": [
            {
                "id": i.id,
                "label": numbers[i.id],
                "status": i.status,
                "amount": _money(-i.total_minor, i.currency),
                "date": _day(i.issue_date),
                "for": numbers.get(i.credit_for_invoice_id, ""),
                "href": f"/invoices/{i.id}",
            }
            for i in invoices
            if i.kind == "credit_note"
        ],
        "payments": [
            {
                "id": p.id,
                "label": (numbers.get(p.invoice_id) or "Unmatched"),
                "status": p.status,
                "method": p.method,
                "amount": _money(p.amount_minor, p.currency),
                "date": _day(p.received_on or p.created_at),
                "href": "/payments",
            }
            for p in payments
        ],
        "credits": [
            {
                "id": c.id,
                "label": c.note or "Overpayment kept as credit",
                "status": "held",
                "amount": _money(c.amount_minor, c.currency),
                "date": _day(c.created_at),
                "href": "/payments",
            }
            for c in credits
        ],
    }


def _project_currency(projects: list[Project], project_id: int) -> str:
    return next((p.currency for p in projects if p.id == project_id), "EUR")
