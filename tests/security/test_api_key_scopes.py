"""API key scopes and the per-key rate limit (api/scopes.py).

The write routes are listed from the OpenAPI document (as the route matrix does), so a new
route cannot forget its scope: a read-only key gets 403 on every one of them, and is let
through (not 401/403) on every read route.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from l2c_app.api import scopes
from l2c_app.core.auth import create_api_key
from tests.security.test_route_matrix import APP, OPERATIONS, _url


def _key(session, scope_list, limit=None) -> str:
    row, secret = create_api_key(session, f"key {scope_list}")
    row.scopes, row.rate_limit_per_minute = scope_list, limit
    session.commit()
    return secret


@pytest.fixture(autouse=True)
def _fresh_counts():
    scopes.reset()
    yield
    scopes.reset()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_read_only_key_gets_403_on_every_write_route(session, team):
    read_only = {"Authorization": f"Bearer {_key(session, ['*:read'])}"}
    client = TestClient(APP, raise_server_exceptions=False)
    wrong, writes, reads = [], 0, 0
    for method, path, sections in OPERATIONS:
        if sections is None:
            continue
        kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
        status = client.request(method, _url(path), headers=read_only, **kwargs).status_code
        if method in ("GET", "HEAD"):
            reads += 1
            if status in (401, 403) or status >= 500:
                wrong.append(f"{method} {path}: {status}, a read-only key may read")
        else:
            writes += 1
            if status != 403:
                wrong.append(f"{method} {path}: {status}, expected 403 for a read-only key")
    assert not wrong, "\n".join(wrong)
    assert writes > 40 and reads > 20


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_section_scope_opens_that_section_only(session, team):
    billing = {"Authorization": f"Bearer {_key(session, ['billing:write'])}"}
    client = TestClient(APP, raise_server_exceptions=False)
    assert client.post("/api/v1/invoices/999/issue", headers=billing).status_code == 404  # past the scope
    assert client.get("/api/v1/invoices", headers=billing).status_code == 200  # write includes read
    assert client.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}, headers=billing).status_code == 403
    assert client.get("/api/v1/quotes", headers=billing).status_code == 403
    # a scoped key cannot mint a key with more than it holds
    settings = {"Authorization": f"Bearer {_key(session, ['settings:write'])}"}
    r = client.post("/api/v1/api-keys", json={"name": "wider"}, headers=settings)
    assert r.status_code == 403
    r = client.post("/api/v1/api-keys", json={"name": "same", "scopes": ["settings:read"]}, headers=settings)
    assert r.status_code == 201 and r.json()["scopes"] == ["settings:read"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_keys_are_created_listed_with_last_use_and_revoked(client, session, team, api_key):
    owner = {"Authorization": f"Bearer {api_key}"}
    r = client.post(
        "/api/v1/api-keys", json={"name": "n8n", "scopes": ["quotes:write", "invoices:read"]}, headers=owner
    )
    assert r.status_code == 201
    new = r.json()
    assert new["secret"].startswith("l2c_") and new["last_used_at"] is None
    assert (
        client.post("/api/v1/api-keys", json={"name": "bad", "scopes": ["quotes:delete"]}, headers=owner).status_code
        == 422
    )
    assert client.get("/api/v1/quotes", headers={"Authorization": f"Bearer {new['secret']}"}).status_code == 200
    listed = {k["id"]: k for k in client.get("/api/v1/api-keys", headers=owner).json()["items"]}
    assert listed[new["id"]]["last_used_at"] is not None
    assert client.delete(f"/api/v1/api-keys/{new['id']}", headers=owner).json()["revoked_at"] is not None
    assert client.get("/api/v1/quotes", headers={"Authorization": f"Bearer {new['secret']}"}).status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_rate_limit_answers_429_with_retry_after(client, session, team):
    limited = {"Authorization": f"Bearer {_key(session, None, limit=3)}"}
    other = {"Authorization": f"Bearer {_key(session, None)}"}
    statuses = [client.get("/api/v1/quotes", headers=limited).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    r = client.get("/api/v1/quotes", headers=limited)
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert client.get("/api/v1/quotes", headers=other).status_code == 200  # each key has its own budget


def test_the_window_resets_each_minute():
    assert [scopes.hit("k7", 2, now=120.0 + i) for i in range(3)] == [0, 0, 58]
    assert scopes.hit("k7", 2, now=180.0) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_key_cannot_revoke_itself(client, session, team, api_key):
    listed = client.get("/api/v1/api-keys", headers={"Authorization": f"Bearer {api_key}"}).json()["items"]
    r = client.delete(f"/api/v1/api-keys/{listed[0]['id']}", headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 409
    assert client.get("/api/v1/quotes", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
