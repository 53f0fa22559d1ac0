"""A client's details (billing defaults on the Account): read, update, create."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from l2c_app.billing.service import TERMS
from l2c_app.clients.common import EMAIL_RE, get_account
from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import User
from l2c_app.pipeline.accounts import update_account_details
from l2c_app.pipeline.models import Account


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
        if e and not EMAIL_RE.match(e):
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
