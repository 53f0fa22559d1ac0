"""The quotes REST API: status codes, JSON shapes, errors that name the field."""

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, select

from l2c_app.api.app import build_api
from l2c_app.core.auth import create_api_key, create_session, create_user
from l2c_app.core.db import engine_for
from l2c_app.quotes.models import Quote

from .conftest import make_world


@pytest.fixture
def api(db_url):
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        w = make_world(s)
        _, secret = create_api_key(s, "tests")
        delivery = create_user(s, name="Dee", email="dee@studio.test", role="delivery", password="long-password-9")
        delivery_token = create_session(s, delivery)
        s.commit()
    client = TestClient(build_api())
    client.headers["Authorization"] = f"Bearer {secret}"
    return client, w, delivery_token


def new_quote(client, w, **extra):
    body = {
        "deal_id": w.deal.id,
        "discount_percent": "10",
        "lines": [
            {
                "description": "Workshop",
                "quantity": "2",
                "unit_price_minor": 50000,
                "tax_rate_id": w.vat.id,
                "section": "Phase 1",
            },
            {"description": "Support", "quantity": 1, "unit_price_minor": 10000, "optional": True},
        ],
        **extra,
    }
    return client.post("/api/v1/quotes", json=body)


def test_create_get_list(api):
    client, w, _ = api
    r = new_quote(client, w)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["status"] == "draft" and q["currency"] == "EUR" and q["contact"]["name"] == "Zoë Łukasiewicz"
    assert q["totals"]["subtotal_minor"] == 100000
    assert q["totals"]["total_minor"] == 90000 + 18000
    assert [ln["section"] for ln in q["lines"]] == ["Phase 1", "Phase 1"]
    assert client.get(f"/api/v1/quotes/{q['id']}").json()["totals"] == q["totals"]
    listed = client.get("/api/v1/quotes", params={"deal_id": w.deal.id, "limit": 1}).json()
    assert listed["items"][0]["id"] == q["id"] and listed["items"][0]["total_minor"] == 108000
    assert client.get("/api/v1/quotes/999999").status_code == 404
    assert client.get("/api/v1/quotes", params={"status": "draft"}).json()["items"][0]["id"] == q["id"]
    assert client.get("/api/v1/quotes", params={"status": "expired"}).json()["items"] == []


def test_add_line_then_send_then_pdfs(api):
    client, w, _ = api
    qid = new_quote(client, w).json()["id"]
    r = client.post(
        f"/api/v1/quotes/{qid}/lines",
        json={"description": "Hosting", "quantity": "12", "unit_price_minor": 2500, "billing_kind": "recurring"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["line"]["amount_minor"] == 30000
    assert r.json()["quote"]["totals"]["subtotal_minor"] == 130000
    r = client.post(f"/api/v1/quotes/{qid}/send")
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["quote"]["status"] == "sent" and sent["email"]["status"] == "outbox"
    token = sent["public_url"].rsplit("/", 1)[1]
    # a second send, or a line added to a sent quote, is a conflict
    assert client.post(f"/api/v1/quotes/{qid}/send").status_code == 409
    assert client.post(f"/api/v1/quotes/{qid}/lines", json={"description": "x"}).status_code == 409
    pdf = client.get(f"/api/v1/quotes/{qid}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Hosting" in text and sent["quote"]["totals"]["total"] in text
    public = TestClient(build_api())  # no credentials at all
    assert public.get(f"/api/public/quotes/{token}/pdf").status_code == 200
    assert public.get("/api/public/quotes/not-a-token/pdf").status_code == 404
    assert public.get(f"/api/v1/quotes/{qid}/pdf").status_code == 401


@pytest.mark.parametrize(
    "line,field",
    [
        ({"description": "Bad", "quantity": "-2", "unit_price_minor": 100}, "quantity"),
        ({"description": "Bad", "tax_rate_id": 4242, "unit_price_minor": 100}, "tax_rate_id"),
        ({"description": "Bad", "unit_price": "12.00"}, "unit_price"),
        ({"description": "Bad", "colour": "red"}, "colour"),
    ],
)
def test_bad_lines_get_422_naming_the_field_and_change_nothing(api, line, field):
    client, w, _ = api
    q = new_quote(client, w).json()
    r = client.post(f"/api/v1/quotes/{q['id']}/lines", json=line)
    assert r.status_code == 422 and r.json()["error"]["field"] == field and r.json()["detail"]
    after = client.get(f"/api/v1/quotes/{q['id']}").json()
    assert after["lines"] == q["lines"] and after["totals"] == q["totals"]


def test_create_refuses_bad_input_and_stores_nothing(api, db_url):
    client, w, _ = api
    assert client.post("/api/v1/quotes", json={}).json()["error"]["field"] == "deal_id"
    assert client.post("/api/v1/quotes", json={"deal_id": 999}).status_code == 422
    r = new_quote(client, w, lines=[{"description": "x", "quantity": "-1"}])
    assert r.status_code == 422 and r.json()["error"]["field"] == "lines[0].quantity"
    with Session(engine_for(db_url)) as s:
        assert s.exec(select(Quote)).all() == []


def test_send_without_lines_is_refused(api):
    client, w, _ = api
    qid = client.post("/api/v1/quotes", json={"deal_id": w.deal.id}).json()["id"]
    r = client.post(f"/api/v1/quotes/{qid}/send")
    assert r.status_code == 422 and r.json()["error"]["field"] == "lines"


def test_auth_required_and_role_checked(api):
    client, w, delivery_token = api
    anonymous = TestClient(build_api())
    assert anonymous.get("/api/v1/quotes").status_code == 401
    assert anonymous.post("/api/v1/quotes", json={"deal_id": w.deal.id}).status_code == 401
    bad_key = TestClient(build_api(), headers={"Authorization": "Bearer l2c_nope"})
    assert bad_key.get("/api/v1/quotes").status_code == 401
    delivery = TestClient(build_api(), cookies={"l2c_session": delivery_token})
    assert delivery.get("/api/v1/quotes").status_code == 403
