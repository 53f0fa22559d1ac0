"""HTTP API of lead capture: every status code of POST/GET /api/v1/leads and convert."""

from __future__ import annotations

from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import StageChange


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_public_json_capture_answers_201_with_id_and_status(client, team, session):
    r = client.post("/api/v1/leads", json={"name": "Ann", "email": "ann@globex.test", "company": "Globex"})
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "new" and body["id"] > 0
    session.expire_all()
    assert session.get(Lead, body["id"]).owner_id == team.owner.id


def test_public_form_encoded_capture(client, team, session):
    r = client.post("/api/v1/leads", data={"name": "Bob", "email": "bob@initech.test", "consent": "on"})
    assert r.status_code == 201
    assert session.get(Lead, r.json()["id"]).consent is True


def test_422_names_each_bad_field_and_stores_nothing(client, team, session):
    r = client.post("/api/v1/leads", json={"name": "", "email": "nope", "phone": "abc"})
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["detail"]}
    assert fields == {"name", "email", "phone"}
    assert session.exec(select(Lead)).all() == []


def test_422_on_a_body_that_is_not_an_object(client, team):
    r = client.post("/api/v1/leads", content=b"[1,2]", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["detail"]


def test_public_path_may_not_set_owner(client, team):
    r = client.post("/api/v1/leads", json={"name": "A", "email": "a@b.test", "owner_email": "sam@acme.test"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "owner_email"


def test_api_key_sets_source_owner_and_utm(client, team, api_key, session):
    r = client.post(
        "/api/v1/leads",
        headers=bearer(api_key),
        json={
            "name": "A",
            "email": "a@b.test",
            "source": "partner",
            "owner_email": "sofia@acme.test",
            "utm_source": "news",
            "utm_medium": "email",
            "utm_campaign": "fall",
        },
    )
    assert r.status_code == 201
    lead = session.get(Lead, r.json()["id"])
    assert (lead.source, lead.owner_id, lead.utm_medium) == ("partner", team.sofia.id, "email")


def test_unknown_owner_email_is_422(client, team, api_key):
    r = client.post(
        "/api/v1/leads",
        headers=bearer(api_key),
        json={"name": "A", "email": "a@b.test", "owner_email": "ghost@acme.test"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "owner_email"


def test_invalid_key_is_401_not_the_public_path(client, team):
    r = client.post("/api/v1/leads", headers=bearer("l2c_wrong"), json={"name": "A", "email": "a@b.test"})
    assert r.status_code == 401


def test_honeypot_answers_201_and_stores_nothing(client, team, session):
    r = client.post("/api/v1/leads", data={"name": "Bot", "email": "bot@x.test", "website": "http://spam"})
    assert r.status_code == 201
    assert session.exec(select(Lead)).all() == []


def test_public_path_is_rate_limited_per_ip_with_retry_after(client, team, session, api_key):
    svc.save_lead_settings(
        session,
        Actor("user", team.owner.id),
        mode="owner",
        users=[],
        by_source={},
        consent_text="ok",
        rate_limit_per_minute=3,
    )
    session.commit()
    codes = [client.post("/api/v1/leads", json={"name": "A", "email": f"a{i}@b{i}.test"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    r = client.post("/api/v1/leads", json={"name": "A", "email": "late@b.test"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # A server with a key is not limited.
    assert (
        client.post("/api/v1/leads", headers=bearer(api_key), json={"name": "A", "email": "srv@b.test"}).status_code
        == 201
    )


def test_list_requires_auth_and_filters(client, team, api_key):
    assert client.get("/api/v1/leads").status_code == 401
    client.post(
        "/api/v1/leads",
        headers=bearer(api_key),
        json={"name": "A", "email": "ann@globex.test", "owner_email": "sam@acme.test"},
    )
    client.post("/api/v1/leads", headers=bearer(api_key), json={"name": "A2", "email": "ANN@globex.test"})
    client.post("/api/v1/leads", headers=bearer(api_key), json={"name": "C", "email": "c@other.test"})
    r = client.get("/api/v1/leads", headers=bearer(api_key), params={"email": "Ann@Globex.test"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 2
    assert items[0]["owner_email"] == "sam@acme.test"
    assert items[1]["duplicate_of_lead_id"] == items[0]["id"]
    r = client.get("/api/v1/leads", headers=bearer(api_key), params={"owner": "sam@acme.test", "status": "new"})
    assert {i["email"] for i in r.json()["items"]} == {"ann@globex.test"}
    assert client.get("/api/v1/leads", headers=bearer(api_key), params={"status": "bogus"}).status_code == 422


def test_list_is_403_for_a_role_without_leads(client, team, session):
    from l2c_app.core.auth import create_session, create_user

    user = create_user(session, name="Dan", email="dan@acme.test", role="delivery", password="long-password-9")
    token = create_session(session, user)
    session.commit()
    client.cookies.set("l2c_session", token)
    assert client.get("/api/v1/leads").status_code == 403


def test_convert_returns_the_deal_then_409(client, team, api_key, session):
    lead_id = client.post(
        "/api/v1/leads", json={"name": "Ann", "email": "ann@globex.test", "company": "Globex"}
    ).json()["id"]
    r = client.post(f"/api/v1/leads/{lead_id}/convert", headers=bearer(api_key), json={"value": 120000})
    assert r.status_code == 201
    deal = r.json()
    assert (deal["title"], deal["value"], deal["currency"], deal["lead_id"]) == ("Globex", 120000, "EUR", lead_id)
    assert session.exec(select(StageChange).where(StageChange.deal_id == deal["id"])).one().via == "api"
    assert client.post(f"/api/v1/leads/{lead_id}/convert", headers=bearer(api_key)).status_code == 409
    assert client.post("/api/v1/leads/9999/convert", headers=bearer(api_key)).status_code == 404
    assert client.post(f"/api/v1/leads/{lead_id}/convert").status_code == 401


def test_convert_rejects_a_bad_value(client, team, api_key):
    lead_id = client.post("/api/v1/leads", json={"name": "Ann", "email": "ann@globex.test"}).json()["id"]
    r = client.post(f"/api/v1/leads/{lead_id}/convert", headers=bearer(api_key), json={"value": 12.5})
    assert r.status_code == 422 and "value" in r.json()["detail"]


def test_the_body_is_parsed_once_by_the_edge_guard(client, team, session, monkeypatch):
    """The route reads the JSON or form body the edge guard parsed (api/edge.py PARSED_BODY); a
    form the guard's pairs may not stand for (";" separators, a key without "=") is parsed by
    Starlette as before."""
    from starlette.requests import Request

    def not_again(self):
        raise AssertionError("parsed a second time")

    with monkeypatch.context() as m:
        m.setattr(Request, "json", not_again)
        m.setattr(Request, "form", not_again)
        r = client.post("/api/v1/leads", json={"name": "Jo", "email": "jo@initech.test"})
        assert r.status_code == 201, r.text
        r = client.post("/api/v1/leads", data={"name": "Fo Rm", "email": "form@initech.test", "consent": "on"})
        assert r.status_code == 201, r.text
    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post("/api/v1/leads", content=b"email=semi@initech.test&name=Se;mi", headers=headers)
    assert r.status_code == 201, r.text
    leads = {ld.email: ld for ld in session.exec(select(Lead))}
    assert leads["jo@initech.test"].name == "Jo"
    assert leads["form@initech.test"].name == "Fo Rm" and leads["form@initech.test"].consent
    assert leads["semi@initech.test"].name in ("Se;mi", "Se")  # as Starlette reads it (the guard's pairs unused)
