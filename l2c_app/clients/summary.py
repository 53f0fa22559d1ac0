"""A client's summary figures per currency: open, overdue, credit, counts.

Never a second computation: an invoice's open amount is `billing.service.open_amount`, the
client's credit `billing.ledger.client_credit_balance`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.billing.ledger import client_credit_balance
from l2c_app.billing.models import Invoice
from l2c_app.billing.service import OPEN_STATUSES, open_amount
from l2c_app.clients.common import default_currency, get_account, payment_of
from l2c_app.contracts.models import Contract
from l2c_app.core.timeutil import org_today
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.pipeline.models import Deal
from l2c_app.projects.models import Project
from l2c_app.quotes.models import Quote


def _issued_invoices(session: Session, account_ids: list[int] | None = None) -> list[Invoice]:
    stmt = select(Invoice).where(Invoice.kind != "credit_note", Invoice.status.in_(OPEN_STATUSES))
    if account_ids is not None:
        stmt = stmt.where(Invoice.account_id.in_(account_ids))
    return list(session.exec(stmt))


def open_by_account(session: Session, today: date, account_ids: list[int] | None = None) -> dict[int, dict]:
    """Per client and currency: open and overdue, from each invoice's `open_amount`."""
    out: dict[int, dict] = {}
    for inv in _issued_invoices(session, account_ids):
        if inv.account_id is None:
            continue
        open_minor = open_amount(session, inv, inv.paid_minor)
        row = out.setdefault(inv.account_id, {}).setdefault(inv.currency, {"open": 0, "overdue": 0})
        row["open"] += open_minor
        if inv.due_date is not None and inv.due_date < today:
            row["overdue"] += open_minor
    return out


def client_summary(session: Session, account_id: int) -> dict[str, Any]:
    """Open balance, overdue and credit per currency, and the counts of the client's documents."""
    acc = get_account(session, account_id)
    today = org_today(session)
    per_cur = open_by_account(session, today, [acc.id]).get(acc.id, {})
    currencies = set(per_cur) | {default_currency(session, acc)}
    currencies |= {
        c for (c,) in session.execute(select(ClientCredit.currency).where(ClientCredit.account_id == acc.id)).all()
    }
    balances = []
    for cur in sorted(currencies):
        row = per_cur.get(cur, {"open": 0, "overdue": 0})
        credit = client_credit_balance(session, acc.id, cur)
        balances.append(
            {"currency": cur, "open_minor": row["open"], "overdue_minor": row["overdue"], "credit_minor": credit}
        )
    deal_ids = _deal_ids(session, acc.id)
    counts = {
        "deals": len(deal_ids),
        "quotes": _count(session, Quote, Quote.deal_id.in_(deal_ids)),
        "contracts": _count(session, Contract, Contract.deal_id.in_(deal_ids)),
        "projects": _count(session, Project, Project.account_id == acc.id),
        "invoices": _count(
            session, Invoice, Invoice.account_id == acc.id, Invoice.kind != "credit_note", Invoice.status != "draft"
        ),
        "credit_notes": _count(session, Invoice, Invoice.account_id == acc.id, Invoice.kind == "credit_note"),
        "payments": _count(session, Payment, payment_of(acc.id), Payment.method != "credit"),
    }
    main = default_currency(session, acc)
    head = next(b for b in balances if b["currency"] == main)
    return {
        "currency": main,
        "open_minor": head["open_minor"],
        "overdue_minor": head["overdue_minor"],
        "credit_minor": head["credit_minor"],
        "balances": balances,
        "counts": counts,
    }


def _count(session: Session, model, *where) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _deal_ids(session: Session, account_id: int) -> list[int]:
    return [int(i) for i in session.execute(select(Deal.id).where(Deal.account_id == account_id)).scalars()]
