"""The client portal: one contact of one client sees that client's documents in one place.

Threat model (the portal faces the internet; every caller is untrusted):
- The credential is a magic link: 32 random bytes (`secrets.token_urlsafe`), valid 30 days, for
  ONE contact of ONE client, revocable from the client page. Only its SHA-256 is stored, so a
  copy of the database opens nothing. Opening the link puts the token in an HttpOnly,
  SameSite=Lax cookie whose Path is `/portal` (the rest of the app never receives it; the
  team's session cookie is a different one), and the browser is sent on to `/portal/`, so
  the token leaves the address bar and the history. Every request re-checks the link
  (revoked, expired, contact archived or moved to another client -> signed out).
- Isolation: every portal route takes the client from the link, never from the request. A
  document id of another client (or a draft, or a superseded version) is a 404, the same
  answer as an id that does not exist, so ids cannot be probed (tests/clients/test_portal.py
  tries every route with another client's ids and tokens).
- Nothing internal: the portal shows documents the client was sent (never drafts), their
  number, title, status, amounts and dates; never notes, activities, costs, margins, time
  entries, the team or other contacts' details.
- Actions reuse the public token pages that already guard them (`/q/{token}` accept/decline,
  `/co/{token}` approve, `/i/{token}` pay with Stripe or bank details, `/sign/{token}`): the
  portal only checks ownership and forwards. A contract has no stored raw token (signer links
  are hashed), so "Sign" issues a fresh signing token for the contact's own signer row
  (POST, so a link preview cannot do it) which replaces the e-mailed one.
- Requesting a link: the answer is the same text and status whether the address is known or
  not; each request is logged (ip, SHA-256 of the address) and limited per address and per
  IP in the database, so the limit holds across workers. Caveat: with SMTP configured the
  known address costs one SMTP round trip more (a timing difference); the Outbox-only setup
  has none worth measuring.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.billing.models import Invoice
from l2c_app.billing.service import open_amount
from l2c_app.clients.models import PortalLink, PortalRequest
from l2c_app.clients.service import client_summary, get_account
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_action, record_create
from l2c_app.core.auth import get_organisation, sha256_hex
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import utcnow
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.projects.models import ChangeOrder, Project
from l2c_app.projects.service import change_order_total
from l2c_app.quotes.models import Quote
from l2c_app.quotes.service import quote_label

LINK_DAYS = 30
COOKIE = "l2c_portal"
COOKIE_PATH = "/portal"
PER_EMAIL_PER_HOUR = 3
PER_IP_PER_HOUR = 10
QUOTE_SHOWN = ("sent", "accepted", "declined", "expired")
CONTRACT_SHOWN = ("sent", "delivered", "completed", "declined")
CO_SHOWN = ("sent", "approved", "declined")


def _as_utc(dt):
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def portal_url(token: str) -> str:
    return f"{get_settings().app_base_url}/portal/enter/{token}"


# --- links ----------------------------------------------------------------------------------


def _contact_of(session: Session, account_id: int, contact_id: int) -> Contact:
    c = session.get(Contact, contact_id) if contact_id else None
    if c is None or c.account_id != account_id or c.archived_at is not None:
        raise NotFound("No such contact of this client.", "contact_id")
    if not c.email:
        raise DomainError("Add the contact's e-mail address first: the link is sent there.", "email")
    return c


def create_link(session: Session, actor: Actor, account_id: int, contact_id: int) -> tuple[PortalLink, str]:
    get_account(session, account_id)
    c = _contact_of(session, account_id, contact_id)
    token = secrets.token_urlsafe(32)
    link = PortalLink(
        account_id=account_id,
        contact_id=c.id,
        token_hash=sha256_hex(token),
        expires_at=utcnow() + timedelta(days=LINK_DAYS),
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    record_create(session, actor, link)
    return link, token


def _mail_link(session: Session, contact: Contact, account: Account, token: str, expires) -> None:
    from l2c_app.ports.mailer import send_mail

    org = get_organisation(session)
    sender = org.name if org else "l2c"
    url = portal_url(token)
    send_mail(
        session,
        to=contact.email,
        subject=f"{sender}: all your documents in one place",
        body=(
            f"Hello {contact.name},\n\nThis link opens {account.name}'s documents with {sender}: quotes, "
            f"contracts, change orders, invoices, payments and your statement. It is personal and works "
            f"until {formats.day(expires)}.\n\n{url}\n"
        ),
        link=url,
        related=("portal", account.id),
    )


def send_link(session: Session, actor: Actor, account_id: int, contact_id: int) -> PortalLink:
    """A new link for the contact, e-mailed (kept in the Outbox without SMTP)."""
    link, token = create_link(session, actor, account_id, contact_id)
    _mail_link(session, session.get(Contact, link.contact_id), session.get(Account, account_id), token, link.expires_at)
    return link


def revoke_link(session: Session, actor: Actor, account_id: int, link_id: int) -> PortalLink:
    link = session.get(PortalLink, link_id) if link_id else None
    if link is None or link.account_id != account_id:
        raise NotFound("No such portal link of this client.", "link_id")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.add(link)
        record_action(session, actor, "portallink", link.id, "revoke", {"contact_id": link.contact_id})
    return link


def links_of(session: Session, account_id: int) -> list[dict[str, str]]:
    now = utcnow()
    rows = session.exec(
        select(PortalLink, Contact)
        .join(Contact, Contact.id == PortalLink.contact_id)
        .where(PortalLink.account_id == account_id)
        .order_by(PortalLink.id.desc())
        .limit(50)
    )
    org = get_organisation(session)
    tz = (org.timezone if org else None) or "UTC"
    out = []
    for link, c in rows:
        state = "revoked" if link.revoked_at else "expired" if _as_utc(link.expires_at) <= now else "active"
        out.append(
            {
                "id": str(link.id),
                "contact": c.name,
                "email": c.email or "",
                "status": state,
                "expires": formats.day(link.expires_at),
                "last_used": formats.moment(link.last_used_at, tz) if link.last_used_at else "never",
            }
        )
    return out


def resolve(session: Session, token: str | None) -> PortalLink | None:
    """The live link of a token, or None (unknown, revoked, expired, contact archived or moved)."""
    if not token or len(token) > 200 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    link = session.exec(select(PortalLink).where(PortalLink.token_hash == sha256_hex(token))).first()
    if link is None or link.revoked_at is not None or _as_utc(link.expires_at) <= utcnow():
        return None
    c = session.get(Contact, link.contact_id)
    if c is None or c.archived_at is not None or c.account_id != link.account_id:
        return None
    return link


def touch(session: Session, link: PortalLink) -> None:
    link.last_used_at = utcnow()
    session.add(link)


# --- "send me my link" ----------------------------------------------------------------------

REQUEST_ANSWER = (
    "If this address belongs to one of our clients' contacts, a link to your documents is on its "
    "way. It works for 30 days."
)


class TooManyRequests(DomainError):
    default_kind = "too_large"


def request_link(session: Session, email: str, ip: str | None) -> str:
    """Log the request, refuse past the limits, e-mail a link when the address is a contact's.

    The answer never depends on whether the address is known."""
    email = (email or "").strip().lower()[:320]
    ip = (ip or "unknown")[:64]
    since = utcnow() - timedelta(hours=1)
    email_hash = sha256_hex(email)
    by_ip = session.execute(
        select(func.count()).select_from(PortalRequest).where(PortalRequest.ip == ip, PortalRequest.created_at >= since)
    ).scalar_one()
    by_email = session.execute(
        select(func.count())
        .select_from(PortalRequest)
        .where(PortalRequest.email_hash == email_hash, PortalRequest.created_at >= since)
    ).scalar_one()
    if by_ip >= PER_IP_PER_HOUR or by_email >= PER_EMAIL_PER_HOUR:
        raise TooManyRequests(
            "Too many requests for a link. Try again in an hour.", "email", code="portal.rate_limited"
        )
    session.add(PortalRequest(ip=ip, email_hash=email_hash))
    session.flush()
    if "@" not in email:
        return REQUEST_ANSWER
    contact = session.exec(
        select(Contact)
        .where(Contact.email == email, Contact.archived_at.is_(None), Contact.account_id.is_not(None))
        .order_by(Contact.id)
    ).first()
    if contact is not None:
        link, token = create_link(session, Actor("portal", None, email), contact.account_id, contact.id)
        _mail_link(session, contact, session.get(Account, contact.account_id), token, link.expires_at)
    return REQUEST_ANSWER


# --- what the portal shows (only the link's client) ------------------------------------------


def _deal_ids(session: Session, account_id: int) -> list[int]:
    return [int(i) for i in session.execute(select(Deal.id).where(Deal.account_id == account_id)).scalars()]


def client_quote(session: Session, link: PortalLink, quote_id: int) -> Quote:
    q = session.get(Quote, quote_id) if quote_id else None
    if q is None or q.status not in QUOTE_SHOWN or q.deal_id not in _deal_ids(session, link.account_id):
        raise NotFound("Not found")
    return q


def client_contract(session: Session, link: PortalLink, contract_id: int) -> Contract:
    c = session.get(Contract, contract_id) if contract_id else None
    if c is None or c.status not in CONTRACT_SHOWN or c.deal_id not in _deal_ids(session, link.account_id):
        raise NotFound("Not found")
    return c


def client_change_order(session: Session, link: PortalLink, co_id: int) -> ChangeOrder:
    co = session.get(ChangeOrder, co_id) if co_id else None
    project = session.get(Project, co.project_id) if co else None
    if co is None or co.status not in CO_SHOWN or project is None or project.account_id != link.account_id:
        raise NotFound("Not found")
    return co


def client_invoice(session: Session, link: PortalLink, invoice_id: int) -> Invoice:
    inv = session.get(Invoice, invoice_id) if invoice_id else None
    if inv is None or inv.account_id != link.account_id or inv.number is None or inv.status == "draft":
        raise NotFound("Not found")
    return inv


def my_signer(session: Session, link: PortalLink, contract: Contract) -> ContractSigner | None:
    """The contact's own signer row on the contract (by contact, else by e-mail), if it can still sign."""
    contact = session.get(Contact, link.contact_id)
    for s in session.exec(
        select(ContractSigner).where(ContractSigner.contract_id == contract.id, ContractSigner.kind == "signer")
    ):
        mine = s.contact_id == contact.id or (contact.email and s.email.lower() == contact.email)
        if mine and s.status not in ("signed", "declined"):
            return s
    return None


def signing_token(session: Session, link: PortalLink, contract_id: int) -> str:
    """A fresh signing token for the contact's own signer row (replaces the e-mailed one)."""
    from l2c_app.contracts.service import link_days

    contract = client_contract(session, link, contract_id)
    signer = (
        my_signer(session, link, contract)
        if contract.provider == "builtin" and contract.status in ("sent", "delivered")
        else None
    )
    if signer is None:
        raise NotFound("Not found")
    token = secrets.token_urlsafe(32)
    signer.token_hash = sha256_hex(token)
    signer.token_expires_at = utcnow() + timedelta(days=link_days(session))
    session.add(signer)
    record_action(
        session,
        Actor("portal", None, signer.email),
        "contract",
        contract.id,
        "portal_signing_link",
        {"signer_id": signer.id},
    )
    return token


CLIENT_STATUS = {
    "sent": "Due",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "written_off": "Settled",
    "void": "Cancelled",
}


def client_status(inv: Invoice) -> str:
    """The invoice's status in the client's words: never the team's delivery state ("Queued in Outbox")."""
    if inv.kind == "credit_note":
        return "Credit note"
    return CLIENT_STATUS.get(inv.status, inv.status.replace("_", " ").capitalize())


def portal_view(session: Session, link: PortalLink) -> dict[str, Any]:
    """Everything the portal page lists for the link's client."""
    acc = session.get(Account, link.account_id)
    contact = session.get(Contact, link.contact_id)
    deal_ids = _deal_ids(session, acc.id)
    quotes = session.exec(
        select(Quote).where(Quote.deal_id.in_(deal_ids), Quote.status.in_(QUOTE_SHOWN)).order_by(Quote.id.desc())
    ).all()
    contracts = session.exec(
        select(Contract)
        .where(Contract.deal_id.in_(deal_ids), Contract.status.in_(CONTRACT_SHOWN))
        .order_by(Contract.id.desc())
    ).all()
    projects = {p.id: p for p in session.exec(select(Project).where(Project.account_id == acc.id))}
    cos = session.exec(
        select(ChangeOrder)
        .where(ChangeOrder.project_id.in_(list(projects)), ChangeOrder.status.in_(CO_SHOWN))
        .order_by(ChangeOrder.id.desc())
    ).all()
    invoices = session.exec(
        select(Invoice)
        .where(Invoice.account_id == acc.id, Invoice.number.is_not(None), Invoice.status != "draft")
        .order_by(Invoice.id.desc())
    ).all()
    numbers = {i.id: i.number for i in invoices}
    payments = (
        session.exec(
            select(Payment)
            .where(
                Payment.invoice_id.in_(list(numbers)),
                Payment.method != "credit",
                Payment.status.in_(("succeeded", "reversed")),
            )
            .order_by(Payment.id.desc())
        ).all()
        if numbers
        else []
    )
    summary = client_summary(session, acc.id)
    cur = summary["currency"]
    return {
        "client": acc.name,
        "contact": contact.name,
        "open": format_money(summary["open_minor"], cur),
        "overdue": format_money(summary["overdue_minor"], cur),
        "credit": format_money(summary["credit_minor"], cur),
        "quotes": [
            {
                "id": q.id,
                "label": f"{quote_label(q)} {q.title}",
                "status": q.status,
                "amount": format_money(q.total_minor, q.currency),
                "can_act": q.status == "sent",
            }
            for q in quotes
        ],
        "contracts": [
            {
                "id": c.id,
                "label": f"C-{c.id} {c.title}",
                "status": c.status,
                "can_sign": c.provider == "builtin"
                and c.status in ("sent", "delivered")
                and my_signer(session, link, c) is not None,
                "signed_pdf": c.status == "completed" and c.signed_document_id is not None,
            }
            for c in contracts
        ],
        "change_orders": [
            {
                "id": co.id,
                "label": f"Change order {co.number}: {projects[co.project_id].name}",
                "status": co.status,
                "amount": format_money(change_order_total(co), projects[co.project_id].currency),
                "can_act": co.status == "sent",
            }
            for co in cos
        ],
        "invoices": [
            {
                "id": i.id,
                "label": i.number,
                "kind": i.kind,
                "status": client_status(i),
                "amount": format_money(i.total_minor, i.currency),
                "open": format_money(open_amount(session, i, i.paid_minor), i.currency),
                "due": formats.day(i.due_date) if i.due_date else "",
                "can_pay": i.kind != "credit_note" and open_amount(session, i, i.paid_minor) > 0,
            }
            for i in invoices
        ],
        "payments": [
            {
                "date": formats.day(p.received_on or p.created_at),
                "invoice": numbers[p.invoice_id],
                "amount": format_money(p.amount_minor, p.currency),
                "status": "reversed" if p.status == "reversed" else "received",
            }
            for p in payments
        ],
    }
