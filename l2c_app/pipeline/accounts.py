"""The client's own details that documents print: address and tax/VAT id.

Edited on the deal page's "Client details" card (and `PATCH /api/v1/accounts/{id}`); the
invoice prints the tax id as "Client VAT id" (B2B and EU reverse-charge invoices carry both
parties' ids)."""

from __future__ import annotations

import re

from sqlmodel import Session

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.pipeline.models import Account, Deal

# A VAT / tax id as printed: letters, digits and the separators tax offices use.
_TAX_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{1,38}[A-Za-z0-9]$")


def account_details(session: Session, account_id: int) -> dict[str, str]:
    acc = session.get(Account, account_id) if account_id else None
    if acc is None:
        return {}
    return {"id": str(acc.id), "name": acc.name, "address": acc.address or "", "tax_id": acc.tax_id or ""}


def deal_account_details(session: Session, deal_id: int) -> dict[str, str]:
    deal = session.get(Deal, deal_id) if deal_id else None
    return account_details(session, deal.account_id) if deal and deal.account_id else {}


def update_account_details(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    tax_id: str | None = None,
) -> Account:
    """Change the fields given (None leaves one as it is; "" clears address or tax id)."""
    acc = session.get(Account, account_id) if account_id else None
    if acc is None:
        raise NotFound("No such client.", "account_id")
    before = snapshot(acc)
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise DomainError("Enter the client's name.", "name")
        if len(name) > 200:
            raise DomainError("At most 200 characters.", "name")
        acc.name = name
    if address is not None:
        address = address.strip()
        if len(address) > 500:
            raise DomainError("At most 500 characters.", "address")
        acc.address = address or None
    if tax_id is not None:
        tax_id = " ".join(tax_id.split())
        if tax_id and not _TAX_ID_RE.match(tax_id):
            raise DomainError(
                "A VAT / tax id has 3 to 40 letters and digits (spaces, dots, dashes and slashes "
                "allowed inside), e.g. DE123456789.",
                "tax_id",
            )
        acc.tax_id = tax_id or None
    record_update(session, actor, acc, before)
    return acc
