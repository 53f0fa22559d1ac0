"""The client record: the list of clients, one client's page (details, contacts, every
document with its status and amounts, one timeline) and its summary figures.

Money figures are never computed here a second time: an invoice's open amount is
`billing.service.open_amount` (what the invoice list shows, from the ledger's `paid_minor`),
the client's credit is `billing.ledger.client_credit_balance`. Figures are per currency (a
client may be billed in two); the "headline" currency is the client's default currency,
else the organisation's.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from l2c_app.billing.ledger import client_credit_balance
from l2c_app.billing.models import Invoice
from l2c_app.billing.service import OPEN_STATUSES, TERMS, open_amount
from l2c_app.contracts.models import Contract
from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.models import User
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.pipeline.accounts import update_account_details
from l2c_app.pipeline.models import Account, Activity, Contact, Deal
from l2c_app.projects.models import ChangeOrder, Project
from l2c_app.quotes.models import Quote
from l2c_app.quotes.service import quote_label

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SORTS = ("name", "newest", "open_balance")


def get_account(session: Session, account_id: int) -> Account:
    acc = session.get(Account, account_id) if account_id else None
    if acc is None:
        raise NotFound("No such client.", "client_id")
    return acc


def default_currency(session: Session, acc: Account) -> str:
    if acc.currency:
        return acc.currency
    org = get_organisation(session)
    return org.currency if org else "EUR"


# --- the summary ---------------------------------------------------------------------------


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
        "payments": _count(session, Payment, _payment_of(acc.id), Payment.method != "credit"),
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


def _payment_of(account_id: int):
    """A payment of the client: on one of its invoices, or recorded against it unmatched."""
    return or_(
        Payment.invoice_id.in_(select(Invoice.id).where(Invoice.account_id == account_id)),
        (Payment.invoice_id.is_(None)) & (Payment.account_id == account_id),
    )


# --- the list ------------------------------------------------------------------------------


def list_clients(
    session: Session,
    *,
    q: str = "",
    has_open_balance: bool = False,
    has_active_project: bool = False,
    owner_id: int | None = None,
    sort: str = "name",
) -> list[dict[str, Any]]:
    """Clients matching the search (name, domain, a contact's name or e-mail) and the filters."""
    if sort not in SORTS:
        raise DomainError(f"Sort by one of {', '.join(SORTS)}.", "sort")
    stmt = select(Account)
    q = (q or "").strip().lower()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(
                func.lower(Account.name).like(like),
                func.lower(Account.domain).like(like),
                Account.id.in_(
                    select(Contact.account_id).where(
                        or_(func.lower(Contact.name).like(like), func.lower(Contact.email).like(like))
                    )
                ),
            )
        )
    if owner_id:
        stmt = stmt.where(Account.owner_id == owner_id)
    if has_active_project:
        stmt = stmt.where(Account.id.in_(select(Project.account_id).where(Project.status == "active")))
    accounts = list(session.exec(stmt))
    today = org_today(session)
    opens = open_by_account(session, today, [a.id for a in accounts]) if accounts else {}
    owners = {u.id: u.name for u in session.exec(select(User))}
    active = {
        int(i)
        for i in session.execute(
            select(Project.account_id).where(Project.status == "active", Project.account_id.is_not(None))
        ).scalars()
    }
    rows = []
    for a in accounts:
        cur = default_currency(session, a)
        per = opens.get(a.id, {})
        open_minor = sum(v["open"] for v in per.values())
        if has_open_balance and open_minor <= 0:
            continue
        mine = per.get(cur, {"open": 0, "overdue": 0})
        others = {c: v for c, v in per.items() if c != cur and v["open"]}
        rows.append(
            {
                "id": a.id,
                "name": a.name,
                "domain": a.domain or "",
                "owner_id": a.owner_id,
                "owner": owners.get(a.owner_id, "") if a.owner_id else "",
                "currency": cur,
                "open_minor": mine["open"],
                "overdue_minor": mine["overdue"],
                "open_other": {c: v["open"] for c, v in others.items()},
                "has_active_project": a.id in active,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }
        )
    if sort == "name":
        rows.sort(key=lambda r: (r["name"].lower(), r["id"]))
    elif sort == "newest":
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    else:
        rows.sort(key=lambda r: (-r["open_minor"], r["name"].lower()))
    return rows


def clients_csv(session: Session, **filters) -> str:
    """The list as CSV; every text cell through `core.csvsafe.safe_cell` (CSV injection)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "name", "domain", "owner", "currency", "open_balance", "overdue", "active_project"])
    for r in list_clients(session, **filters):
        w.writerow(
            [
                r["id"],
                safe_cell(r["name"]),
                safe_cell(r["domain"]),
                safe_cell(r["owner"]),
                r["currency"],
                _decimal(r["open_minor"]),
                _decimal(r["overdue_minor"]),
                "yes" if r["has_active_project"] else "no",
            ]
        )
    return buf.getvalue()


def _decimal(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


# --- details -------------------------------------------------------------------------------


def client_details(session: Session, account_id: int) -> dict[str, Any]:
    a = get_account(session, account_id)
    return {
        "id": a.id,
        "name": a.name,
        "domain": a.domain or "",
        "phone": a.phone or "",
        "address": a.address or "",
        "tax_id": a.tax_id or "",
        "billing_email": a.billing_email or "",
        "payment_terms": a.payment_terms or "",
        "currency": a.currency or "",
        "owner_id": a.owner_id,
    }


def update_client(session: Session, actor: Actor, account_id: int, values: dict[str, Any]) -> Account:
    """Change the fields given (name, address and tax id keep their rules in pipeline.accounts)."""
    allowed = {"name", "address", "tax_id", "domain", "phone", "billing_email", "payment_terms", "currency", "owner_id"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise DomainError("Not a field of a client.", unknown[0])
    acc = get_account(session, account_id)
    base = {k: values[k] for k in ("name", "address", "tax_id") if k in values}
    if base:
        update_account_details(session, actor, acc.id, **{k: ("" if v is None else str(v)) for k, v in base.items()})
    rest = {k: values[k] for k in values if k not in base}
    if not rest:
        return acc
    before = snapshot(acc)
    if "domain" in rest:
        d = (rest["domain"] or "").strip().lower()
        if d and (len(d) > 255 or " " in d or "." not in d):
            raise DomainError("A domain looks like example.com.", "domain")
        acc.domain = d or None
    if "phone" in rest:
        p = (rest["phone"] or "").strip()
        if len(p) > 50:
            raise DomainError("At most 50 characters.", "phone")
        acc.phone = p or None
    if "billing_email" in rest:
        e = (rest["billing_email"] or "").strip().lower()
        if e and not _EMAIL_RE.match(e):
            raise DomainError("Enter an e-mail address like billing@example.com.", "billing_email")
        acc.billing_email = e or None
    if "payment_terms" in rest:
        t = (rest["payment_terms"] or "").strip()
        if t and t not in TERMS:
            raise DomainError(f"Payment terms are one of {', '.join(TERMS)}.", "payment_terms")
        acc.payment_terms = t or None
    if "currency" in rest:
        c = (rest["currency"] or "").strip().upper()
        if c and (len(c) != 3 or not c.isalpha()):
            raise DomainError("Use an ISO currency code like EUR.", "currency")
        acc.currency = c or None
    if "owner_id" in rest:
        oid = rest["owner_id"]
        if oid in (None, "", 0):
            acc.owner_id = None
        else:
            try:
                oid = int(oid)
            except (TypeError, ValueError):
                raise DomainError("Choose a team member.", "owner_id") from None
            if session.get(User, oid) is None:
                raise DomainError("No such team member.", "owner_id")
            acc.owner_id = oid
    session.add(acc)
    record_update(session, actor, acc, before)
    return acc


def create_client(session: Session, actor: Actor, name: str, **values) -> Account:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Enter the client's name.", "name")
    acc = Account(name=name[:200], owner_id=actor.user_id)
    session.add(acc)
    session.flush()
    record_create(session, actor, acc)
    if values:
        update_client(session, actor, acc.id, values)
    return acc


# --- contacts ------------------------------------------------------------------------------


def contact_json(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "client_id": c.account_id,
        "name": c.name,
        "email": c.email or "",
        "phone": c.phone or "",
        "title": c.title or "",
        "is_primary": bool(c.is_primary),
        "is_billing": bool(c.is_billing),
        "archived": c.archived_at is not None,
    }


def list_contacts(session: Session, account_id: int, include_archived: bool = False) -> list[Contact]:
    get_account(session, account_id)
    stmt = select(Contact).where(Contact.account_id == account_id)
    if not include_archived:
        stmt = stmt.where(Contact.archived_at.is_(None))
    return list(session.exec(stmt.order_by(Contact.is_primary.desc(), Contact.name, Contact.id)))


def _contact_fields(c: Contact, values: dict[str, Any]) -> None:
    if "name" in values:
        name = " ".join((values["name"] or "").split())
        if not name:
            raise DomainError("Enter the contact's name.", "name")
        if len(name) > 200:
            raise DomainError("At most 200 characters.", "name")
        c.name = name
    if "email" in values:
        e = (values["email"] or "").strip().lower()
        if e and not _EMAIL_RE.match(e):
            raise DomainError("Enter an e-mail address like ana@example.com.", "email")
        c.email = e or None
    for key, limit in (("phone", 50), ("title", 100)):
        if key in values:
            v = (values[key] or "").strip()
            if len(v) > limit:
                raise DomainError(f"At most {limit} characters.", key)
            setattr(c, key, v or None)


def _only_one(session: Session, c: Contact, flag: str) -> None:
    """Primary and billing contact: one each per client."""
    for other in session.exec(
        select(Contact).where(Contact.account_id == c.account_id, Contact.id != c.id, getattr(Contact, flag).is_(True))
    ):
        setattr(other, flag, False)
        session.add(other)


def add_contact(session: Session, actor: Actor, account_id: int, values: dict[str, Any]) -> Contact:
    get_account(session, account_id)
    unknown = sorted(set(values) - {"name", "email", "phone", "title", "is_primary", "is_billing"})
    if unknown:
        raise DomainError("Not a field of a contact.", unknown[0])
    c = Contact(account_id=account_id, name="")
    _contact_fields(
        c, {"name": values.get("name", ""), **{k: values[k] for k in ("email", "phone", "title") if k in values}}
    )
    first = not list_contacts(session, account_id)
    c.is_primary = bool(values.get("is_primary")) or first
    c.is_billing = bool(values.get("is_billing"))
    session.add(c)
    session.flush()
    for flag in ("is_primary", "is_billing"):
        if getattr(c, flag):
            _only_one(session, c, flag)
    record_create(session, actor, c)
    return c


def _client_contact(session: Session, account_id: int, contact_id: int) -> Contact:
    c = session.get(Contact, contact_id) if contact_id else None
    if c is None or c.account_id != account_id:
        raise NotFound("No such contact of this client.", "contact_id")
    return c


def update_contact(session: Session, actor: Actor, account_id: int, contact_id: int, values: dict[str, Any]) -> Contact:
    """Edit fields; `is_primary` / `is_billing` True makes it THE one; `archived` True hides it."""
    unknown = sorted(set(values) - {"name", "email", "phone", "title", "is_primary", "is_billing", "archived"})
    if unknown:
        raise DomainError("Not a field of a contact.", unknown[0])
    c = _client_contact(session, account_id, contact_id)
    before = snapshot(c)
    _contact_fields(c, values)
    for flag in ("is_primary", "is_billing"):
        if flag in values:
            setattr(c, flag, bool(values[flag]))
            if values[flag]:
                _only_one(session, c, flag)
    if "archived" in values:
        c.archived_at = (c.archived_at or utcnow()) if values["archived"] else None
        if c.archived_at is not None:
            c.is_primary = c.is_billing = False
    session.add(c)
    record_update(session, actor, c, before)
    return c


# --- the page: every document, one timeline -------------------------------------------------


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
    payments = list(session.exec(select(Payment).where(_payment_of(acc.id)).order_by(Payment.id.desc())))
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


def client_timeline(session: Session, account_id: int, limit: int = 200) -> list[dict[str, str]]:
    """One timeline across every stage: the deal events each stage records through
    `pipeline.timeline.add_deal_event` (quote sent, contract signed, invoice paid ...), newest first."""
    acc = get_account(session, account_id)
    deals = {d.id: d.title for d in session.exec(select(Deal).where(Deal.account_id == acc.id))}
    if not deals:
        return []
    rows = session.exec(
        select(Activity)
        .where(Activity.deal_id.in_(list(deals)))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    org = get_organisation(session)
    tz = (org.timezone if org else None) or "UTC"
    return [
        {
            "id": str(a.id),
            "when": formats.moment(a.done_at or a.created_at, tz),
            "kind": a.kind,
            "subject": a.subject,
            "deal": deals.get(a.deal_id, ""),
            "href": f"/deals/{a.deal_id}",
        }
        for a in rows
    ]
