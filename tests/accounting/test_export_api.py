"""GET /api/v1/accounting/journal (JSON in minor units, CSV for a bookkeeper), export batches
(not yet exported by default, a past batch again as it was), the accounts' settings route."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from l2c_app.accounting.models import JournalEntry
from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import create_api_key
from l2c_app.core.db import engine_for
from tests.accounting.test_journal import UP_TO
from tests.billing.factory import World


@pytest.fixture
def world(session):
    w = World(session)
    session.commit()
    return w


@pytest.fixture
def client(db_url, world, session):
    from l2c_app.api.app import build_api

    _, raw = create_api_key(session, "journal-tests")
    session.commit()
    with TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"}) as c:
        yield c


def _paid_invoice(session, world, amount=10000):
    world.milestone(amount, kind="fixed")
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=4000, method="bank_transfer")
    session.commit()
    return inv


def test_json_has_minor_units_and_currency_and_is_committed(client, session, world, db_url):
    inv = _paid_invoice(session, world)
    r = client.get("/api/v1/accounting/journal", params={"from": "2020-01-01", "to": "2100-01-01"})
    assert r.status_code == 200
    lines = r.json()["lines"]
    assert {(ln["account"], ln["debit_minor"], ln["credit_minor"]) for ln in lines} == {
        ("1200", 12000, 0),
        ("4000", 0, 10000),
        ("2200", 0, 2000),
        ("1000", 4000, 0),
        ("1200", 0, 4000),
    }
    assert all(ln["currency"] == "EUR" and ln["client"] == "Client Ltd" for ln in lines)
    assert {ln["reference"] for ln in lines} == {inv.number}
    with Session(engine_for(db_url)) as other:  # posted and committed before the answer
        assert len(other.exec(select(JournalEntry)).all()) == 2
    assert client.get("/api/v1/accounting/journal", params={"from": "2100-01-02"}).json()["count"] == 0


def test_csv_columns_amounts_in_major_units_and_safe_cells(client, session, world):
    world.account.name = '=HYPERLINK("x")'
    session.add(world.account)
    _paid_invoice(session, world)
    r = client.get("/api/v1/accounting/journal", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [
        "date",
        "entry_id",
        "account",
        "account_name",
        "debit",
        "credit",
        "currency",
        "reference",
        "memo",
        "client",
        "tax_code",
    ]
    body = rows[1:]
    assert ["120.00", ""] in [r[4:6] for r in body] and ["", "20.00"] in [r[4:6] for r in body]
    assert {r[9] for r in body} == {'\'=HYPERLINK("x")'}
    assert {r[10] for r in body if r[2] == "2200"} == {"TAX20"}


def test_an_export_batch_takes_only_what_is_new_and_is_downloaded_again(client, session, world):
    _paid_invoice(session, world)
    r = client.post("/api/v1/accounting/exports", json={})
    assert r.status_code == 201
    first = r.json()
    assert first["entries"] == 2
    assert client.post("/api/v1/accounting/exports", json={}).status_code == 409  # nothing new
    _paid_invoice(session, world, 5000)
    pending = client.get("/api/v1/accounting/journal", params={"status": "unexported"}).json()
    assert pending["count"] == 5 and {ln["batch_id"] for ln in pending["lines"]} == {None}
    second = client.post("/api/v1/accounting/exports", json={}).json()
    assert second["entries"] == 2
    again = client.get(first["csv"])
    assert again.status_code == 200 and again.text.count("\n") == 1 + 5
    listed = client.get("/api/v1/accounting/exports").json()
    assert [b["id"] for b in listed["batches"]] == [second["id"], first["id"]] and listed["not_exported"] == 0
    assert client.get("/api/v1/accounting/journal", params={"batch": 999}).status_code == 404


def test_bad_input_is_refused(client):
    assert client.get("/api/v1/accounting/journal", params={"from": "yesterday"}).status_code == 422
    assert client.get("/api/v1/accounting/journal", params={"format": "xlsx"}).status_code == 422
    assert (
        client.post("/api/v1/accounting/exports", json={"date_from": "2026-03-02", "date_to": "2026-03-01"}).status_code
        == 422
    )


def test_settings_route_changes_where_new_entries_post(client, session, world):
    r = client.put("/api/v1/accounting/settings", json={"accounts": {"bank": {"code": "1020", "name": "Bank B"}}})
    assert r.status_code == 200 and r.json()["accounts"]["bank"] == {"code": "1020", "name": "Bank B"}
    assert client.put("/api/v1/accounting/settings", json={"accounts": {"nope": {"code": "1"}}}).status_code == 422
    assert client.put("/api/v1/accounting/settings", json={"accounts": {"bank": {"code": "=cmd"}}}).status_code == 422
    _paid_invoice(session, world)
    lines = client.get("/api/v1/accounting/journal").json()["lines"]
    assert ("1020", 4000) in {(ln["account"], ln["debit_minor"]) for ln in lines}


def test_anonymous_is_refused(db_url):
    from l2c_app.api.app import build_api

    with TestClient(build_api()) as c:
        assert c.get("/api/v1/accounting/journal").status_code == 401
