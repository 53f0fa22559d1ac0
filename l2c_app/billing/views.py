"""Read models for the billing and payments pages: plain dicts of display strings.

Pages never touch the database; their states call these through `run_db`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.billing import credit_notes, ledger, service
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.unbilled_totals import unbilled_totals
from l2c_app.core import formats
from l2c_app.core.config import get_settings
from l2c_app.core.money import format_money, round_minor, to_major
from l2c_app.core.timeutil import org_today
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.pipeline.models import Account, Deal
from l2c_app.projects.models import Project

STATUS_COLOR = {
    "draft": "gray",
    "sent": "blue",
    "partially_paid": "amber",
    "paid": "green",
    "void": "red",
    "written_off": "violet",
}


def _row(session: Session, inv: Invoice, names: dict[int, str] | None = None) -> dict[str, str]:
    paid = inv.paid_minor
    open_ = service.open_amount(session, inv, paid)
    flags = " ".join(
        f
        for f, on in (
            ("refunded", inv.refunded),
            ("disputed", inv.disputed),
            ("partly credited", inv.credited_minor > 0 and inv.status != "void"),
        )
        if on
    )
    return {
        "id": str(inv.id),
        "number": inv.number or "Draft",
        "kind": inv.kind,
        "status": inv.status,
        "status_label": service.state_label(inv),
        "color": STATUS_COLOR.get(inv.status, "gray"),
        "flags": flags,
        "client": (names or {}).get(inv.account_id or 0, ""),
        "total": format_money(inv.total_minor, inv.currency),
        "paid": format_money(paid, inv.currency),
        "open": format_money(open_, inv.currency),
        "issue_date": formats.day(inv.issue_date) if inv.issue_date else "",
        "due_date": formats.day(inv.due_date) if inv.due_date else "",
        "href": f"/invoices/{inv.id}",
    }


@dataclass
class InvoiceRow:
    """A row of /invoices (typed; the page reads `r["number"]`, which compiles as `r.number` does).
    The fields are `_row`'s keys in its order, so the state's JSON is the dict's."""

    id: str
    number: str
    kind: str
    status: str
    status_label: str
    color: str
    flags: str
    client: str
    total: str
    paid: str
    open: str
    issue_date: str
    due_date: str
    href: str


def _account_names(session: Session) -> dict[int, str]:
    return {a.id: a.name for a in session.exec(select(Account))}


def invoice_list(session: Session, status: str = "") -> list[InvoiceRow]:
    stmt = select(Invoice).order_by(Invoice.id.desc()).limit(300)
    if status:
        stmt = stmt.where(Invoice.status == status)
    names = _account_names(session)
    return [InvoiceRow(**_row(session, inv, names)) for inv in session.exec(stmt)]


def clients_with_projects(session: Session) -> list[dict[str, str]]:
    rows = session.execute(
        sa_select(Account.id, Account.name)
        .join(Project, Project.account_id == Account.id)
        .group_by(Account.id, Account.name)
        .order_by(Account.name)
    ).all()
    return [{"id": str(r.id), "name": r.name} for r in rows]


def client_projects(session: Session, account_id: int, up_to: date) -> list[dict[str, str]]:
    """The client's projects with what each has to bill up to the date (the Invoices page's picker)."""
    out = []
    projects = list(session.exec(select(Project).where(Project.account_id == account_id).order_by(Project.name)))
    # every project at once through unbilled_total's twin-tested set-based path
    totals = unbilled_totals(session, [p.id for p in projects], up_to)
    for p in projects:
        total = totals[p.id]
        out.append(
            {
                "id": str(p.id),
                "name": p.name,
                "unbilled": format_money(total, p.currency),
                "unbilled_minor": str(total),
                "currency": p.currency,
                "has_unbilled": "yes" if total else "",
            }
        )
    return out


def invoice_detail(session: Session, invoice_id: int) -> dict:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        return {}
    cur = inv.currency
    project = session.get(Project, inv.project_id) if inv.project_id else None
    spanned = service.spanned_project_names(session, inv)
    names = _account_names(session)
    data = _row(session, inv, names)
    data.update(
        {
            "subtotal": format_money(inv.subtotal_minor, cur),
            "tax": format_money(service.tax_split(inv)[0], cur),
            "tax_included": format_money(service.tax_split(inv)[1], cur) if service.tax_split(inv)[1] else "",
            "project": project.name if project else "",
            "project_href": f"/projects/{project.id}" if project else "",
            "projects": ", ".join(spanned) if len(spanned) > 1 else "",
            "public_url": f"{get_settings().app_base_url}/i/{inv.public_token}",
            "public_path": f"/i/{inv.public_token}",
            "payment_link_url": inv.payment_link_url or "",
            "notes": inv.notes or "",
            "pdf_url": f"/api/v1/invoices/{inv.id}/pdf",
            "currency": cur,
            "sent_at": inv.sent_at.isoformat(timespec="minutes") if inv.sent_at else "",
        }
    )
    rows = service.lines_of(session, inv.id)
    credited = credit_notes.credited_line_ids(session, inv.id) if inv.kind != "credit_note" else set()
    creditable = inv.number is not None and inv.status != "void" and inv.kind != "credit_note"
    lines = [
        {
            "id": str(ln.id),
            "description": ln.description,
            "quantity": f"{ln.quantity.normalize():f}",
            "unit": ln.unit,
            "unit_price": format_money(ln.unit_price_minor, cur),
            "tax": service.tax_label(ln),
            "amount": format_money(ln.amount_minor, cur),
            "source": ln.source_type or "manual",
            "section": section,
            "credited": "yes" if ln.id in credited else "",
            "can_credit": "yes" if creditable and ln.id not in credited and ln.amount_minor > 0 else "",
        }
        for ln, section in zip(rows, service.line_sections(session, inv, rows), strict=True)
    ]
    pay_ids = list(session.exec(select(Payment.id).where(Payment.invoice_id == inv.id)))
    credit = (
        sum(c.amount_minor for c in session.exec(select(ClientCredit).where(ClientCredit.payment_id.in_(pay_ids))))
        if pay_ids
        else 0
    )
    data["credit"] = format_money(credit, cur) if credit else ""
    open_minor = service.open_amount(session, inv, inv.paid_minor)
    balance = ledger.client_credit_balance(session, inv.account_id, cur)
    data.update(
        {
            # the payment form starts from what is open, typed as a person would type it
            "open_input": f"{to_major(open_minor, cur):f}" if open_minor > 0 else "",
            "open_minor": str(open_minor),
            "credited": format_money(-inv.credited_minor, cur) if inv.credited_minor else "",
            "written_off": format_money(inv.written_off_minor, cur) if inv.written_off_minor else "",
            "write_off_reason": inv.write_off_reason or "",
            "client_credit": format_money(balance, cur) if balance > 0 else "",
            "can_apply_credit": "yes" if balance > 0 and open_minor > 0 and inv.status in service.OPEN_STATUSES else "",
            "can_pay": "yes"
            if inv.status in (*service.OPEN_STATUSES, "paid", "written_off") and inv.kind != "credit_note"
            else "",
            # offered for the remainder once something was paid (the API and service allow any open balance)
            "can_write_off": "yes" if open_minor > 0 and inv.status == "partially_paid" else "",
            "can_credit": "yes" if creditable else "",
        }
    )
    from l2c_app.accounting.sync.engine import in_accounting

    data["in_accounting"] = in_accounting(
        session, "credit_memo" if inv.kind == "credit_note" else "invoice", [inv.id]
    ).get(inv.id, "")
    synced = in_accounting(session, "payment", pay_ids)
    pays = [
        {
            "id": str(p.id),
            "amount": format_money(p.amount_minor, p.currency),
            "method": p.method.replace("_", " "),
            "status": p.status,
            "date": formats.day(p.received_on) if p.received_on else "",
            "reference": p.reference or "",
            "reversal_reason": p.reversal_reason or "",
            # Stripe's fee and net (payments/fees.py), in the balance's currency; blank when unknown
            "fee": format_money(p.fee_minor, p.fee_currency or p.currency) if p.fee_minor is not None else "",
            "net": format_money(p.net_minor, p.fee_currency or p.currency) if p.net_minor is not None else "",
            "can_reverse": "yes" if p.status == "succeeded" and p.method in ledger.REVERSIBLE_METHODS else "",
            "in_accounting": synced.get(p.id, ""),
        }
        for p in session.exec(select(Payment).where(Payment.invoice_id == inv.id).order_by(Payment.id))
    ]
    from l2c_app.billing.printed import page_extras

    return {"invoice": data, "lines": lines, "payments": pays, **page_extras(session, inv)}


def public_invoice(session: Session, token: str) -> dict:
    """What the client sees at /i/<token>: never a draft, nothing beyond this invoice."""
    inv = service.invoice_by_token(session, token)
    if inv is None or inv.status == "draft":
        return {}
    detail = invoice_detail(session, inv.id)
    org_name = ""
    from l2c_app.core.auth import get_organisation

    org = get_organisation(session)
    org_name = org.name if org else ""
    open_minor = service.open_amount(session, inv, inv.paid_minor)
    detail["invoice"].update(
        {
            "org": org_name,
            "pdf_url": f"/i/{token}/pdf",
            "can_pay": "yes" if open_minor > 0 and inv.payment_link_url else "",
            "is_open": "yes" if open_minor > 0 else "",
            "instructions": service.billing_settings(session)["payment_instructions"],
        }
    )
    detail.pop("payments", None)
    from l2c_app.billing.printed import page_extras

    detail.update(page_extras(session, inv, public=True))
    return detail


@dataclass
class PaymentRow:
    """A payment of /payments: the ledger, unmatched and other apps' lists (typed; the page
    reads `p["amount"]`, which compiles as `p.amount` does)."""

    in_accounting: str
    id: str
    amount: str
    method: str
    status: str
    date: str
    reference: str
    reversal_reason: str
    invoice: str
    invoice_href: str
    client: str


def ledger_rows(session: Session) -> dict[str, list]:
    """The Payments page's lists: `payments`, `unmatched`, `unmatched_other` are PaymentRows."""
    names = _account_names(session)
    numbers = {i.id: (i.number or f"Draft {i.id}") for i in session.exec(select(Invoice))}
    rows: list[PaymentRow] = []
    unmatched: list[PaymentRow] = []
    other: list[PaymentRow] = []  # from other apps on a shared Stripe account: behind a filter on the page
    from l2c_app.accounting.sync.engine import in_accounting

    listed = list(session.exec(select(Payment).order_by(Payment.id.desc()).limit(300)))
    synced = in_accounting(session, "payment", [p.id for p in listed])
    for p in listed:
        row = PaymentRow(
            in_accounting=synced.get(p.id, ""),
            id=str(p.id),
            amount=format_money(p.amount_minor, p.currency),
            method=p.method.replace("_", " "),
            status=p.status,
            date=formats.day(p.received_on) if p.received_on else "",
            reference=p.reference or p.stripe_payment_intent_id or "",
            reversal_reason=p.reversal_reason or "",
            invoice=numbers.get(p.invoice_id or 0, ""),
            invoice_href=f"/invoices/{p.invoice_id}" if p.invoice_id else "",
            client=names.get(p.account_id or 0, ""),
        )
        (rows if p.invoice_id is not None else other if p.stripe_foreign else unmatched).append(row)
    open_invoices = [
        {
            "id": str(i.id),
            "label": f"{i.number} · {format_money(service.open_amount(session, i, i.paid_minor), i.currency)} open",
        }
        for i in session.exec(select(Invoice).where(Invoice.status.in_(service.OPEN_STATUSES)).order_by(Invoice.id))
    ]
    return {
        "payments": rows,
        "unmatched": unmatched,
        "unmatched_other": other,
        "open_invoices": open_invoices,
        "credits": client_credit_rows(session, names, numbers),
    }


def client_credit_rows(
    session: Session, names: dict[int, str] | None = None, numbers: dict[int, str] | None = None
) -> list[dict[str, str]]:
    """Overpayments kept as client credit, per client and currency: held, applied, left."""
    names = names if names is not None else _account_names(session)
    numbers = (
        numbers if numbers is not None else {i.id: (i.number or f"Draft {i.id}") for i in session.exec(select(Invoice))}
    )
    sources: dict[tuple, list[str]] = {}
    for c, inv_id in session.execute(
        sa_select(ClientCredit, Payment.invoice_id).join(Payment, Payment.id == ClientCredit.payment_id)
    ).all():
        sources.setdefault((c.account_id, c.currency), []).append(numbers.get(inv_id or 0, ""))
    out = []
    for r in ledger.credit_balances(session):
        cur = r["currency"]
        out.append(
            {
                "client": names.get(r["account_id"] or 0, "No client"),
                "currency": cur,
                "held": format_money(r["held"], cur),
                "applied": format_money(r["applied"], cur),
                "balance": format_money(r["balance"], cur),
                "from": ", ".join(sorted(n for n in sources.get((r["account_id"], cur), []) if n)),
            }
        )
    return out


def project_panel_data(session: Session, project_id: int) -> dict:
    project = session.get(Project, project_id)
    if project is None:
        return {"unbilled": "", "invoices": []}
    total = service.unbilled_total(session, project_id, org_today(session))
    names = _account_names(session)
    invs = [
        _row(session, inv, names)
        for inv in session.exec(select(Invoice).where(service.bills_project(project_id)).order_by(Invoice.id.desc()))
    ]
    return {"unbilled": format_money(total, project.currency), "invoices": invs}


def deal_panel_data(session: Session, deal_id: int) -> dict:
    """The deal's invoices and money, formatted for the deal page (figures: `deal_money`)."""
    money = deal_money(session, deal_id)
    if money is None:
        return {"invoiced": "", "collected": "", "open": "", "invoices": []}
    cur = money["currency"]
    names = _account_names(session)
    return {
        "invoiced": format_money(money["invoiced_minor"], cur),
        "collected": format_money(money["collected_minor"], cur),
        "open": format_money(money["open_minor"], cur),
        "invoices": [_row(session, i, names) for i in money["rows"]],
    }


def deal_money(session: Session, deal_id: int) -> dict | None:
    """The deal's invoiced, collected and open money in minor units (the deal page and the
    API's deal summary). An invoice spanning projects of several deals (deal_id
    NULL) is listed on each, and counts on each for the part its lines bill for that deal's
    projects (collected and open pro rata to that part, rounded once)."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        return None
    deal_projects = sa_select(Project.id).where(Project.deal_id == deal_id)
    spans = exists().where(InvoiceLine.invoice_id == Invoice.id, InvoiceLine.project_id.in_(deal_projects))
    mine = or_(Invoice.deal_id == deal_id, and_(Invoice.deal_id.is_(None), spans))
    invs = list(
        session.exec(
            select(Invoice)
            .where(mine, Invoice.status != "void", Invoice.kind != "credit_note")
            .order_by(Invoice.id.desc())
        )
    )
    shared = list(session.exec(select(Invoice).where(Invoice.deal_id.is_(None), spans)))  # void ones too
    parts = _deal_parts(session, [i.id for i in shared], deal_projects)
    cur = invs[0].currency if invs else deal.currency

    def share(inv: Invoice, amount: int) -> int:
        if inv.deal_id is not None or not inv.total_minor:
            return amount
        return round_minor(Decimal(amount) * Decimal(parts.get(inv.id, 0)) / Decimal(inv.total_minor))

    issued = [i for i in invs if i.status != "draft"]
    invoiced = sum(share(i, i.total_minor) for i in issued)
    collected = int(
        session.execute(
            sa_select(func.coalesce(func.sum(Invoice.paid_minor), 0)).where(Invoice.deal_id == deal_id)
        ).scalar_one()
    )
    collected += sum(share(i, i.paid_minor) for i in shared)
    open_total = sum(share(i, service.open_amount(session, i)) for i in issued)
    return {
        "currency": cur,
        "invoiced_minor": invoiced,
        "collected_minor": collected,
        "open_minor": open_total,
        "rows": invs,
    }


def _deal_parts(session: Session, invoice_ids: list[int], deal_projects) -> dict[int, int]:
    """Per invoice, what its lines bill for the deal's projects (amounts plus exclusive tax)."""
    if not invoice_ids:
        return {}
    exclusive = case((InvoiceLine.tax_inclusive.is_(False), InvoiceLine.tax_minor), else_=0)
    return {
        int(i): int(v)
        for i, v in session.execute(
            sa_select(InvoiceLine.invoice_id, func.sum(InvoiceLine.amount_minor + exclusive))
            .where(InvoiceLine.invoice_id.in_(invoice_ids), InvoiceLine.project_id.in_(deal_projects))
            .group_by(InvoiceLine.invoice_id)
        )
    }
