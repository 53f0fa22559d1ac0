"""Fixtures of the delivery stage: a client, a won deal, an accepted quote with one line
of each billing kind and a signed contract, created directly (other stages build their UIs)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user, setup_organisation
from l2c_app.core.models import User
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage
from l2c_app.quotes.models import Quote, QuoteLine


@dataclass
class World:
    owner: User
    dev: User
    biller: User
    sales: User
    account: Account
    deal: Deal
    quote: Quote
    contract: Contract

    @property
    def actor(self) -> Actor:
        return Actor("user", self.owner.id)


def make_deal(session: Session, title: str = "Website relaunch", status: str = "won") -> Deal:
    stage = PipelineStage(name="Won", position=5, probability=100, kind="won")
    account = Account(name="Globex")
    session.add_all([stage, account])
    session.flush()
    contact = Contact(account_id=account.id, name="Carla Client", email="carla@globex.test")
    session.add(contact)
    session.flush()
    deal = Deal(title=title, account_id=account.id, contact_id=contact.id, stage_id=stage.id, status=status)
    session.add(deal)
    session.flush()
    return deal


def make_quote(
    session: Session,
    deal: Deal,
    lines: list[dict],
    status: str = "accepted",
    discount: str = "0",
    currency: str = "EUR",
) -> Quote:
    quote = Quote(
        deal_id=deal.id,
        status=status,
        currency=currency,
        discount_percent=Decimal(discount),
        public_token=secrets.token_urlsafe(16),
    )
    session.add(quote)
    session.flush()
    for i, spec in enumerate(lines):
        session.add(QuoteLine(quote_id=quote.id, position=i, **spec))
    session.flush()
    return quote


STANDARD_LINES = [
    dict(description="Discovery workshop", billing_kind="fixed", quantity=Decimal("1"), unit_price_minor=250000),
    dict(
        description="Design sign-off",
        billing_kind="milestone",
        quantity=Decimal("1"),
        unit_price_minor=400000,
        due_date=date(2026, 12, 15),
    ),
    dict(
        description="Development",
        billing_kind="hourly",
        role="Senior developer",
        quantity=Decimal("40"),
        unit_price_minor=12000,
    ),
    dict(description="Hosting and care", billing_kind="recurring", quantity=Decimal("12"), unit_price_minor=9900),
    dict(
        description="Optional SEO audit",
        billing_kind="fixed",
        quantity=Decimal("1"),
        unit_price_minor=80000,
        optional=True,
        selected=False,
    ),
]


@pytest.fixture
def world(session) -> World:
    _, owner = setup_organisation(
        session,
        org_name="Northwind",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia Owner",
        owner_email="olivia@northwind.test",
        password="long-password-1",
    )
    dev = create_user(session, name="Dan Dev", email="dan@northwind.test", role="delivery", password=None)
    biller = create_user(session, name="Bea Billing", email="bea@northwind.test", role="billing", password=None)
    sales = create_user(session, name="Sam Sales", email="sam@northwind.test", role="sales", password=None)
    deal = make_deal(session)
    quote = make_quote(session, deal, STANDARD_LINES)
    contract = Contract(deal_id=deal.id, quote_id=quote.id, title="Services agreement", status="completed")
    session.add(contract)
    session.flush()
    session.add(ContractSigner(contract_id=contract.id, name="Carla Client", email="carla@globex.test"))
    session.commit()
    return World(owner, dev, biller, sales, session.get(Account, deal.account_id), deal, quote, contract)
