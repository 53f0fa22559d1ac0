"""Records of two clients are never mixed: each refusal is a 422 naming the field."""

from __future__ import annotations

import pytest
from conftest import make_world
from fastapi.testclient import TestClient

from l2c_app.contracts import service as contracts
from l2c_app.core.auth import create_api_key, create_user
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Deal
from l2c_app.quotes import service as quotes


@pytest.fixture
def two_clients(session):
    a = make_world(session, client_email="zoe@client-a.test", account_name="Client A")
    b = make_world(session, client_email="bob@client-b.test", account_name="Client B")
    return a, b


def test_a_quote_of_client_a_cannot_be_addressed_to_client_bs_contact(session, two_clients):
    a, b = two_clients
    with pytest.raises(quotes.QuoteError) as exc:
        quotes.create_quote_from_deal(session, a.actor, a.deal_id, contact_id=b.contact_id)
    assert exc.value.field == "contact_id"
    draft = quotes.create_quote_from_deal(session, a.actor, a.deal_id)
    with pytest.raises(quotes.QuoteError) as exc:
        quotes.update_quote(session, a.actor, draft.id, contact_id=b.contact_id)
    assert exc.value.field == "contact_id"
    quotes.update_quote(session, a.actor, draft.id, contact_id=a.contact_id)  # its own client's contact is fine


def test_client_bs_contact_cannot_sign_client_as_contract(session, two_clients):
    a, b = two_clients
    contract = contracts.create_from_quote(session, a.actor, a.quote_id)
    with pytest.raises(contracts.ContractError, match="^contact_id: .*another client"):
        contracts.add_signer(session, a.actor, contract.id, kind="cc", contact_id=b.contact_id)


def test_a_deals_contact_must_belong_to_its_account(session, two_clients):
    a, b = two_clients
    deal_a = session.get(Deal, a.deal_id)
    with pytest.raises(pipeline.PipelineError) as exc:
        pipeline.create_deal(session, a.actor, title="Mixed", account_id=deal_a.account_id, contact_id=b.contact_id)
    assert exc.value.field == "contact_id"
    with pytest.raises(pipeline.PipelineError, match="^contact_id: .*another client"):
        pipeline.update_deal(session, a.actor, a.deal_id, {"contact_id": b.contact_id})


def test_a_deal_owner_must_be_able_to_open_the_pipeline(session, two_clients, db_url):
    a, b = two_clients
    delivery = create_user(
        session, name="Dana Delivery", email="dana@northwind.test", role="delivery", password="delivery-password-1"
    )
    session.commit()
    with pytest.raises(pipeline.PipelineError, match="^owner_id: .*cannot open the pipeline"):
        pipeline.create_deal(session, a.actor, title="Theirs", owner_id=delivery.id)
    with pytest.raises(pipeline.PipelineError, match="^owner_id: "):
        pipeline.reassign(session, a.actor, a.deal_id, delivery.id)
    # and over the API: 422 naming the field
    from l2c_app.api.app import build_api

    _, key = create_api_key(session, "tests")
    session.commit()
    client = TestClient(build_api())
    r = client.post(
        "/api/v1/deals", json={"title": "Theirs", "owner_id": delivery.id}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 422 and "owner_id" in r.text
    r = client.post(
        "/api/v1/deals",
        json={"title": "Mixed", "account_id": session.get(Deal, a.deal_id).account_id, "contact_id": b.contact_id},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 422 and "contact_id" in r.text
