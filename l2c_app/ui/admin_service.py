"""Use cases behind the shared pages (home, settings, API keys, outbox, search).

Plain functions over a Session: the pages' state calls them through `run_db`.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.auth import AuthError, get_organisation
from l2c_app.core.models import ApiKey, Notification, OutboxMessage
from l2c_app.core.timeutil import is_valid_timezone
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Account, Contact, Deal


def home_counts(session: Session, user_id: int) -> dict[str, int]:
    return {
        "open_leads": session.exec(
            select(func.count())
            .select_from(Lead)
            .where(Lead.owner_id == user_id, Lead.status.in_(("new", "qualified")))
        ).one(),
        "open_deals": session.exec(
            select(func.count()).select_from(Deal).where(Deal.owner_id == user_id, Deal.status == "open")
        ).one(),
        "unread": session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).one(),
    }


def org_settings(session: Session) -> dict:
    org = get_organisation(session)
    return {"name": org.name, "currency": org.currency, "timezone": org.timezone} if org else {}


def update_org(session: Session, actor: Actor, name: str, currency: str, timezone: str) -> None:
    org = get_organisation(session)
    if org is None:
        raise AuthError("l2c is not set up yet.")
    if not name.strip():
        raise AuthError("Enter the organisation's name.")
    if not is_valid_timezone(timezone):
        raise AuthError(f"{timezone} is not a known time zone (e.g. Europe/Paris).")
    from babel.numbers import list_currencies

    if currency.upper() not in list_currencies():
        raise AuthError(f"{currency} is not an ISO currency code.")
    before = snapshot(org)
    org.name, org.currency, org.timezone = name.strip(), currency.upper(), timezone
    record_update(session, actor, org, before)


def list_api_keys(session: Session) -> list[dict]:
    rows = session.exec(select(ApiKey).order_by(ApiKey.id.desc())).all()
    tz = formats.org_zone(session)
    return [
        {
            "id": k.id,
            "name": k.name,
            "prefix": k.prefix + "…",
            "created": formats.day(k.created_at),
            "last_used": formats.moment(k.last_used_at, tz) if k.last_used_at else "never",
            "status": "revoked" if k.revoked_at else "active",
            "access": scope_label(k.scopes),
        }
        for k in rows
    ]


# What the Settings form offers; the API takes any list of <section>:<read|write> (api/scopes.py).
ACCESS_CHOICES: dict[str, list[str] | None] = {"Full access": None, "Read only": ["*:read"]}


def create_key(session: Session, actor: Actor, name: str, access: str = "Full access") -> tuple[ApiKey, str]:
    from l2c_app.api.scopes import create_key as create_scoped

    if access not in ACCESS_CHOICES:
        raise AuthError("Choose the key's access: full or read only.")
    return create_scoped(session, actor, name, ACCESS_CHOICES[access])


def scope_label(scopes: list[str] | None) -> str:
    if scopes is None:
        return "Full access"
    named = {tuple(v): k for k, v in ACCESS_CHOICES.items() if v is not None}
    return named.get(tuple(scopes), ", ".join(scopes))


def list_outbox(session: Session, limit: int = 200) -> list[dict]:
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).all()
    tz = formats.org_zone(session)
    return [
        {
            "id": m.id,
            "to": m.to,
            "cc": m.cc or "",
            "subject": m.subject,
            "body": m.body,
            "link": m.link or "",
            "status": m.status,
            "created": formats.moment(m.created_at, tz),
            "error": m.error or "",
        }
        for m in rows
    ]


def search(session: Session, q: str, limit: int = 20) -> list[dict]:
    """Across leads, deals, clients, contacts and documents by number (INV-/CN- numbers,
    quotes as Q<deal>-<n>, contracts as C-<id>); case-insensitive; each result opens its page."""
    from l2c_app.billing.models import Invoice
    from l2c_app.contracts.models import Contract
    from l2c_app.quotes.models import Quote

    q = (q or "").strip()
    like = f"%{q.lower()}%"
    results: list[dict] = []
    for a in session.exec(
        select(Account)
        .where(or_(func.lower(Account.name).like(like), func.lower(Account.domain).like(like)))
        .limit(limit)
    ):
        results.append({"kind": "Client", "title": a.name, "detail": a.domain or "", "href": f"/clients/{a.id}"})
    for d in session.exec(select(Deal).where(func.lower(Deal.title).like(like)).limit(limit)):
        results.append({"kind": "Deal", "title": d.title, "detail": d.status, "href": f"/deals/{d.id}"})
    for c in session.exec(
        select(Contact)
        .where(or_(func.lower(Contact.name).like(like), func.lower(Contact.email).like(like)))
        .limit(limit)
    ):
        results.append(
            {
                "kind": "Contact",
                "title": c.name,
                "detail": c.email or "",
                "href": f"/clients/{c.account_id}" if c.account_id else "/pipeline",
            }
        )
    for lead in session.exec(
        select(Lead)
        .where(or_(func.lower(Lead.name).like(like), Lead.email.like(like), func.lower(Lead.company).like(like)))
        .limit(limit)
    ):
        results.append({"kind": "Lead", "title": lead.name, "detail": lead.email, "href": f"/leads?lead={lead.id}"})
    for inv in session.exec(select(Invoice).where(func.lower(Invoice.number).like(like)).limit(limit)):
        kind = "Credit note" if inv.kind == "credit_note" else "Invoice"
        results.append({"kind": kind, "title": inv.number, "detail": inv.status, "href": f"/invoices/{inv.id}"})
    m = re.fullmatch(r"(?i)q\s*-?\s*(\d+)(?:\s*-\s*(\d+))?(?:\s*v\s*(\d+))?", q)
    if m:  # quotes are numbered per deal: Q<deal id>-<number> v<version>
        stmt = select(Quote).where(Quote.deal_id == int(m.group(1)))
        if m.group(2):
            stmt = stmt.where(Quote.number == int(m.group(2)))
        if m.group(3):
            stmt = stmt.where(Quote.version == int(m.group(3)))
        for quote in session.exec(stmt.order_by(Quote.id).limit(limit)):
            results.append(
                {
                    "kind": "Quote",
                    "title": f"Q{quote.deal_id}-{quote.number} v{quote.version}",
                    "detail": f"{quote.title} ({quote.status})",
                    "href": f"/quotes/{quote.id}",
                }
            )
    m = re.fullmatch(r"(?i)c\s*-?\s*(\d+)", q)
    if m:
        contract = session.get(Contract, int(m.group(1)))
        if contract is not None:
            results.append(
                {
                    "kind": "Contract",
                    "title": f"C-{contract.id}",
                    "detail": f"{contract.title} ({contract.status})",
                    "href": f"/contracts/{contract.id}",
                }
            )
    return results
