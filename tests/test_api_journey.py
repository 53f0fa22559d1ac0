"""The whole cycle through the REST API alone: lead -> quote -> accepted -> contract signed ->
project -> time approved -> invoice -> paid, asserting the figures agree at every step
(quote = plan = invoice = payment). On SQLite and PostgreSQL.

The journey itself is HTTP only (the ASGI app through the test client): no session, no
service import. The starting point is what an operator does at install time (the
organisation exists and an API key was made, as `l2c apikeys create` does), from the
shared `team` and `api_key` fixtures. `test_the_journey_module_uses_http_only` keeps it so.

With L2C_API_TRANSCRIPT=<file>, every request and response is written there as JSON:
`python -m tests.api_transcript <file>` turns it into the curl walk-through of docs/API.md,
so the documented responses are the ones this test saw.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.sales_fixtures import api_key, client, team  # noqa: F401

MONDAY = "2026-11-23"  # a past week (the 24 h rule and the future-date rule leave it open)


class Api:
    """The test client plus a transcript of every call (for docs/API.md)."""

    def __init__(self, http, key: str):
        self.client, self.headers, self.log = http, {"Authorization": f"Bearer {key}"}, []

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        expect: int = 200,
        title: str = "",
        headers: dict | None = None,
    ) -> dict:
        extra = dict(headers or {})
        if method == "POST" and "Idempotency-Key" not in extra:  # as an integration should: retries are safe
            extra["Idempotency-Key"] = f"journey-{len(self.log) + 1}"
        r = self.client.request(method, path, json=body, headers={**self.headers, **extra})
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        data = r.json()
        self.log.append(
            {
                "title": title,
                "method": method,
                "path": path,
                "body": body,
                "status": r.status_code,
                "headers": extra,
                "response": data,
            }
        )
        return data

    def get(self, path: str, **kw) -> dict:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: dict | None = None, **kw) -> dict:
        return self.call("POST", path, body, **kw)


def test_the_journey_module_uses_http_only():
    source = Path(__file__).read_text()
    imports = [ln for ln in source.splitlines() if ln.startswith(("import ", "from "))]
    assert not [ln for ln in imports if "l2c_app" in ln], imports
    assert "session." not in source.split("def test_whole_cycle_through_the_api_only", 1)[1]


def test_whole_cycle_through_the_api_only(client, api_key):  # noqa: F811
    api = Api(client, api_key)

    # --- set-up: tax, catalog, seller profile, a developer ---------------------------------
    org = api.call("PATCH", "/api/v1/organisation", {"timezone": "Europe/Paris"}, title="Organisation settings")
    assert org["currency"] == "EUR"
    api.call(
        "PUT",
        "/api/v1/organisation/seller",
        {"legal_name": "Acme Studio SAS", "city": "Paris", "country": "France", "iban": "FR1420041010050500013M02606"},
        title="Seller profile",
    )
    vat = api.post("/api/v1/tax-rates", {"name": "VAT 20%", "percent": "20"}, expect=201, title="A tax rate")
    design = api.post(
        "/api/v1/catalog-items",
        {"name": "Design", "kind": "fixed", "unit_price_minor": 150000, "tax_rate_id": vat["id"]},
        expect=201,
        title="Catalog items",
    )
    dev_item = api.post(
        "/api/v1/catalog-items",
        {
            "name": "Development",
            "kind": "hourly",
            "role": "Developer",
            "unit_price_minor": 9500,
            "tax_rate_id": vat["id"],
        },
        expect=201,
    )
    dev = api.post(
        "/api/v1/users",
        {"name": "Dana Dev", "email": "dana@acme.test", "role": "delivery"},
        expect=201,
        title="Invite a developer",
    )

    # --- lead -> deal ------------------------------------------------------------------------
    lead = api.post(
        "/api/v1/leads",
        {"name": "Carl Client", "email": "carl@client.test", "company": "Client Co", "message": "A new website"},
        expect=201,
        title="Capture a lead",
    )
    deal = api.post(
        f"/api/v1/leads/{lead['id']}/convert", {"title": "Client Co website"}, expect=201, title="Convert it to a deal"
    )

    # --- quote -> accepted -------------------------------------------------------------------
    quote = api.post(
        "/api/v1/quotes",
        {
            "deal_id": deal["id"],
            "lines": [
                {"catalog_item_id": design["id"], "quantity": "1"},
                {"catalog_item_id": dev_item["id"], "quantity": "10"},
            ],
        },
        expect=201,
        title="A quote from the catalog",
    )
    line = quote["lines"][1]
    quote = api.call(
        "PATCH", f"/api/v1/quotes/{quote['id']}/lines/{line['id']}", {"quantity": "8"}, title="Edit a line"
    )
    net = 150000 + 8 * 9500
    assert quote["totals"]["subtotal_minor"] == net
    assert quote["totals"]["tax_minor"] == net * 20 // 100
    quote_total = quote["totals"]["total_minor"]
    assert quote_total == net + net * 20 // 100
    api.post(f"/api/v1/quotes/{quote['id']}/send", title="Send it")
    accepted = api.post(
        f"/api/v1/quotes/{quote['id']}/accept",
        {"name": "Carl Client", "how": "email"},
        title="The client accepted by e-mail",
    )
    assert accepted["status"] == "accepted"
    summary = api.get(f"/api/v1/deals/{deal['id']}/summary")
    assert summary["status"] == "won" and summary["quoted_minor"] == net == summary["value_minor"]

    # --- contract signed ---------------------------------------------------------------------
    contract = api.post(
        "/api/v1/contracts",
        {"quote_id": quote["id"], "signers": [{"kind": "signer", "name": "Carl Client", "email": "carl@client.test"}]},
        expect=201,
        title="A contract from the accepted quote",
    )
    contract = api.post(f"/api/v1/contracts/{contract['id']}/send", title="Send it for signature")
    signer = next(s for s in contract["signers"] if s["kind"] == "signer")
    contract = api.post(
        f"/api/v1/contracts/{contract['id']}/signers/{signer['id']}/sign",
        {"typed_name": "Carl Client", "how": "paper"},
        title="Record the signature",
    )
    for other in [s for s in contract["signers"] if s["kind"] == "countersigner" and s["status"] != "signed"]:
        contract = api.post(
            f"/api/v1/contracts/{contract['id']}/signers/{other['id']}/sign",
            {"typed_name": other["name"], "how": "in_person"},
        )
    assert contract["status"] == "completed"

    # --- project: plan = quote ---------------------------------------------------------------
    summary = api.get(f"/api/v1/deals/{deal['id']}/summary")
    if not summary["project_ids"]:
        api.post(f"/api/v1/contracts/{contract['id']}/project", expect=201, title="Start the project")
        summary = api.get(f"/api/v1/deals/{deal['id']}/summary")
    project = api.get(f"/api/v1/projects/{summary['project_ids'][0]}", title="The project and its plan")
    assert summary["signed_minor"] == net == summary["planned_minor"]

    # --- time logged and approved ------------------------------------------------------------
    budget_line = next(bl for bl in project["budget"]["lines"] if bl["role"] == "Developer")
    for day, minutes in (("2026-11-23", 240), ("2026-11-24", 240)):
        api.post(
            "/api/v1/time-entries",
            {
                "project_id": project["id"],
                "date": day,
                "minutes": minutes,
                "budget_line_id": budget_line["id"],
                "user_id": dev["id"],
            },
            expect=201,
            title="Log time",
        )
    approved = api.post(
        f"/api/v1/projects/{project['id']}/weeks/approve",
        {"user_id": dev["id"], "week": MONDAY},
        title="Approve the week",
    )
    assert approved["approved_entries"] == 2
    week = {"user_id": dev["id"], "week": MONDAY}
    assert api.post(f"/api/v1/projects/{project['id']}/weeks/reopen", week)["approved_entries"] == 2
    assert api.post(f"/api/v1/projects/{project['id']}/weeks/approve", week)["approved_entries"] == 2
    summary = api.get(f"/api/v1/deals/{deal['id']}/summary")
    assert summary["delivered_minor"] == 8 * 9500

    # --- invoice = plan ----------------------------------------------------------------------
    inv = api.post(f"/api/v1/projects/{project['id']}/invoices", {}, expect=201, title="Invoice the work")
    assert inv["subtotal_minor"] == net and inv["total_minor"] == quote_total
    inv = api.post(f"/api/v1/invoices/{inv['id']}/issue", title="Issue it")
    # invoiced time stays approved: nothing left to reopen
    r = client.post(f"/api/v1/projects/{project['id']}/weeks/reopen", json=week, headers=api.headers)
    assert r.status_code == 409 and r.json()["error"]["field"] == "week"
    assert inv["number"] and inv["open_minor"] == quote_total

    # --- paid = invoice ----------------------------------------------------------------------
    paid = api.post(
        f"/api/v1/invoices/{inv['id']}/payments",
        {"amount_minor": quote_total, "method": "bank_transfer", "received_on": "2026-11-30"},
        expect=201,
        title="Record the payment",
    )
    assert paid["payment"]["amount_minor"] == quote_total
    # the network dropped the answer: the retry with the same key records nothing twice
    key = api.log[-1]["headers"]["Idempotency-Key"]
    again = api.post(
        f"/api/v1/invoices/{inv['id']}/payments",
        {"amount_minor": quote_total, "method": "bank_transfer", "received_on": "2026-11-30"},
        expect=201,
        headers={"Idempotency-Key": key},
        title="A retry of the same request",
    )
    assert again == paid
    summary = api.get(f"/api/v1/deals/{deal['id']}/summary", title="The deal summary")
    assert (summary["quoted_minor"], summary["signed_minor"], summary["planned_minor"]) == (net, net, net)
    assert summary["invoiced_minor"] == summary["collected_minor"] == quote_total
    assert summary["open_minor"] == 0 and summary["unbilled_minor"] == 0

    out = os.environ.get("L2C_API_TRANSCRIPT")
    if out:
        Path(out).write_text(json.dumps(api.log, indent=1, default=str))
