"""The HTTP API of the foundation: health, login/logout, API keys, conventions."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from l2c_app.api.app import build_api
from l2c_app.core.auth import create_api_key, setup_organisation
from l2c_app.core.db import engine_for


@pytest.fixture
def client(db_url):
    with TestClient(build_api()) as c:
        yield c


@pytest.fixture
def owner(db_url):
    with Session(engine_for(db_url)) as s:
        setup_organisation(
            s,
            org_name="Acme",
            currency="EUR",
            timezone="UTC",
            owner_name="Olivia",
            owner_email="olivia@acme.test",
            password="long-password-1",
        )
        _, key = create_api_key(s, "tests")
        s.commit()
    return {"email": "olivia@acme.test", "password": "long-password-1", "key": key}


def test_health_reports_the_database(client):
    assert client.get("/api/health").json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable(monkeypatch):
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("SECRET_KEY", "x" * 20)
    reset_settings()
    try:
        with TestClient(build_api()) as c:
            r = c.get("/api/health")
        assert r.status_code == 503 and r.json()["database"] == "unreachable"
    finally:
        reset_settings()


def test_openapi_is_served_under_v1(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/deals" in spec["paths"] and "/api/health" in spec["paths"]


def test_api_needs_a_valid_key(client, owner):
    assert client.get("/api/v1/deals").status_code == 401
    r = client.get("/api/v1/deals", headers={"Authorization": "Bearer l2c_wrong"})
    assert r.status_code == 401 and r.json() == {"detail": "Invalid API key"}
    r = client.get("/api/v1/deals", headers={"Authorization": f"Bearer {owner['key']}"})
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}


def test_bad_query_parameter_is_422_naming_the_field(client, owner):
    r = client.get("/api/v1/deals?limit=0", headers={"Authorization": f"Bearer {owner['key']}"})
    assert r.status_code == 422 and "limit" in str(r.json()["detail"])


def test_form_login_sets_an_httponly_cookie_and_redirects(client, owner):
    r = client.post(
        "/api/auth/login",
        data={"email": owner["email"], "password": owner["password"], "next": "/pipeline"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/pipeline"
    cookie = r.headers["set-cookie"]
    assert "l2c_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    # The cookie authenticates API calls too (the browser downloads PDFs with it).
    assert client.get("/api/v1/deals").status_code == 200
    r = client.post("/api/auth/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/api/v1/deals").status_code == 401


def test_wrong_login_redirects_back_without_saying_which_half(client, owner):
    r = client.post(
        "/api/auth/login", data={"email": owner["email"], "password": "nope", "next": "/x"}, follow_redirects=False
    )
    assert r.status_code == 303 and "error=invalid" in r.headers["location"]
    assert "set-cookie" not in r.headers


def test_open_redirects_are_refused(client, owner):
    r = client.post(
        "/api/auth/login",
        data={"email": owner["email"], "password": owner["password"], "next": "//evil.example.com/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_json_login_and_throttling(client, owner):
    for _ in range(5):
        assert client.post("/api/auth/login", json={"email": owner["email"], "password": "bad"}).status_code == 401
    r = client.post("/api/auth/login", json={"email": owner["email"], "password": owner["password"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_role_is_checked_on_the_api(client, owner, db_url):
    from l2c_app.core.auth import create_user

    with Session(engine_for(db_url)) as s:
        create_user(s, name="Dan", email="dan@acme.test", role="delivery", password="long-password-2")
        s.commit()
    assert (
        client.post("/api/auth/login", json={"email": "dan@acme.test", "password": "long-password-2"}).status_code
        == 200
    )
    r = client.get("/api/v1/deals")
    assert r.status_code == 403 and "delivery" in r.json()["detail"]
