"""REST v1 of contracts, the PDF routes (user or token), and the CLI's verify."""

import pytest
from conftest import make_world
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.api.app import build_api
from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract
from l2c_app.core.auth import create_api_key
from l2c_app.core.models import OutboxMessage


@pytest.fixture
def api(session, db_url):
    world = make_world(session)
    _, key = create_api_key(session, "tests")
    session.commit()
    client = TestClient(build_api())
    client.headers["Authorization"] = f"Bearer {key}"
    return client, world


def test_create_send_list_and_pdf(session, api):
    client, world = api
    assert client.post("/api/v1/contracts", json={}).json()["detail"].startswith("quote_id")
    r = client.post(
        "/api/v1/contracts",
        json={
            "quote_id": world.quote_id,
            "signers": [
                {"kind": "signer", "name": "Zoë Łukasiewicz", "email": "zoe@client.test"},
                {"kind": "countersigner", "user_id": world.owner_id},
            ],
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "draft" and [s["kind"] for s in created["signers"]] == ["signer", "countersigner"]
    draft_pdf = client.get(f"/api/v1/contracts/{created['id']}/pdf")
    assert draft_pdf.headers["content-type"] == "application/pdf" and draft_pdf.content.startswith(b"%PDF")
    sent = client.post(f"/api/v1/contracts/{created['id']}/send", json={"provider": "builtin"})
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    again = client.post(f"/api/v1/contracts/{created['id']}/send")
    assert again.status_code == 422 and again.json()["detail"].startswith("status")
    page1 = client.get("/api/v1/contracts", params={"status": "sent"}).json()
    assert [c["id"] for c in page1["items"]] == [created["id"]] and page1["next_cursor"] is None
    assert client.get("/api/v1/contracts", params={"status": "bogus"}).status_code == 422

    # The signer reaches the PDF with their token only; nobody reaches it without one.
    link = session.exec(select(OutboxMessage).where(OutboxMessage.to == "zoe@client.test")).first().link
    token = link.rsplit("/", 1)[1]
    anon = TestClient(build_api())
    assert anon.get(f"/api/sign/{token}/pdf").content.startswith(b"%PDF")
    assert anon.get("/api/sign/not-a-token/pdf").status_code == 404
    assert anon.get(f"/api/v1/contracts/{created['id']}/pdf").status_code == 401

    # Once signed by everyone, the PDF route gives the signed PDF.
    svc.sign(session, token, consent=True, typed_name="Zoë Łukasiewicz")
    session.commit()
    owner_link = (
        session.exec(
            select(OutboxMessage).where(OutboxMessage.to == "owner@northwind.test", OutboxMessage.link.is_not(None))
        )
        .first()
        .link
    )
    svc.sign(session, owner_link.rsplit("/", 1)[1], consent=True, typed_name="Olivia Owner")
    session.commit()
    signed = client.get(f"/api/v1/contracts/{created['id']}/pdf")
    contract = session.get(Contract, created["id"])
    assert svc.sha256_hex(signed.content) == contract.signed_sha256
    original = client.get(f"/api/v1/contracts/{created['id']}/pdf", params={"version": "original"})
    assert svc.sha256_hex(original.content) == contract.original_sha256 != contract.signed_sha256
    assert anon.get(f"/api/sign/{token}/pdf").status_code == 404  # the link died with completion


def test_contract_from_a_deal_without_accepted_quote_is_refused(session, api):
    client, world = api
    from l2c_app.quotes.models import Quote

    session.get(Quote, world.quote_id).status = "declined"
    session.commit()
    r = client.post("/api/v1/contracts", json={"deal_id": world.deal_id})
    assert r.status_code == 422 and r.json()["detail"].startswith("deal_id")


def test_cli_verify(session, world, tmp_path, capsys):
    from l2c_app.cli import main

    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    _, data = svc.contract_pdf(session, contract.id)
    good, bad = tmp_path / "c.pdf", tmp_path / "bad.pdf"
    good.write_bytes(data)
    bad.write_bytes(data + b"\n% appended")
    assert main(["contracts", "verify", str(good)]) == 0 and "unsigned original" in capsys.readouterr().out
    assert main(["contracts", "verify", str(bad)]) == 1 and "No contract matches" in capsys.readouterr().out


def test_signed_pdf_is_downloadable_by_delivery_but_the_contracts_api_is_not(session, api):
    from l2c_app.core.auth import SESSION_COOKIE, create_session, create_user

    _, world = api
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    dan = create_user(session, name="Dan", email="dan@northwind.test", role="delivery", password="delivery-pass-1")
    token = create_session(session, dan)
    session.commit()
    browser = TestClient(build_api(), cookies={SESSION_COOKIE: token})
    assert browser.get(f"/api/v1/contracts/{contract.id}/pdf").status_code == 200
    assert browser.get("/api/v1/contracts").status_code == 403


def test_void_over_the_api_needs_a_reason(session, api):
    client, world = api
    created = client.post("/api/v1/contracts", json={"quote_id": world.quote_id}).json()
    client.post(f"/api/v1/contracts/{created['id']}/send", json={"provider": "builtin"})
    refused = client.post(f"/api/v1/contracts/{created['id']}/void", json={})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("reason")
    voided = client.post(f"/api/v1/contracts/{created['id']}/void", json={"reason": "Scope changed"})
    assert voided.json()["status"] == "voided" and voided.json()["void_reason"] == "Scope changed"
    assert client.post("/api/v1/contracts/999/void", json={"reason": "x"}).status_code == 404
