"""A client's contacts: list, add, update; one primary and one billing contact per client."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from l2c_app.clients.common import EMAIL_RE, get_account
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Contact


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
        if e and not EMAIL_RE.match(e):
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
