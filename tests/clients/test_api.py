"""REST of the client record: list (items + next_cursor), one client with its summary,
PATCH, contacts, the statement (JSON and PDF), a deal created for a client; the role check."""

from __future__ import annotations

from datetime import timedelta

from l2c_app.billing import service as billing
from l2c_app.clients import service as clients
from l2c_app.core.auth import create_api_key, create_session, create_user
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.models import Account, Contact, Deal
from tests.clients.test_summary_and_statement import a_history


def _auth(session) -> dict:
    _, secret = create_api_key(session, "clients test")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _client():
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api

    return TestClient(build_api())


def test_client_with_summary_patch_and_contacts(session, world):
    a_history(session, world)
    h = _auth(session)
    api = _client()
    got = api.get(f"/api/v1/clients/{world.account.id}", headers=h)
    assert got.status_code == 200, got.text
    body = got.json()
    summary = clients.client_summary(session, world.account.id)
    assert body["summary"]["open_minor"] == summary["open_minor"] > 0
    assert body["summary"]["counts"]["invoices"] == 4
    bad = api.patch(f"/api/v1/clients/{world.account.id}", json={"payment_terms": "net_7"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "payment_terms", bad.text
    unknown = api.patch(f"/api/v1/clients/{world.account.id}", json={"notes": "x"}, headers=h)
    assert unknown.status_code == 422 and "notes" in unknown.text
    ok = api.patch(f"/api/v1/clients/{world.account.id}", json={"billing_email": "ap@client.test"}, headers=h)
    assert ok.status_code == 200 and ok.json()["billing_email"] == "ap@client.test"
    session.expire_all()
    assert session.get(Account, world.account.id).billing_email == "ap@client.test"  # committed
    made = api.post(
        f"/api/v1/clients/{world.account.id}/contacts",
        json={"name": "Ana", "email": "ana@c.test", "is_billing": True},
        headers=h,
    )
    assert made.status_code == 201 and made.json()["is_billing"] is True
    listed = api.get(f"/api/v1/clients/{world.account.id}/contacts?limit=1", headers=h).json()
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    rest = api.get(f"/api/v1/clients/{world.account.id}/contacts?cursor={listed['next_cursor']}", headers=h).json()
    assert {c["name"] for c in listed["items"] + rest["items"]} == {"Carl Client", "Ana"}
    assert api.get("/api/v1/clients/999999", headers=h).status_code == 404
    assert api.post("/api/v1/clients/999999/contacts", json={"name": "X"}, headers=h).status_code == 404


def test_list_pages_and_filters(session, world):
    a_history(session, world)
    for i in range(3):
        clients.create_client(session, _system(), f"Spare {i}")
    session.commit()
    h = _auth(session)
    api = _client()
    first = api.get("/api/v1/clients?limit=2", headers=h).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    ids = [r["id"] for r in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/api/v1/clients?limit=2&cursor={cursor}", headers=h).json()
        ids += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert ids == sorted(ids) and len(ids) == 4
    owing = api.get("/api/v1/clients?has_open_balance=true", headers=h).json()["items"]
    assert [r["id"] for r in owing] == [world.account.id]
    assert api.get("/api/v1/clients?cursor=%%%", headers=h).status_code == 422
    csv = api.get("/api/v1/clients.csv?has_open_balance=true", headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("id,name") and len(csv.text.splitlines()) == 2
    assert api.get("/api/v1/clients.csv").status_code == 401


def _system():
    from l2c_app.core.audit import SYSTEM

    return SYSTEM


def test_statement_json_and_pdf(session, world):
    a_history(session, world)
    h = _auth(session)
    api = _client()
    today = org_today(session)
    start = (today - timedelta(days=60)).isoformat()
    st = api.get(f"/api/v1/clients/{world.account.id}/statement?start={start}", headers=h)
    assert st.status_code == 200, st.text
    body = st.json()
    moved = sum(ln["debit_minor"] - ln["credit_minor"] for ln in body["lines"])
    assert body["opening_minor"] + moved == body["closing_minor"]
    pdf = api.get(f"/api/v1/clients/{world.account.id}/statement?format=pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-" and pdf.headers["content-type"] == "application/pdf"
    back = api.get(f"/api/v1/clients/{world.account.id}/statement?start={today}&end={start}", headers=h)
    assert back.status_code == 422 and back.json()["error"]["field"] == "start"


def test_post_deal_with_client_id(session, world):
    from l2c_app.pipeline.models import PipelineStage

    session.add(PipelineStage(name="New", kind="open", position=0))
    session.commit()
    h = _auth(session)
    api = _client()
    made = api.post("/api/v1/deals", json={"title": "Phase 2", "client_id": world.account.id, "value": 5000}, headers=h)
    assert made.status_code == 201, made.text
    deal = session.get(Deal, made.json()["id"])
    assert deal.account_id == world.account.id
    clash = api.post("/api/v1/deals", json={"title": "x", "client_id": world.account.id, "account_id": 999}, headers=h)
    assert clash.status_code == 422 and clash.json()["error"]["field"] == "client_id"


def test_roles(session, world):
    api = _client()
    assert api.get("/api/v1/clients").status_code == 401
    for role, code in (("delivery", 403), ("billing", 200), ("sales", 200)):
        user = create_user(session, name=f"{role} p", email=f"{role}@c.test", role=role, password="long-password-9")
        session.flush()
        cookie = create_session(session, user)
        session.commit()
        from l2c_app.core.auth import SESSION_COOKIE

        api.cookies.set(SESSION_COOKIE, cookie)
        assert api.get(f"/api/v1/clients/{world.account.id}").status_code == code, role
        api.cookies.clear()
    assert session.get(Contact, world.contact.id) is not None
    assert billing.OPEN_STATUSES
