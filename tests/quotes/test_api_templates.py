"""Typed routes for Duplicate and quote templates: what they answer, and errors naming the field."""

from fastapi.testclient import TestClient

from l2c_app.api.app import build_api
from tests.quotes.test_api import api, new_quote  # noqa: F401  (the API client fixture)


def test_duplicate_save_as_template_and_a_quote_from_it(api):  # noqa: F811
    client, w, delivery_token = api
    q = new_quote(client, w).json()
    r = client.post(f"/api/v1/quotes/{q['id']}/duplicate")
    assert r.status_code == 201, r.text
    copy = r.json()
    assert (copy["deal_id"], copy["number"], copy["version"], copy["status"]) == (w.deal.id, 2, 1, "draft")
    assert copy["total_minor"] == q["totals"]["total_minor"]
    assert client.post("/api/v1/quotes/999999/duplicate").status_code == 404

    r = client.post("/api/v1/quote-templates", json={"quote_id": q["id"], "name": "Workshop pack"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["name"], t["line_count"], t["sections"]) == ("Workshop pack", 2, ["Phase 1"])
    again = client.post("/api/v1/quote-templates", json={"quote_id": q["id"], "name": "Workshop pack"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "name"
    assert client.post("/api/v1/quote-templates", json={"quote_id": q["id"], "name": ""}).status_code == 422
    assert (
        client.post("/api/v1/quote-templates", json={"quote_id": q["id"], "name": "x", "extra": 1}).status_code == 422
    )
    listed = client.get("/api/v1/quote-templates").json()
    assert [i["name"] for i in listed["items"]] == ["Workshop pack"] and listed["next_cursor"] is None

    r = client.post(f"/api/v1/quote-templates/{t['id']}/quotes", json={"deal_id": w.deal.id})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["number"], made["status"], made["total_minor"]) == (3, "draft", q["totals"]["total_minor"])
    view = client.get(f"/api/v1/quotes/{made['id']}").json()
    assert [ln["description"] for ln in view["lines"]] == ["Workshop", "Support"]
    missing = client.post("/api/v1/quote-templates/999999/quotes", json={"deal_id": w.deal.id})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "template_id"
    # a delivery user has no quotes section
    delivery = TestClient(build_api(), cookies={"l2c_session": delivery_token})
    assert delivery.get("/api/v1/quote-templates").status_code == 403
    assert delivery.post(f"/api/v1/quotes/{q['id']}/duplicate").status_code == 403
