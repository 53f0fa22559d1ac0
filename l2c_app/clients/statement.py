"""The statement of account of one client for a date range, in one currency.

Movements (what the client owes goes up with a debit, down with a credit):
- an issued invoice or deposit invoice: debit of its total, on its issue date;
- a credit note (full or partial): credit of its amount, on its issue date;
- an invoice voided without a credit note: credit of what no credit note covers, on the void date;
- a payment that reached the ledger (succeeded, or later reversed): credit, on the day received;
  its reversal: debit, on the day reversed;
- a refund that counts (`REFUND_LIVE`): debit, on the day made;
- money a dispute withdrew: debit, on the day the dispute opened;
- a write-off: credit, on the day written off.
Client credit applied to another invoice (payment method "credit") moves money between two
invoices of the same client, not between the client and us: it is not a movement.

opening = the sum of every movement before `start`; closing = opening + movements in the range.
Up to today, closing = the open balance of the invoices - the client's credit (a test holds
the statement to the ledger's figures). The aged balance ages what is open on each invoice
(`billing.service.open_amount`) by days past its due date at `end`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from l2c_app.billing.credit_notes import credited_total
from l2c_app.billing.models import Invoice
from l2c_app.billing.service import OPEN_STATUSES, open_amount
from l2c_app.clients.service import default_currency, get_account
from l2c_app.core import formats
from l2c_app.core.errors import DomainError
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import org_today
from l2c_app.payments.models import REFUND_LIVE, Dispute, Payment, Refund

AGE_BUCKETS = (
    ("current", "Not yet due"),
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("over_90", "Over 90 days"),
)
MAX_DAYS = 3660


@dataclass
class Movement:
    day: date
    kind: str  # invoice, credit_note, void, payment, reversal, refund, dispute, write_off
    reference: str
    debit_minor: int = 0
    credit_minor: int = 0

    @property
    def amount(self) -> int:
        return self.debit_minor - self.credit_minor


def _d(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def movements(session: Session, account_id: int, currency: str) -> list[Movement]:
    """Every movement of the client in `currency`, in date order."""
    out: list[Movement] = []
    invoices = list(
        session.exec(
            select(Invoice).where(
                Invoice.account_id == account_id, Invoice.currency == currency, Invoice.number.is_not(None)
            )
        )
    )
    numbers = {i.id: i.number for i in invoices}
    for inv in invoices:
        day = _d(inv.issue_date) or _d(inv.created_at)
        if inv.kind == "credit_note":
            out.append(Movement(day, "credit_note", inv.number, credit_minor=-inv.total_minor))
            continue
        out.append(Movement(day, "invoice", inv.number, debit_minor=inv.total_minor))
        if inv.status == "void":
            uncovered = inv.total_minor - credited_total(session, inv.id)
            if uncovered:
                out.append(Movement(_d(inv.voided_at) or day, "void", f"{inv.number} voided", credit_minor=uncovered))
        if inv.written_off_minor:
            out.append(
                Movement(
                    _d(inv.written_off_at) or day,
                    "write_off",
                    f"{inv.number} written off",
                    credit_minor=inv.written_off_minor,
                )
            )
    if numbers:
        pays = list(
            session.exec(
                select(Payment).where(
                    Payment.invoice_id.in_(list(numbers)),
                    Payment.method != "credit",
                    Payment.status.in_(("succeeded", "reversed")),
                )
            )
        )
        for p in pays:
            ref = f"{numbers[p.invoice_id]} ({p.method.replace('_', ' ')}" + (
                f", {p.reference})" if p.reference else ")"
            )
            day = _d(p.received_on) or _d(p.created_at)
            out.append(Movement(day, "payment", ref, credit_minor=p.amount_minor))
            if p.status == "reversed":
                out.append(
                    Movement(_d(p.reversed_at) or day, "reversal", f"Reversed: {ref}", debit_minor=p.amount_minor)
                )
        by_id = {p.id: p for p in pays}
        if by_id:
            for r in session.exec(
                select(Refund).where(Refund.payment_id.in_(list(by_id)), Refund.status.in_(REFUND_LIVE))
            ):
                out.append(
                    Movement(
                        _d(r.created_at),
                        "refund",
                        f"Refund on {numbers[by_id[r.payment_id].invoice_id]}",
                        debit_minor=r.amount_minor,
                    )
                )
            for dsp in session.exec(
                select(Dispute).where(Dispute.payment_id.in_(list(by_id)), Dispute.withdrawn_minor > 0)
            ):
                out.append(
                    Movement(
                        _d(dsp.created_at),
                        "dispute",
                        f"Disputed on {numbers[by_id[dsp.payment_id].invoice_id]}",
                        debit_minor=dsp.withdrawn_minor,
                    )
                )
    order = {
        "invoice": 0,
        "credit_note": 1,
        "void": 2,
        "payment": 3,
        "reversal": 4,
        "refund": 5,
        "dispute": 6,
        "write_off": 7,
    }
    out.sort(key=lambda m: (m.day, order[m.kind], m.reference))
    return out


def aged_balance(session: Session, account_id: int, currency: str, at: date) -> dict[str, int]:
    """What is open on each issued invoice, by days past due at `at`."""
    buckets = {key: 0 for key, _ in AGE_BUCKETS}
    for inv in session.exec(
        select(Invoice).where(
            Invoice.account_id == account_id,
            Invoice.currency == currency,
            Invoice.kind != "credit_note",
            Invoice.status.in_(OPEN_STATUSES),
        )
    ):
        open_minor = open_amount(session, inv, inv.paid_minor)
        if open_minor <= 0:
            continue
        late = (at - inv.due_date).days if inv.due_date else 0
        key = (
            "current"
            if late <= 0
            else "1_30"
            if late <= 30
            else "31_60"
            if late <= 60
            else "61_90"
            if late <= 90
            else "over_90"
        )
        buckets[key] += open_minor
    return buckets


def statement(
    session: Session, account_id: int, start: date | None = None, end: date | None = None, currency: str | None = None
) -> dict:
    """The statement: opening, the movements in [start, end], closing, the aged balance.

    Default range: the first day of the month three months ago to today."""
    acc = get_account(session, account_id)
    today = org_today(session)
    end = end or today
    start = start or date(end.year - (1 if end.month <= 3 else 0), (end.month - 4) % 12 + 1, 1)
    if start > end:
        raise DomainError("The start date is after the end date.", "start")
    if (end - start).days > MAX_DAYS:
        raise DomainError("A statement covers at most ten years.", "start")
    currency = (currency or default_currency(session, acc)).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError("Use an ISO currency code like EUR.", "currency")
    every = movements(session, acc.id, currency)
    opening = sum(m.amount for m in every if m.day < start)
    running, lines = opening, []
    for m in every:
        if start <= m.day <= end:
            running += m.amount
            lines.append(
                {
                    "date": m.day.isoformat(),
                    "kind": m.kind,
                    "reference": m.reference,
                    "debit_minor": m.debit_minor,
                    "credit_minor": m.credit_minor,
                    "balance_minor": running,
                }
            )
    totals = {
        k: sum(m.debit_minor + m.credit_minor for m in every if start <= m.day <= end and m.kind in kinds)
        for k, kinds in (
            ("invoiced_minor", ("invoice",)),
            ("credited_minor", ("credit_note", "void")),
            ("paid_minor", ("payment",)),
            ("refunded_minor", ("refund", "reversal", "dispute")),
            ("written_off_minor", ("write_off",)),
        )
    }
    return {
        "client_id": acc.id,
        "client": acc.name,
        "address": acc.address or "",
        "currency": currency,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opening_minor": opening,
        "lines": lines,
        **totals,
        "closing_minor": running,
        "aged": aged_balance(session, acc.id, currency, end),
        "as_of": today.isoformat(),
    }


def formatted(st: dict) -> dict:
    """The statement's figures as text (screen and PDF)."""
    cur = st["currency"]

    def f(v: int) -> str:
        return format_money(v, cur) if v else ""

    def d(iso: str) -> str:  # the statement's data keeps ISO (API); people read the locale's date
        return formats.day(date.fromisoformat(iso)) if iso else ""

    return {
        **st,
        "opening": format_money(st["opening_minor"], cur),
        "closing": format_money(st["closing_minor"], cur),
        "start_text": d(st["start"]),
        "end_text": d(st["end"]),
        "as_of_text": d(st["as_of"]),
        "rows": [
            {
                **ln,
                "date": d(ln["date"]),
                "debit": f(ln["debit_minor"]),
                "credit": f(ln["credit_minor"]),
                "balance": format_money(ln["balance_minor"], cur),
            }
            for ln in st["lines"]
        ],
        "aged_rows": [{"label": label, "amount": format_money(st["aged"][key], cur)} for key, label in AGE_BUCKETS],
        "totals_rows": [
            {"label": label, "amount": format_money(st[key], cur)}
            for key, label in (
                ("invoiced_minor", "Invoiced"),
                ("credited_minor", "Credit notes"),
                ("paid_minor", "Payments"),
                ("refunded_minor", "Refunds"),
            )
        ],
    }
