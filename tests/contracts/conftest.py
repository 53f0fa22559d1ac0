"""Fixtures of the contracts stage: a deal with an accepted quote (rows created directly,
the quote builder is another stage), a team, and the DocuSign stand-in."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).parent))  # docusign_standin, next to this file

from l2c_app.core.audit import Actor  # noqa: E402
from l2c_app.core.auth import create_user, setup_organisation  # noqa: E402
from l2c_app.core.timeutil import utcnow  # noqa: E402
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage  # noqa: E402
from l2c_app.quotes.models import Quote, QuoteLine  # noqa: E402


@dataclass
class World:
    owner_id: int
    seller_id: int
    deal_id: int
    quote_id: int
    contact_id: int

    @property
    def actor(self) -> Actor:
        return Actor("user", self.seller_id)


def make_world(
    session: Session,
    *,
    client_email: str = "zoe@client.test",
    status: str = "accepted",
    account_name: str = "Client Łtd | Zoë & Co",
) -> World:
    from l2c_app.core.auth import get_organisation

    if get_organisation(session) is None:
        _, owner = setup_organisation(
            session,
            org_name="Northwind Studio",
            currency="EUR",
            timezone="Europe/Paris",
            owner_name="Olivia Owner",
            owner_email="owner@northwind.test",
            password="owner-password-1",
        )
        seller = create_user(
            session, name="Sam Seller", email="sam@northwind.test", role="sales", password="seller-password-1"
        )
    else:
        from sqlmodel import select

        from l2c_app.core.models import User

        owner = session.exec(select(User).where(User.role == "owner")).first()
        seller = session.exec(select(User).where(User.email == "sam@northwind.test")).first() or owner
    stage = PipelineStage(name="Negotiation", position=3, probability=60)
    session.add(stage)
    account = Account(name=account_name, address="1 Rue de la Paix, Paris")
    session.add(account)
    session.flush()
    contact = Contact(account_id=account.id, name="Zoë Łukasiewicz", email=client_email, title="CEO")
    session.add(contact)
    session.flush()
    deal = Deal(
        title="Website redesign",
        account_id=account.id,
        contact_id=contact.id,
        stage_id=stage.id,
        owner_id=seller.id,
        value_minor=1_250_050,
    )
    session.add(deal)
    session.flush()
    quote = Quote(
        deal_id=deal.id,
        number=1,
        version=2,
        status=status,
        title="Redesign proposal",
        currency="EUR",
        contact_id=contact.id,
        owner_id=seller.id,
        public_token=f"tok-{deal.id}-{id(deal)}",
        accepted_at=utcnow() if status == "accepted" else None,
        terms="50% on signature, 50% on delivery.",
    )
    session.add(quote)
    session.flush()
    session.add_all(
        [
            QuoteLine(
                quote_id=quote.id,
                position=1,
                section="Design",
                description="Discovery workshop",
                quantity=Decimal("1"),
                unit_price_minor=250_000,
            ),
            QuoteLine(
                quote_id=quote.id,
                position=2,
                section="Build",
                description="Development | front end",
                quantity=Decimal("40.5"),
                unit="hour",
                unit_price_minor=9_500,
                billing_kind="hourly",
            ),
            QuoteLine(
                quote_id=quote.id,
                position=3,
                description="Optional: extra language",
                quantity=Decimal("1"),
                unit_price_minor=80_000,
                optional=True,
                selected=False,
            ),
        ]
    )
    session.commit()
    return World(owner.id, seller.id, deal.id, quote.id, contact.id)


@pytest.fixture
def world(session) -> World:
    return make_world(session)


HMAC_KEY = "connect-key-2026-current"
OLD_HMAC_KEY = "connect-key-2025-rotating-out"


@pytest.fixture
def docusign(db_url, tmp_path, monkeypatch):
    """The stand-in running, and the app's settings pointing at it (JWT key in a file)."""
    from docusign_standin import configured_standin

    with configured_standin(tmp_path, monkeypatch, f"{HMAC_KEY},{OLD_HMAC_KEY}") as standin:
        yield standin
