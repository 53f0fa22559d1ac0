"""HTTP API of the pipeline: GET/POST /api/v1/deals, GET/PATCH /api/v1/deals/{id}."""

from __future__ import annotations

from sqlmodel import select

from l2c_app.pipeline.models import Activity, StageChange


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def stages(client, key):
    return {s["name"]: s["id"] for s in client.get("/api/v1/stages", headers=bearer(key)).json()["items"]}


def new_deal(client, key, **extra):
    r = client.post("/api/v1/deals", headers=bearer(key), json={"title": "Website", "value": 250000, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_create_get_and_list(client, team, api_key):
    assert client.get("/api/v1/deals").status_code == 401
    deal = new_deal(client, api_key, owner_email="sam@acme.test", expected_close="2026-12-31")
    s = stages(client, api_key)
    assert (deal["stage_id"], deal["owner_email"], deal["value"], deal["currency"]) == (
        s["New"],
        "sam@acme.test",
        250000,
        "EUR",
    )
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=bearer(api_key)).json()["title"] == "Website"
    assert client.get("/api/v1/deals/999", headers=bearer(api_key)).status_code == 404
    listed = client.get("/api/v1/deals", headers=bearer(api_key), params={"status": "open"}).json()
    assert [d["id"] for d in listed["items"]] == [deal["id"]] and listed["next_cursor"] is None


def test_create_names_the_bad_field(client, team, api_key):
    for body, field in [
        ({"title": ""}, "title"),
        ({"title": "X", "value": "lots"}, "value"),
        ({"title": "X", "expected_close": "soon"}, "expected_close"),
        ({"title": "X", "colour": "red"}, "colour"),
        ({"title": "X", "owner_email": "ghost@acme.test"}, "owner_email"),
    ]:
        r = client.post("/api/v1/deals", headers=bearer(api_key), json=body)
        assert r.status_code == 422 and r.json()["detail"].startswith(field), (body, r.text)


def test_patch_stage_is_recorded_like_a_board_move(client, team, api_key, session):
    deal = new_deal(client, api_key)
    s = stages(client, api_key)
    r = client.patch(f"/api/v1/deals/{deal['id']}", headers=bearer(api_key), json={"stage_id": s["Proposal"]})
    assert r.status_code == 200 and r.json()["stage_id"] == s["Proposal"]
    moves = session.exec(select(StageChange).where(StageChange.deal_id == deal["id"]).order_by(StageChange.id)).all()
    assert [(m.from_stage_id, m.to_stage_id, m.via) for m in moves] == [
        (None, s["New"], "api"),
        (s["New"], s["Proposal"], "api"),
    ]
    assert any("Proposal" in a.subject for a in session.exec(select(Activity).where(Activity.deal_id == deal["id"])))


def test_patch_lost_needs_a_reason_and_won_closes(client, team, api_key):
    deal = new_deal(client, api_key)
    r = client.patch(f"/api/v1/deals/{deal['id']}", headers=bearer(api_key), json={"status": "lost"})
    assert r.status_code == 422 and r.json()["detail"].startswith("lost_reason")
    r = client.patch(f"/api/v1/deals/{deal['id']}", headers=bearer(api_key), json={"status": "won"})
    assert r.status_code == 200 and r.json()["status"] == "won" and r.json()["closed_at"]


def test_patch_fields_and_errors(client, team, api_key):
    deal = new_deal(client, api_key)
    r = client.patch(
        f"/api/v1/deals/{deal['id']}",
        headers=bearer(api_key),
        json={"value": 99, "title": "Renamed", "owner_email": "sofia@acme.test"},
    )
    assert r.status_code == 200 and (r.json()["value"], r.json()["title"], r.json()["owner_email"]) == (
        99,
        "Renamed",
        "sofia@acme.test",
    )
    assert client.patch("/api/v1/deals/999", headers=bearer(api_key), json={"value": 1}).status_code == 404
    r = client.patch(f"/api/v1/deals/{deal['id']}", headers=bearer(api_key), json={"probability": 140})
    assert r.status_code == 422 and r.json()["detail"].startswith("probability")
    assert client.patch(f"/api/v1/deals/{deal['id']}", json={"value": 1}).status_code == 401


def test_a_role_without_pipeline_gets_403(client, team, session):
    from l2c_app.core.auth import create_session, create_user

    user = create_user(session, name="Bea", email="bea@acme.test", role="billing", password="long-password-9")
    token = create_session(session, user)
    session.commit()
    client.cookies.set("l2c_session", token)
    assert client.get("/api/v1/deals").status_code == 403
    assert client.post("/api/v1/deals", json={"title": "X"}).status_code == 403
