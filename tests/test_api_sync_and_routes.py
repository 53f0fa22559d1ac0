"""Sync (`?updated_since=`) on every list route, and the routes issue 19 left: week submit,
restore of a removed draft line, contract templates and signers, project members and budget
lines, time entry edit/delete, change order send/decline. On SQLite and PostgreSQL.

The list routes are read from the OpenAPI document (a GET under /api/v1 with a `cursor`
parameter or an `items` answer), so a new list route cannot forget `updated_since`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from l2c_app.api.app import build_api
from l2c_app.core import timeutil
from tests.sales_fixtures import api_key, client, team  # noqa: F401
from tests.test_api_journey import test_whole_cycle_through_the_api_only as run_the_journey

# Computed proposals, not stored rows: sync their sources (time entries, milestones, expenses).
NOT_ROWS = {"/api/v1/projects/{project_id}/unbilled", "/api/v1/accounts/{account_id}/unbilled"}


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def list_routes(doc: dict) -> dict[str, list[str]]:
    """path -> its query parameter names, for every list route of the document."""
    found = {}
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not path.startswith("/api/v1/") or op is None or path in NOT_ROWS:
            continue
        params = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        answer = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        schema = _resolve(doc, answer.get("schema", {}))
        if "cursor" in params or "items" in schema.get("properties", {}):
            found[path] = params
    return found


DOC = build_api().openapi()
LISTS = list_routes(DOC)


def test_the_list_routes_are_found_and_every_one_takes_updated_since():
    assert {"/api/v1/leads", "/api/v1/deals", "/api/v1/quotes", "/api/v1/invoices", "/api/v1/payments",
            "/api/v1/time-entries", "/api/v1/tax-rates", "/api/v1/clients", "/api/v1/users"} <= set(LISTS)
    assert len(LISTS) >= 15, sorted(LISTS)
    missing = sorted(p for p, params in LISTS.items() if "updated_since" not in params)
    assert not missing, f"list routes without updated_since: {missing}"


def _ids(api, h) -> dict[str, int]:
    """A value for each path parameter of a list route, from the journey's world."""
    get = lambda p: api.get(p, headers=h).json()["items"]  # noqa: E731
    project_id = get("/api/v1/time-entries")[0]["project_id"]
    contract_id = get("/api/v1/contracts")[0]["id"]
    return {"client_id": get("/api/v1/clients")[0]["id"], "project_id": project_id, "contract_id": contract_id,
            "endpoint_id": api.post("/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/l2c",
                                                                      "event_types": ["invoice.issued"]},
                                    headers=h).json()["id"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_list_route_filters_by_updated_since(client, api_key, monkeypatch):  # noqa: F811
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")  # the endpoint below is on 127.0.0.1
    reset_settings()
    run_the_journey(client, api_key)
    h = {"Authorization": f"Bearer {api_key}"}
    ids = _ids(client, h)
    future = (timeutil.utcnow() + timedelta(days=1)).isoformat()
    wrong, with_rows = [], 0
    # every GET whose answer is a list (`items`), typed or not, is a list route too
    found = set(LISTS)
    for path, ops in DOC["paths"].items():
        if path.startswith("/api/v1/") and "get" in ops and path not in NOT_ROWS and "." not in path:
            try:
                url = path.format(**ids)
            except KeyError:
                continue
            r = client.get(url, headers=h)
            if r.status_code == 200 and r.headers["content-type"].startswith("application/json") \
                    and isinstance(r.json(), dict) and "items" in r.json():
                found.add(path)
    for path in sorted(found):
        url = path.format(**ids)
        every = client.get(url, params={"updated_since": "2000-01-01T00:00:00Z"}, headers=h)
        later = client.get(url, params={"updated_since": future}, headers=h)
        if every.status_code != 200 or later.status_code != 200:
            wrong.append(f"{path}: {every.status_code} {later.status_code} {later.text[:200]}")
            continue
        with_rows += bool(every.json()["items"])
        if later.json()["items"]:
            wrong.append(f"{path}: rows changed after {future}")
        plain = client.get(url, headers=h).json()["items"]
        if len(every.json()["items"]) != len(plain) and "next_cursor" not in every.json():
            wrong.append(f"{path}: an old updated_since drops rows")
    assert not wrong, "\n".join(wrong)
    assert with_rows >= 15  # the journey's world fills most lists: the filter was tested on rows
    reset_settings()


@pytest.fixture
def at(monkeypatch):
    """Stand at a chosen instant (the app's one clock)."""
    def stand(when: datetime) -> None:
        monkeypatch.setattr(timeutil, "clock", lambda: when)
    return stand


T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sync_pages_by_updated_at_then_id_and_an_update_moves_a_row_to_the_end(client, api_key, at):  # noqa: F811
    h = {"Authorization": f"Bearer {api_key}"}
    ids = []
    for i in range(5):
        at(T0 + timedelta(minutes=i // 2))  # two rows share each stamp: the id breaks the tie
        ids.append(client.post("/api/v1/leads", json={"name": f"Lead {i}", "email": f"l{i}@x.test"},
                               headers=h).json()["id"])
    at(T0 + timedelta(minutes=10))
    assert client.post(f"/api/v1/leads/{ids[0]}/convert", json={"title": "Moved"}, headers=h).status_code == 201

    def sync(since: datetime, limit: int) -> list[int]:
        seen, cursor = [], None
        while True:
            params = {"updated_since": since.isoformat(), "limit": limit, **({"cursor": cursor} if cursor else {})}
            got = client.get("/api/v1/leads", params=params, headers=h).json()
            seen += [r["id"] for r in got["items"]]
            cursor = got["next_cursor"]
            if not cursor:
                return seen

    assert sync(T0, 1) == sync(T0, 2) == [ids[1], ids[2], ids[3], ids[4], ids[0]]
    assert sync(T0 + timedelta(minutes=1), 1) == [ids[2], ids[3], ids[4], ids[0]]
    assert sync((T0 + timedelta(minutes=5)).replace(tzinfo=None), 2) == [ids[0]]  # naive reads as UTC
    # an id cursor is not a sync cursor (the order differs)
    plain = client.get("/api/v1/leads", params={"limit": 1}, headers=h).json()["next_cursor"]
    r = client.get("/api/v1/leads", params={"limit": 1, "cursor": plain, "updated_since": T0.isoformat()}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unpaged_list_filters_and_updated_at_stays_out_of_the_audit(client, api_key, session, at):  # noqa: F811
    from sqlmodel import select

    from l2c_app.core.models import AuditLog

    h = {"Authorization": f"Bearer {api_key}"}
    at(T0)
    old = client.post("/api/v1/tax-rates", json={"name": "Old", "percent": "5"}, headers=h).json()
    at(T0 + timedelta(hours=1))
    new = client.post("/api/v1/tax-rates", json={"name": "New", "percent": "10"}, headers=h).json()
    since = (T0 + timedelta(minutes=30)).isoformat()
    assert [r["id"] for r in client.get("/api/v1/tax-rates", params={"updated_since": since},
                                        headers=h).json()["items"]] == [new["id"]]
    at(T0 + timedelta(hours=2))
    assert client.patch(f"/api/v1/tax-rates/{old['id']}", json={"name": "Old, renamed"}, headers=h).status_code == 200
    assert [r["id"] for r in client.get("/api/v1/tax-rates", params={"updated_since": since},
                                        headers=h).json()["items"]] == [new["id"], old["id"]]
    rows = session.exec(select(AuditLog).where(AuditLog.entity == "taxrate")).all()
    assert rows and all("updated_at" not in (r.before or {}) and "updated_at" not in (r.after or {}) for r in rows)
