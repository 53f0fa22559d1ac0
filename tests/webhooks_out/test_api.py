"""`/api/v1/webhook-endpoints`: create (secret once), list (items + next_cursor), rotate, the
delivery log, replay, delete; errors name the field; private targets refused without the setting."""

from __future__ import annotations

from standardwebhooks import Webhook

from l2c_app.core.db import session_scope
from l2c_app.webhooks_out import service

BASE = "/api/v1/webhook-endpoints"


def _auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def test_the_endpoint_lifecycle_over_the_api(client, api_key, allow_private, receiver):
    h = _auth(api_key)
    created = client.post(
        BASE, json={"url": receiver.url, "event_types": ["invoice.paid"], "description": "ERP"}, headers=h
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret, endpoint_id = body["secret"], body["id"]
    assert secret.startswith("whsec_") and body["event_types"] == ["invoice.paid"] and body["enabled"]

    listed = client.get(BASE, headers=h).json()
    assert listed["next_cursor"] is None and [e["id"] for e in listed["items"]] == [endpoint_id]
    assert "secret" not in listed["items"][0] and "secret_enc" not in listed["items"][0]
    assert "secret" not in client.get(f"{BASE}/{endpoint_id}", headers=h).json()

    with session_scope() as s:
        service.fan_out(s, "invoice.paid", "evt_api", {"invoice_id": 1, "paid_minor": 100, "currency": "EUR"})
    service.deliver_due()
    log = client.get(f"{BASE}/{endpoint_id}/deliveries", headers=h).json()
    (entry,) = log["items"]
    assert (entry["status"], entry["response_code"], entry["attempts"]) == ("delivered", 200, 1)
    Webhook(secret).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])

    replayed = client.post(f"{BASE}/{endpoint_id}/deliveries/{entry['id']}/replay", headers=h)
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    assert len(receiver.requests) == 2  # sent after the commit, once the answer went out
    assert service.deliver_due() == 0

    rotated = client.post(f"{BASE}/{endpoint_id}/rotate-secret", headers=h).json()
    assert rotated["secret"] != secret and rotated["previous_secret_valid_until"]

    disabled = client.patch(f"{BASE}/{endpoint_id}", json={"enabled": False}, headers=h).json()
    assert disabled["enabled"] is False
    refused = client.post(f"{BASE}/{endpoint_id}/deliveries/{entry['id']}/replay", headers=h)
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "endpoint_id"

    assert client.delete(f"{BASE}/{endpoint_id}", headers=h).status_code == 204
    assert client.get(f"{BASE}/{endpoint_id}", headers=h).status_code == 404
    assert client.get(f"{BASE}/{endpoint_id}/deliveries", headers=h).status_code == 404


def test_errors_name_the_field(client, api_key, monkeypatch):
    h = _auth(api_key)
    private = client.post(BASE, json={"url": "http://127.0.0.1:9/x"}, headers=h)
    assert private.status_code == 422
    assert private.json()["error"]["field"] == "url" and private.json()["error"]["code"] == "url.private"
    scheme = client.post(BASE, json={"url": "gopher://example.com/"}, headers=h)
    assert scheme.status_code == 422 and scheme.json()["detail"].startswith("url:")
    # a public address is accepted (resolved at save time; nothing is sent before an event)
    monkeypatch.setattr("l2c_app.webhooks_out.targets.resolve", lambda host, port: ["93.184.215.14"])
    ok = client.post(BASE, json={"url": "https://hooks.example.com/l2c", "event_types": ["bogus.type"]}, headers=h)
    assert ok.status_code == 422 and ok.json()["error"]["field"] == "event_types"
    assert client.post(BASE, json={"url": "https://hooks.example.com/l2c"}, headers=h).status_code == 201
    assert client.get(f"{BASE}/1/deliveries?status=lost", headers=h).json()["error"]["field"] == "status"


def test_the_delivery_log_pages_newest_first(client, api_key, allow_private, receiver):
    h = _auth(api_key)
    endpoint_id = client.post(BASE, json={"url": receiver.url}, headers=h).json()["id"]
    with session_scope() as s:
        for n in range(5):
            service.fan_out(s, "lead.created", f"evt_{n}", {"lead_id": n})
    first = client.get(f"{BASE}/{endpoint_id}/deliveries?limit=3", headers=h).json()
    assert [d["event_id"] for d in first["items"]] == ["evt_4", "evt_3", "evt_2"] and first["next_cursor"]
    rest = client.get(f"{BASE}/{endpoint_id}/deliveries?limit=3&cursor={first['next_cursor']}", headers=h).json()
    assert [d["event_id"] for d in rest["items"]] == ["evt_1", "evt_0"] and rest["next_cursor"] is None
