"""The delivery REST API: every status code of every route."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.api.app import build_api
from l2c_app.contracts.models import Contract
from l2c_app.core.auth import create_api_key, create_session
from l2c_app.projects.models import BudgetLine, ChangeOrder, TimeEntry


@pytest.fixture
def api(session, world):
    _, key = create_api_key(session, "integration")
    tokens = {u: create_session(session, getattr(world, u)) for u in ("owner", "dev", "sales", "biller")}
    session.commit()
    client = TestClient(build_api())
    client.key = {"Authorization": f"Bearer {key}"}
    client.tokens = tokens
    return client


def as_user(client, who):
    client.cookies.clear()
    client.cookies.set("l2c_session", client.tokens[who])
    return client


def test_create_project_statuses(api, session, world):
    url = f"/api/v1/contracts/{world.contract.id}/project"
    assert api.post(url).status_code == 401
    assert api.post(url, headers={"Authorization": "Bearer l2c_wrong"}).status_code == 401
    assert as_user(api, "sales").post(url).status_code == 403
    api.cookies.clear()
    assert api.post("/api/v1/contracts/999999/project", headers=api.key).status_code == 404
    draft = Contract(deal_id=world.deal.id, title="Draft", status="sent")
    session.add(draft)
    session.commit()
    r = api.post(f"/api/v1/contracts/{draft.id}/project", headers=api.key)
    assert r.status_code == 409 and r.json()["detail"].startswith("contract_id:")
    r = api.post(url, headers=api.key)
    assert r.status_code == 201
    body = r.json()
    assert body["planned_minor"] == 1248800 and body["currency"] == "EUR" and body["contract_id"] == world.contract.id
    again = api.post(url, headers=api.key)
    assert again.status_code == 409 and again.json()["detail"]["url"] == f"/projects/{body['id']}"


def test_get_project_statuses(api, world):
    pid = api.post(f"/api/v1/contracts/{world.contract.id}/project", headers=api.key).json()["id"]
    assert api.get(f"/api/v1/projects/{pid}").status_code == 401
    assert as_user(api, "sales").get(f"/api/v1/projects/{pid}").status_code == 403
    r = as_user(api, "dev").get(f"/api/v1/projects/{pid}")
    assert r.status_code == 200 and r.json()["budget"]["lines"][0]["role"] == "Senior developer"
    assert api.get("/api/v1/projects/999999").status_code == 404


def test_time_entries_statuses(api, session, world):
    pid = api.post(f"/api/v1/contracts/{world.contract.id}/project", headers=api.key).json()["id"]
    bl = session.exec(select(BudgetLine)).first().id
    cell = {"project_id": pid, "budget_line_id": bl, "date": "2026-11-23", "minutes": "1:30", "note": "setup"}
    assert api.post("/api/v1/time-entries", json=cell).status_code == 401
    assert api.post("/api/v1/time-entries", json=cell, headers=api.key).status_code == 422  # no user_id
    dev = as_user(api, "dev")
    r = dev.post("/api/v1/time-entries", json=cell)
    assert r.status_code == 201 and r.json()["minutes"] == 90 and r.json()["user_id"] == world.dev.id
    assert dev.post("/api/v1/time-entries", json={**cell, "minutes": 120}).status_code == 200
    assert dev.post("/api/v1/time-entries", json={**cell, "user_id": world.owner.id}).status_code == 403
    bad = dev.post("/api/v1/time-entries", json={**cell, "minutes": "lots"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("minutes:")
    # a bare "23" is ambiguous (hours or minutes?): refused; "23h" says it
    over = dev.post("/api/v1/time-entries", json={**cell, "budget_line_id": None, "minutes": "23h"})
    assert over.status_code == 422 and "24 h" in over.json()["detail"]
    assert dev.post("/api/v1/time-entries", json={**cell, "project_id": 999999}).status_code == 404
    assert dev.post("/api/v1/time-entries", json={"project_id": pid}).status_code == 422  # pydantic
    # list: own entries for a person, filters and pagination
    listed = dev.get("/api/v1/time-entries", params={"from": "2026-11-23", "to": "2026-11-29"})
    assert listed.status_code == 200 and [e["minutes"] for e in listed.json()["items"]] == [120]
    # delivery may read the team's time (leads approve it); sales only their own
    assert dev.get("/api/v1/time-entries", params={"user_id": world.owner.id}).status_code == 200
    assert as_user(api, "sales").get("/api/v1/time-entries", params={"user_id": world.dev.id}).status_code == 403
    api.cookies.clear()
    assert api.get("/api/v1/time-entries").status_code == 401
    assert api.get("/api/v1/time-entries", headers=api.key, params={"limit": 0}).status_code == 422
    # a locked (approved) cell: 409
    entry = session.exec(select(TimeEntry)).one()
    from l2c_app.core.timeutil import utcnow

    entry.approved_at = utcnow()
    session.add(entry)
    session.commit()
    assert as_user(api, "dev").post("/api/v1/time-entries", json=cell).status_code == 409
    cleared = as_user(api, "owner").post("/api/v1/time-entries", json={**cell, "minutes": 0, "date": "2026-11-24"})
    assert cleared.status_code == 200 and cleared.json()["cleared"] is True


def test_change_order_statuses(api, session, world):
    pid = api.post(f"/api/v1/contracts/{world.contract.id}/project", headers=api.key).json()["id"]
    url = f"/api/v1/projects/{pid}/change-orders"
    body = {"description": "Extra page", "amount_minor": 50000}
    assert api.post(url, json=body).status_code == 401
    assert as_user(api, "sales").post(url, json=body).status_code == 403
    api.cookies.clear()
    assert api.post("/api/v1/projects/999999/change-orders", json=body, headers=api.key).status_code == 404
    bad = api.post(url, json={"description": "X", "amount_minor": 0}, headers=api.key)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("amount_minor:")
    r = api.post(url, json={**body, "send_to": "carla@globex.test"}, headers=api.key)
    assert r.status_code == 201 and r.json()["status"] == "sent" and r.json()["billable"] is False
    hours = api.post(
        url,
        json={"description": "Migration", "kind": "hours", "minutes": "10h", "rate_minor": 10000, "role": "Data"},
        headers=api.key,
    )
    assert hours.status_code == 201 and hours.json()["amount_minor"] == 100000
    co = r.json()["id"]
    approve = f"/api/v1/change-orders/{co}/approve"
    assert api.post(approve, json={"name": "Carla"}).status_code == 401
    assert as_user(api, "sales").post(approve, json={"name": "Carla"}).status_code == 403
    api.cookies.clear()
    assert api.post("/api/v1/change-orders/999999/approve", json={"name": "Carla"}, headers=api.key).status_code == 404
    assert api.post(approve, json={}, headers=api.key).status_code == 422
    assert api.post(approve, json={"name": " "}, headers=api.key).json()["detail"].startswith("name:")
    ok = api.post(approve, json={"name": "Carla Client"}, headers=api.key)
    assert ok.status_code == 200 and ok.json()["billable"] is True
    assert api.post(approve, json={"name": "Carla Client"}, headers=api.key).status_code == 409
    project = api.get(f"/api/v1/projects/{pid}", headers=api.key).json()
    assert project["budget_with_change_orders_minor"] == 1248800 + 50000
    assert session.exec(select(ChangeOrder).where(ChangeOrder.id == co)).one().status == "approved"
