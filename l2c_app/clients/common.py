"""What the client use cases share: the client (an Account) by id, its headline currency, the
e-mail shape, and which payments are the client's."""

from __future__ import annotations

import re

from sqlalchemy import or_
from sqlmodel import Session, select

from l2c_app.billing.models import Invoice
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import NotFound
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


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


def payment_of(account_id: int):
    """A payment of the client: on one of its invoices, or recorded against it unmatched."""
    return or_(
        Payment.invoice_id.in_(select(Invoice.id).where(Invoice.account_id == account_id)),
        (Payment.invoice_id.is_(None)) & (Payment.account_id == account_id),
    )
