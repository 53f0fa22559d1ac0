"""Margin and expense routes: roles (owner/admin/billing only for margin), scopes, and receipts
served only by our own route after the access check (never under /_upload)."""

from __future__ import annotations

import secrets
from datetime import date

from fastapi.testclient import TestClient

from l2c_app.api import scopes
from l2c_app.api.app import build_api
from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import create_session
from l2c_app.core.models import Document, User
from tests.billing.factory import World


def _client(session):
    w = World(session)
    people = {}
    for role in ("billing", "sales", "delivery"):
        u = User(name=role, email=f"{role}{secrets.token_hex(3)}@l2c.test", role=role)
        session.add(u)
        session.flush()
        people[role] = create_session(session, u)
    people["owner"] = create_session(session, w.user)
    _, narrow = scopes.create_key(session, SYSTEM, "narrow", ["insights:read"])
    session.commit()
    client = TestClient(build_api())
    return w, client, people, narrow


def _as(client, people, who):
    client.cookies.clear()
    client.cookies.set("l2c_session", people[who])
    return client


def test_margin_roles_and_scopes(session):
    w, client, people, narrow = _client(session)
    q = {"from": "2026-03-01", "to": "2026-03-31", "group": "client"}
    for role, status in (("owner", 200), ("billing", 200), ("sales", 403), ("delivery", 403)):
        assert _as(client, people, role).get("/api/v1/insights/margin", params=q).status_code == status, role
    client.cookies.clear()
    assert client.get("/api/v1/insights/utilisation", params=q | {"group": "week"}).status_code == 401
    r = client.get("/api/v1/insights/margin", params=q, headers={"Authorization": f"Bearer {narrow}"})
    assert r.status_code == 403
    assert _as(client, people, "owner").get("/api/v1/insights/margin", params=q | {"group": "x"}).status_code == 422


def test_expense_and_receipt_access(session):
    w, client, people, narrow = _client(session)
    c = _as(client, people, "delivery")
    r = c.post(
        f"/api/v1/projects/{w.pid}/expenses",
        json={"day": "2026-03-03", "description": "Taxi", "amount_minor": 2500, "markup_percent": "10"},
    )
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert c.get(f"/api/v1/projects/{w.pid}/expenses").json()["items"][0]["markup_percent"] == "10.0000"
    pdf = b"%PDF-1.4 receipt"
    assert c.put(f"/api/v1/expenses/{eid}/receipt", content=b"<html>x</html>").status_code == 422
    assert c.put(f"/api/v1/expenses/{eid}/receipt?filename=taxi.pdf", content=pdf).status_code == 200
    got = c.get(f"/api/v1/expenses/{eid}/receipt")
    assert got.status_code == 200 and got.content == pdf and got.headers["x-content-type-options"] == "nosniff"
    assert session.query(Document).filter(Document.kind == "expense_receipt").count() == 1  # in the database
    assert _as(client, people, "sales").get(f"/api/v1/expenses/{eid}/receipt").status_code == 403
    client.cookies.clear()
    assert client.get(f"/api/v1/expenses/{eid}/receipt").status_code == 401
    assert (
        client.get(f"/api/v1/expenses/{eid}/receipt", headers={"Authorization": f"Bearer {narrow}"}).status_code == 403
    )
    assert (
        _as(client, people, "delivery")
        .post(
            "/api/v1/cost-rates",
            json={
                "user_id": w.user.id,
                "effective_from": str(date(2026, 1, 1)),
                "amount_minor": 5000,
                "currency": "EUR",
            },
        )
        .status_code
        == 403
    )
    assert (
        _as(client, people, "owner")
        .post(
            "/api/v1/cost-rates",
            json={"user_id": w.user.id, "effective_from": "2026-01-01", "amount_minor": 5000, "currency": "EUR"},
        )
        .status_code
        == 201
    )
