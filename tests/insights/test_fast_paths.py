"""Issue 17's speed work: each fast path against its reference on the same data, on SQLite and
PostgreSQL.

- the forecast rows aggregated in SQL (`forecast.forecast_rows`) against the Python rule
  (`forecast.forecast` over `open_deals`), every group, with and without a cap on the deals;
- the oldest unbilled time read in billing's unbilled pass (`unbilled_figures.oldest_time`,
  what the leak ledger's age uses) against the ledger's own query (`oldest_unbilled`'s reference
  path), and the ledger's unbilled age the same either way.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from l2c_app.billing.unbilled_totals import unbilled_figures, unbilled_totals
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today
from l2c_app.insights import forecast as fc
from l2c_app.insights import ledger, service
from tests.billing.factory import World
from tests.insights import cycle_world
from tests.insights.test_leak_ledger import leaky  # noqa: F401  (the fixture)


@pytest.fixture
def world(session, monkeypatch) -> cycle_world.CycleWorld:
    return cycle_world.build(session, monkeypatch)


@pytest.mark.parametrize("group", fc.GROUPS)
@pytest.mark.parametrize("limit", [None, 1, 0])
def test_forecast_rows_in_sql_equal_the_python_rule(session, world, group, limit):
    for start, end in ((None, None), (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 20), None)):
        deals = fc.open_deals(session, start, end)
        expected = fc.forecast(deals, group, limit)
        got, no_date = fc.forecast_rows(session, group, start, end, limit)
        assert got == expected, (group, limit, start, end)
        assert no_date == sum(1 for d in deals if d.expected_close is None)


def test_the_forecast_lists_the_largest_deals_and_counts_them_all(session, world):
    march = fc.pipeline_forecast(session, group="month", deals_limit=1)["rows"][0]
    assert march["count"] == march["deals_total"] == 2
    assert [d["deal_id"] for d in march["deals"]] == [world.ids["gamma"]]  # EUR 1,000.00 before USD 555.55


def test_the_rest_forecast_caps_the_deals_unless_asked(session, world, monkeypatch):
    from fastapi.testclient import TestClient

    from l2c_app.api import scopes
    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_api_key
    from l2c_app.insights import api_cycle

    scopes.reset()
    row, secret = create_api_key(session, "forecast")
    row.scopes = ["insights:read"]
    session.commit()
    monkeypatch.setattr(api_cycle, "FORECAST_DEALS", 1)
    client = TestClient(build_api())
    auth = {"Authorization": f"Bearer {secret}"}
    march = client.get("/api/v1/insights/forecast", headers=auth).json()["rows"][0]
    assert (march["deals_total"], len(march["deals"])) == (2, 1)
    full = client.get("/api/v1/insights/forecast", params={"include": "deals"}, headers=auth).json()["rows"][0]
    assert (full["deals_total"], len(full["deals"])) == (2, 2)
    assert client.get("/api/v1/insights/forecast", params={"include": "all"}, headers=auth).status_code == 422
    scopes.reset()


def test_the_oldest_unbilled_time_from_the_unbilled_pass_equals_the_ledgers_query(session):
    s = session
    w = World(s)
    today = org_today(s)
    w.time(120, day=today - timedelta(days=12))
    w.time(60, day=today - timedelta(days=3))
    other = w.another_project("Other")
    other.time(30, day=today - timedelta(days=40))
    billed = w.another_project("Billed")  # billed in full: its time is not unbilled
    billed.time(90, day=today - timedelta(days=90))
    from l2c_app.billing import service as billing

    billing.build_invoice(s, SYSTEM, billed.pid, today)
    s.commit()
    for up_to in (today, today - timedelta(days=20), today - timedelta(days=100)):
        figures = unbilled_figures(s, None, up_to)
        assert figures.totals == unbilled_totals(s, None, up_to)
        for ids in ([w.pid], [w.pid, other.pid], [billed.pid], [w.pid, other.pid, billed.pid]):
            shared = min((figures.oldest_time[p] for p in ids if p in figures.oldest_time), default=None)
            reference = ledger.oldest_unbilled(s, ids, up_to)  # reads the time itself
            assert ledger.oldest_unbilled(s, ids, up_to, shared) == reference, (up_to, ids)
        asked = unbilled_figures(s, [w.pid, billed.pid], up_to)
        assert asked.oldest_time == {p: d for p, d in figures.oldest_time.items() if p in (w.pid, billed.pid)}
    assert unbilled_figures(s, None, today).oldest_time[other.pid] == today - timedelta(days=40)
    assert billed.pid not in unbilled_figures(s, None, today).oldest_time


def test_the_ledgers_unbilled_age_is_the_same_with_the_shared_day(session, leaky):  # noqa: F811
    today = org_today(session)
    unbilled = service.unbilled_work(session, today)
    assert unbilled["oldest_time"] == today - timedelta(days=12)
    own = {k: v for k, v in unbilled.items() if k != "oldest_time"}  # the ledger reads the day itself
    shared_row = [r for r in ledger.leaks(session, today, parts={"unbilled": unbilled}) if r["key"] == "unbilled"]
    own_row = [r for r in ledger.leaks(session, today, parts={"unbilled": own}) if r["key"] == "unbilled"]
    assert shared_row == own_row and shared_row[0]["age_days"] == 12


def test_the_invoices_client_picker_shows_billings_own_unbilled_figure(session):
    """`billing.views.client_projects` reads every project at once (`unbilled_totals`): each
    project's figure is `unbilled_total`'s."""
    from l2c_app.billing import service as billing
    from l2c_app.billing.views import client_projects

    s = session
    w = World(s)
    today = org_today(s)
    w.time(120, day=today - timedelta(days=2))
    other = w.another_project("Other")
    other.time(45, day=today - timedelta(days=1))
    idle = w.another_project("Idle")
    s.commit()
    rows = {int(r["id"]): r for r in client_projects(s, w.account.id, today)}
    assert set(rows) == {w.pid, other.pid, idle.pid}
    for pid, r in rows.items():
        assert int(r["unbilled_minor"]) == billing.unbilled_total(s, pid, today)
    assert rows[idle.pid]["has_unbilled"] == "" and rows[w.pid]["has_unbilled"] == "yes"
