"""Fixtures of the quotes stage: an organisation, a deal with its client, tax rates."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from l2c_app.core.audit import Actor
from l2c_app.core.auth import setup_organisation
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage
from l2c_app.quotes import service as svc


@dataclass
class World:
    org: object
    owner: object
    actor: Actor
    account: Account
    contact: Contact
    deal: Deal
    vat: object
    vat_incl: object


def make_world(session, client_name="Zoë Łukasiewicz") -> World:
    org, owner = setup_organisation(
        session,
        org_name="Nørdwind Studio",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia Owner",
        owner_email="olivia@studio.test",
        password="long-password-1",
    )
    account = Account(name="Ćlient Ltd", address="1 Rue de la Paix, Paris")
    session.add(account)
    session.flush()
    contact = Contact(account_id=account.id, name=client_name, email="zoe@client.test")
    stage = PipelineStage(name="Proposal", position=2, probability=50)
    session.add_all([contact, stage])
    session.flush()
    deal = Deal(
        title="Website rebuild",
        account_id=account.id,
        contact_id=contact.id,
        stage_id=stage.id,
        currency="EUR",
        owner_id=owner.id,
        value_minor=1000000,
    )
    session.add(deal)
    session.flush()
    actor = Actor("user", owner.id)
    vat = svc.create_tax_rate(session, actor, name="VAT 20%", percent="20")
    vat_incl = svc.create_tax_rate(session, actor, name="VAT 7.7% incl", percent="7.7", inclusive=True)
    session.commit()
    return World(org, owner, actor, account, contact, deal, vat, vat_incl)


@pytest.fixture
def world(session) -> World:
    return make_world(session)
