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

# Computed figures, not stored rows: proposals (sync their sources: time entries, milestones,
# expenses) and a client's credit balance per currency (sync the payments and credit notes).
NOT_ROWS = {
    "/api/v1/projects/{project_id}/unbilled",
    "/api/v1/accounts/{account_id}/unbilled",
    "/api/v1/accounts/{account_id}/credit",
}


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
    assert {
        "/api/v1/leads",
        "/api/v1/deals",
        "/api/v1/quotes",
        "/api/v1/invoices",
        "/api/v1/payments",
        "/api/v1/time-entries",
        "/api/v1/tax-rates",
        "/api/v1/clients",
        "/api/v1/users",
    } <= set(LISTS)
    assert len(LISTS) >= 15, sorted(LISTS)
    missing = sorted(p for p, params in LISTS.items() if "updated_since" not in params)
    assert not missing, f"list routes without updated_since: {missing}"


def _ids(api, h) -> dict[str, int]:
    """A value for each path parameter of a list route, from the journey's world."""
    get = lambda p: api.get(p, headers=h).json()["items"]  # noqa: E731
    project_id = get("/api/v1/time-entries")[0]["project_id"]
    contract_id = get("/api/v1/contracts")[0]["id"]
    return {
        "client_id": get("/api/v1/clients")[0]["id"],
        "project_id": project_id,
        "contract_id": contract_id,
        "invoice_id": get("/api/v1/invoices")[0]["id"],
        "endpoint_id": api.post(
            "/api/v1/webhook-endpoints",
            json={"url": "http://127.0.0.1:9/l2c", "event_types": ["invoice.issued"]},
            headers=h,
        ).json()["id"],
    }


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
            if (
                r.status_code == 200
                and r.headers["content-type"].startswith("application/json")
                and isinstance(r.json(), dict)
                and "items" in r.json()
            ):
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
        ids.append(
            client.post("/api/v1/leads", json={"name": f"Lead {i}", "email": f"l{i}@x.test"}, headers=h).json()["id"]
        )
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
    assert [
        r["id"] for r in client.get("/api/v1/tax-rates", params={"updated_since": since}, headers=h).json()["items"]
    ] == [new["id"]]
    at(T0 + timedelta(hours=2))
    assert client.patch(f"/api/v1/tax-rates/{old['id']}", json={"name": "Old, renamed"}, headers=h).status_code == 200
    assert [
        r["id"] for r in client.get("/api/v1/tax-rates", params={"updated_since": since}, headers=h).json()["items"]
    ] == [new["id"], old["id"]]
    rows = session.exec(select(AuditLog).where(AuditLog.entity == "taxrate")).all()
    assert rows and all("updated_at" not in (r.before or {}) and "updated_at" not in (r.after or {}) for r in rows)


# --- the routes issue 19 left, on the journey's world (SQLite and PostgreSQL) -------------------


class Http:
    def __init__(self, http, key: str):
        self.client, self.h, self.n = http, {"Authorization": f"Bearer {key}"}, 0

    def __call__(self, method: str, path: str, body: dict | None = None, expect: int = 200, **params):
        headers = dict(self.h)
        if method == "POST":
            self.n += 1
            headers["Idempotency-Key"] = f"routes-{self.n}"
        r = self.client.request(method, path, json=body, headers=headers, params=params or None)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


def _world(http, key: str):
    run_the_journey(http, key)
    api = Http(http, key)
    project_id = api("GET", "/api/v1/time-entries")["items"][0]["project_id"]
    dev_id = api("GET", "/api/v1/time-entries")["items"][0]["user_id"]
    return api, project_id, dev_id


def test_templates_and_the_signers_of_a_draft(client, api_key):  # noqa: F811
    api, _, dev_id = _world(client, api_key)
    t = api(
        "POST",
        "/api/v1/contract-templates",
        {"name": "Short form", "body": "Agreement for {{client.name}}."},
        expect=201,
    )
    assert t["fields"] == ["client.name"] and t["is_default"] is False
    assert (
        api("POST", "/api/v1/contract-templates", {"name": "Bad", "body": "{{nope.field}}"}, expect=422)["error"][
            "field"
        ]
        == "body"
    )
    t = api("PATCH", f"/api/v1/contract-templates/{t['id']}", {"name": "Short", "is_default": True})
    assert (t["name"], t["is_default"], t["body"]) == ("Short", True, "Agreement for {{client.name}}.")
    listed = api("GET", "/api/v1/contract-templates")["items"]
    assert [x["is_default"] for x in listed if x["id"] == t["id"]] == [True]
    assert sum(x["is_default"] for x in listed) == 1
    # a contract from the template, then its signers while it is a draft
    deal_id = api("GET", "/api/v1/deals")["items"][0]["id"]
    c = api("POST", "/api/v1/contracts", {"deal_id": deal_id, "template_id": t["id"]}, expect=201)
    assert c["status"] == "draft"
    before = api("GET", f"/api/v1/contracts/{c['id']}/signers")["items"]
    s = api(
        "POST",
        f"/api/v1/contracts/{c['id']}/signers",
        {"kind": "signer", "name": "Bea Buyer", "email": "bea@client.test"},
        expect=201,
    )
    cs = api("POST", f"/api/v1/contracts/{c['id']}/signers", {"kind": "countersigner", "user_id": dev_id}, expect=201)
    assert cs["routing_order"] > s["routing_order"] and cs["name"] == "Dana Dev"
    assert api(
        "POST",
        f"/api/v1/contracts/{c['id']}/signers",
        {"kind": "signer", "name": "Bea", "email": "bea@client.test"},
        expect=422,
    )
    ids = [x["id"] for x in api("GET", f"/api/v1/contracts/{c['id']}/signers")["items"]]
    assert ids == [x["id"] for x in before] + [s["id"], cs["id"]]
    api("DELETE", f"/api/v1/contracts/{c['id']}/signers/{s['id']}", expect=204)
    assert s["id"] not in [x["id"] for x in api("GET", f"/api/v1/contracts/{c['id']}/signers")["items"]]
    completed = api("GET", "/api/v1/contracts", status="completed")["items"][0]
    signer = completed["signers"][0]["id"]
    api("DELETE", f"/api/v1/contracts/{completed['id']}/signers/{signer}", expect=422)  # signed: not a draft
    api("DELETE", f"/api/v1/contracts/{c['id']}/signers/{signer}", expect=404)  # another contract's signer
    api("DELETE", f"/api/v1/contract-templates/{t['id']}", expect=204)
    api("GET", f"/api/v1/contract-templates/{t['id']}", expect=404)


def test_members_budget_lines_time_edits_weeks_and_change_orders(client, api_key):  # noqa: F811
    api, pid, dev_id = _world(client, api_key)
    # budget lines: 10 h at 120.00 = 1 200.00 (core.lines.time_amount); quoted lines keep their money
    bl = api(
        "POST",
        f"/api/v1/projects/{pid}/budget-lines",
        {"role": "QA", "budget_minutes": 600, "rate_minor": 12000},
        expect=201,
    )
    assert (bl["amount_minor"], bl["from_quote"]) == (120000, False)
    # a retry with the same Idempotency-Key adds nothing twice
    retry = client.post(
        f"/api/v1/projects/{pid}/budget-lines",
        json={"role": "QA", "budget_minutes": 600, "rate_minor": 12000},
        headers={**api.h, "Idempotency-Key": f"routes-{api.n}"},
    )
    assert retry.status_code == 201 and retry.json()["id"] == bl["id"]
    assert [b["role"] for b in api("GET", f"/api/v1/projects/{pid}/budget-lines")["items"]].count("QA") == 1
    bl = api("PATCH", f"/api/v1/projects/{pid}/budget-lines/{bl['id']}", {"budget_minutes": 90})
    assert bl["amount_minor"] == 18000  # 1.5 h x 120.00
    quoted = next(b for b in api("GET", f"/api/v1/projects/{pid}/budget-lines")["items"] if b["from_quote"])
    assert (
        api("PATCH", f"/api/v1/projects/{pid}/budget-lines/{quoted['id']}", {"rate_minor": 1}, expect=409)["error"][
            "field"
        ]
        == "budget_minutes"
    )
    assert (
        api("PATCH", f"/api/v1/projects/{pid}/budget-lines/{quoted['id']}", {"role": "Developer (senior)"})[
            "amount_minor"
        ]
        == quoted["amount_minor"]
    )
    api("DELETE", f"/api/v1/projects/{pid}/budget-lines/{quoted['id']}", expect=409)
    # members: the developer at their own rate
    m = api(
        "POST",
        f"/api/v1/projects/{pid}/members",
        {"user_id": dev_id, "budget_line_id": bl["id"], "rate_minor": 10000},
        expect=201,
    )
    assert (m["rate_minor"], m["effective_rate_minor"]) == (10000, 10000)
    m = api("POST", f"/api/v1/projects/{pid}/members", {"user_id": dev_id, "budget_line_id": bl["id"]}, expect=201)
    assert (m["rate_minor"], m["effective_rate_minor"]) == (None, 12000)  # back to the role's rate
    api("DELETE", f"/api/v1/projects/{pid}/budget-lines/{bl['id']}", expect=409)  # a member bills under it
    members = api("GET", f"/api/v1/projects/{pid}/members")["items"]
    assert [x["user_id"] for x in members].count(dev_id) == 1
    api("DELETE", f"/api/v1/projects/{pid}/members/{m['id']}", expect=204)
    assert dev_id not in [x["user_id"] for x in api("GET", f"/api/v1/projects/{pid}/members")["items"]]
    api("DELETE", f"/api/v1/projects/{pid}/budget-lines/{bl['id']}", expect=204)

    # time entry edit / delete, then submit, approve (locks), reopen (withdraws the submission)
    week = "2026-11-16"
    dev_line = next(b for b in api("GET", f"/api/v1/projects/{pid}/budget-lines")["items"] if b["from_quote"])
    e1 = api(
        "POST",
        "/api/v1/time-entries",
        {"project_id": pid, "date": week, "minutes": 60, "budget_line_id": dev_line["id"], "user_id": dev_id},
        expect=201,
    )
    e2 = api(
        "POST",
        "/api/v1/time-entries",
        {"project_id": pid, "date": "2026-11-17", "minutes": 30, "budget_line_id": dev_line["id"], "user_id": dev_id},
        expect=201,
    )
    e1 = api("PATCH", f"/api/v1/time-entries/{e1['id']}", {"minutes": "2:00", "note": "Checkout flow"})
    assert (e1["minutes"], e1["note"], e1["day_minutes"], e1["rate_minor"]) == (120, "Checkout flow", 120, 9500)
    api("DELETE", f"/api/v1/time-entries/{e2['id']}", expect=204)
    api("DELETE", f"/api/v1/time-entries/{e2['id']}", expect=404)
    status = api("GET", "/api/v1/weeks/status", week=week, user_id=dev_id)
    assert (status["status"], status["minutes"]) == ("open", 120)
    assert (
        api("POST", "/api/v1/weeks/submit", {"week": "2026-11-09", "user_id": dev_id}, expect=422)["error"]["field"]
        == "week"
    )  # nothing logged
    sub = api("POST", "/api/v1/weeks/submit", {"week": "2026-11-18", "user_id": dev_id})
    # the week is named by its first day in the organisation's locale: Sunday for en-US (the default)
    assert (sub["status"], sub["week"], sub["entries"]) == ("submitted", "2026-11-15", 1) and sub["submitted_at"]
    api("POST", "/api/v1/weeks/submit", {"week": week, "user_id": dev_id}, expect=409)
    body = {"user_id": dev_id, "week": week}
    assert api("POST", f"/api/v1/projects/{pid}/weeks/approve", body)["approved_entries"] == 1
    assert api("GET", "/api/v1/weeks/status", week=week, user_id=dev_id, project_id=pid)["status"] == "approved"
    api("PATCH", f"/api/v1/time-entries/{e1['id']}", {"minutes": 90}, expect=409)
    api("DELETE", f"/api/v1/time-entries/{e1['id']}", expect=409)
    api("POST", f"/api/v1/projects/{pid}/weeks/reopen", body)
    assert api("GET", "/api/v1/weeks/status", week=week, user_id=dev_id)["status"] == "open"  # withdrawn
    assert api("PATCH", f"/api/v1/time-entries/{e1['id']}", {"billable": True})["minutes"] == 120
    api("POST", "/api/v1/weeks/submit", {"week": week, "user_id": dev_id})
    api("POST", f"/api/v1/projects/{pid}/weeks/approve", body)

    # change orders: send, decline
    co = api(
        "POST",
        f"/api/v1/projects/{pid}/change-orders",
        {"description": "Extra page", "amount_minor": 40000},
        expect=201,
    )
    sent = api("POST", f"/api/v1/change-orders/{co['id']}/send", {"to": "carl@client.test"})
    assert (sent["status"], sent["amount_minor"]) == ("sent", 40000)
    declined = api("POST", f"/api/v1/change-orders/{co['id']}/decline", {"reason": "Not now"})
    assert declined["status"] == "declined"
    api("POST", f"/api/v1/change-orders/{co['id']}/send", {}, expect=409)
    api("POST", f"/api/v1/change-orders/{co['id']}/decline", {}, expect=409)
    api("POST", "/api/v1/change-orders/999999/send", {}, expect=404)

    # restore a removed draft line: the time (2 h x 95.00 = 190.00) is unbilled on removal, billed on restore
    inv = api("POST", f"/api/v1/projects/{pid}/invoices", {}, expect=201)
    assert inv["status"] == "draft" and inv["subtotal_minor"] == 19000 and inv["tax_minor"] == 3800
    inv = api(
        "POST",
        f"/api/v1/invoices/{inv['id']}/lines",
        {"description": "Hosting", "amount_minor": 5000, "tax_percent": "20"},
        expect=201,
    )
    assert (inv["subtotal_minor"], inv["tax_minor"], inv["total_minor"]) == (24000, 4800, 28800)
    time_line = next(ln for ln in inv["lines"] if ln["amount_minor"] == 19000)
    inv = api("DELETE", f"/api/v1/invoices/{inv['id']}/lines/{time_line['id']}")
    assert (inv["subtotal_minor"], inv["tax_minor"], inv["total_minor"]) == (5000, 1000, 6000)
    assert sum(c["amount_minor"] for c in api("GET", f"/api/v1/projects/{pid}/unbilled")["items"]) == 19000
    removed = api("GET", f"/api/v1/invoices/{inv['id']}/removed-lines")["items"]
    assert [(r["description"], r["amount_minor"], r["sources"]) for r in removed] == [
        (time_line["description"], 19000, 1)
    ]
    inv = api("POST", f"/api/v1/invoices/{inv['id']}/removed-lines/{removed[0]['id']}/restore")
    assert (inv["subtotal_minor"], inv["tax_minor"], inv["total_minor"]) == (24000, 4800, 28800)
    assert api("GET", f"/api/v1/projects/{pid}/unbilled")["items"] == []
    assert api("GET", f"/api/v1/invoices/{inv['id']}/removed-lines")["items"] == []
    api("POST", f"/api/v1/invoices/{inv['id']}/removed-lines/{removed[0]['id']}/restore", expect=409)
    # removed again, billed by another draft meanwhile: the restore is refused (billed once)
    back = next(ln for ln in inv["lines"] if ln["amount_minor"] == 19000)
    api("DELETE", f"/api/v1/invoices/{inv['id']}/lines/{back['id']}")
    other = api("POST", f"/api/v1/projects/{pid}/invoices", {}, expect=201)
    assert other["subtotal_minor"] == 19000
    again = api("GET", f"/api/v1/invoices/{inv['id']}/removed-lines")["items"][0]
    assert (
        api("POST", f"/api/v1/invoices/{inv['id']}/removed-lines/{again['id']}/restore", expect=409)["error"]["field"]
        == "removed_line_id"
    )
