"""REST routes of the ledger: status codes follow the DomainError's kind; writes are committed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from l2c_app.billing import service
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import create_api_key
from l2c_app.core.db import engine_for
from l2c_app.payments.models import Payment
from tests.billing.test_ledger import UP_TO


@pytest.fixture
def client(db_url, world, session):
    from l2c_app.api.app import build_api

    _, raw = create_api_key(session, "ledger-tests")
    session.commit()
    with TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"}) as c:
        yield c


def issued_id(session, world, *amounts) -> int:
    for amount in amounts:
        world.milestone(amount, kind="fixed")
    inv = service.build_invoice(session, SYSTEM, world.pid, UP_TO)
    service.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    return inv.id


def fresh(db_url, model, ident):
    with Session(engine_for(db_url)) as other:  # a second connection sees the committed write
        return other.get(model, ident)


def test_overpayment_is_422_until_confirmed_then_reversed(client, world, session, db_url):
    inv_id = issued_id(session, world, 10000)  # 120.00
    body = {"amount_minor": 15000, "method": "bank_transfer"}
    r = client.post(f"/api/v1/invoices/{inv_id}/payments", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount.overpayment"
    assert "client credit of €30.00" in r.json()["error"]["message"]
    r = client.post(f"/api/v1/invoices/{inv_id}/payments", json={**body, "confirm_overpayment": "yes"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/invoices/{inv_id}/payments", json={**body, "confirm_overpayment": True})
    assert r.status_code == 201 and r.json()["invoice"]["status"] == "paid"
    pay_id = r.json()["payment"]["id"]
    assert fresh(db_url, Payment, pay_id).status == "succeeded"
    r = client.get(f"/api/v1/accounts/{world.account.id}/credit")
    assert r.json()["items"] == [{"currency": "EUR", "held_minor": 3000, "applied_minor": 0, "balance_minor": 3000}]
    assert client.post(f"/api/v1/payments/{pay_id}/reverse", json={}).status_code == 422  # reason required
    assert client.post("/api/v1/payments/999999/reverse", json={"reason": "x"}).status_code == 404
    r = client.post(f"/api/v1/payments/{pay_id}/reverse", json={"reason": "typed twice"})
    assert r.status_code == 200 and r.json()["payment"]["status"] == "reversed"
    assert r.json()["invoice"]["status"] == "sent" and r.json()["invoice"]["open_minor"] == 12000
    assert fresh(db_url, Payment, pay_id).status == "reversed"
    r = client.post(f"/api/v1/payments/{pay_id}/reverse", json={"reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["kind"] == "conflict"


def test_apply_credit_route(client, world, session):
    first = issued_id(session, world, 10000)
    client.post(
        f"/api/v1/invoices/{first}/payments",
        json={"amount_minor": 20000, "method": "check", "confirm_overpayment": True},
    )  # 80.00 credit
    later = issued_id(session, world, 5000)  # 60.00
    r = client.post(f"/api/v1/invoices/{later}/apply-credit", json={"amount_minor": 8001})
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount.exceeds_credit"
    r = client.post(f"/api/v1/invoices/{later}/apply-credit", json={"amount_minor": 12.5})
    assert r.status_code == 422  # strict integers only
    r = client.post(f"/api/v1/invoices/{later}/apply-credit", json={})
    assert r.status_code == 201, r.text
    assert r.json()["payment"]["method"] == "credit" and r.json()["payment"]["amount_minor"] == 6000
    assert r.json()["invoice"]["status"] == "paid" and r.json()["credit_balance_minor"] == 2000
    r = client.post(f"/api/v1/invoices/{later}/apply-credit", json={})
    assert r.status_code == 409  # nothing open any more
    assert client.post("/api/v1/invoices/999999/apply-credit", json={}).status_code == 404


def test_partial_credit_note_route(client, world, session):
    inv_id = issued_id(session, world, 10000, 20000)
    line_ids = [ln["id"] for ln in client.get(f"/api/v1/invoices/{inv_id}").json()["lines"]]
    r = client.post(f"/api/v1/invoices/{inv_id}/partial-credit-note", json={"line_ids": [line_ids[0]], "reason": "x"})
    assert r.status_code == 201, r.text
    cn = r.json()
    assert cn["kind"] == "credit_note" and cn["total_minor"] == -12000
    assert cn["lines"][0]["credits_line_id"] == line_ids[0]
    r = client.post(f"/api/v1/invoices/{inv_id}/partial-credit-note", json={"line_ids": [line_ids[0]]})
    assert r.status_code == 409
    r = client.post(f"/api/v1/invoices/{inv_id}/partial-credit-note", json={"line_ids": [424242]})
    assert r.status_code == 404
    r = client.post(f"/api/v1/invoices/{inv_id}/partial-credit-note", json={"amount_minor": 99999999})
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount.exceeds_invoice"
    r = client.post(f"/api/v1/invoices/{inv_id}/partial-credit-note", json={"amount_minor": 1000, "bogus": 1})
    assert r.status_code == 422  # unknown fields refused
    got = client.get(f"/api/v1/invoices/{inv_id}").json()
    assert got["credited_minor"] == 12000 and got["open_minor"] == 24000


def test_write_off_route(client, world, session, db_url):
    inv_id = issued_id(session, world, 10000)
    client.post(f"/api/v1/invoices/{inv_id}/payments", json={"amount_minor": 11995, "method": "bank_transfer"})
    assert client.post(f"/api/v1/invoices/{inv_id}/write-off", json={"reason": ""}).status_code == 422
    r = client.post(f"/api/v1/invoices/{inv_id}/write-off", json={"reason": "bank fees"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "written_off" and r.json()["open_minor"] == 0 and r.json()["written_off_minor"] == 5
    assert r.json()["state_label"] == "Written off"
    assert fresh(db_url, Invoice, inv_id).status == "written_off"
    assert client.post(f"/api/v1/invoices/{inv_id}/write-off", json={"reason": "again"}).status_code == 409


def test_a_body_or_path_that_does_not_fit_answers_the_domain_error_shape(client):
    """The API app's RequestValidationError handler (api/validation): not FastAPI's list."""
    r = client.post("/api/v1/payments/1/reverse", json={"reason": "typo", "nope": 1})
    assert r.status_code == 422 and r.json()["error"]["field"] == "nope" and r.json()["detail"].startswith("nope: ")
    assert r.json()["error"]["kind"] == "invalid" and r.json()["error"]["code"] == "nope.invalid"
    r = client.post("/api/v1/payments/abc/reverse", json={"reason": "typo"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "payment_id"
