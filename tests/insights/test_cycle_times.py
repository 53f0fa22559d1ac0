"""Cycle times and the forecast over a hand-computed world (tests/insights/cycle_world.py), on
SQLite and PostgreSQL; the percentile rule on even and odd counts, and against PostgreSQL's own
percentile_cont."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from l2c_app.insights import cycle_times as ct
from l2c_app.insights import forecast as fc
from tests.insights import cycle_world

# --- the percentile rule ----------------------------------------------------------------------


def test_percentile_is_percentile_cont_on_odd_and_even_counts():
    assert ct.percentile([], 0.5) is None
    assert ct.percentile([7], 0.5) == 7 and ct.percentile([7], 0.9) == 7
    assert ct.percentile([5, 0, 2], 0.5) == 2  # odd: the middle value
    assert ct.percentile([0, 2, 5], 0.9) == pytest.approx(4.4)  # rank 1.8: 2 + 0.8 x 3
    assert ct.percentile([10, 3], 0.5) == 6.5  # even: the mean of the two middle values
    assert ct.percentile([3, 10], 0.9) == pytest.approx(9.3)  # rank 0.9: 3 + 0.9 x 7
    assert ct.percentile([1, 2, 3, 4], 0.5) == 2.5
    with pytest.raises(ValueError):
        ct.percentile([1], 1.5)


def test_a_step_that_ended_before_it_started_counts_zero_days():
    assert ct.step_days(date(2026, 1, 10), date(2026, 1, 5)) == 0
    assert ct.step_days(date(2026, 1, 5), date(2026, 1, 10)) == 5


def test_the_waiting_step_is_the_first_started_unfinished_step_with_no_later_event():
    """`_waiting_step` (the step after the deal's latest event) against the rule as first written,
    over every set of events a deal can have (2^10)."""
    from itertools import combinations

    def reference(ev):
        for step in ct.STEPS[:-1]:
            _key, _label, a, b = step
            later = ct.EVENTS[ct.EVENTS.index(b) + 1 :]
            if a in ev and b not in ev and not any(e in ev for e in later):
                return step
        return None

    day = date(2026, 1, 1)
    for n in range(len(ct.EVENTS) + 1):
        for chosen in combinations(ct.EVENTS, n):
            ev = {e: day for e in chosen} | {ct.START: day}
            assert ct._waiting_step(ev) == reference(ev), chosen


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_python_percentile_equals_postgresql_percentile_cont(session):
    for values in ([0, 2, 5], [3, 10], [1, 1, 4, 9, 30, 31], [12]):
        rows = ", ".join(f"({v})" for v in values)
        pg = session.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) "
                f"FROM (VALUES {rows}) AS t(v)"
            )
        ).one()
        assert (ct.percentile(values, 0.5), ct.percentile(values, 0.9)) == pytest.approx((pg[0], pg[1]))


# --- the world --------------------------------------------------------------------------------


@pytest.fixture
def world(session, monkeypatch) -> cycle_world.CycleWorld:
    return cycle_world.build(session, monkeypatch)


def _row(rows, step, group):
    found = [r for r in rows if r["step"] == step and r["group"] == group]
    assert len(found) == 1, (step, group, [(r["step"], r["group"]) for r in rows])
    return found[0]


def test_cycle_times_by_month_from_the_records(session, world):
    ids = world.ids
    data = ct.cycle_times(session, group="month", today=cycle_world.TODAY)
    rows = data["rows"]
    # lead -> converted, all four ended in January: Alpha 2, Beta 0, Gamma 5, Delta 1
    r = _row(rows, "lead_to_converted", "2026-01")
    assert r["count"] == 4 and r["median_days"] == 1.5 and r["p90_days"] == pytest.approx(4.1)  # rank 2.7: 2 + 0.7 x 3
    assert [d["deal_id"] for d in r["deals"]] == [ids["gamma"], ids["alpha"], ids["delta"], ids["beta"]]
    assert r["deals"][0]["href"] == f"/deals/{ids['gamma']}"
    # quote sent -> accepted: Alpha 3, Beta 10 (even count)
    r = _row(rows, "quote_sent_to_accepted", "2026-01")
    assert (r["count"], r["median_days"], r["p90_days"]) == (2, 6.5, pytest.approx(9.3))
    # won -> quote sent: both quotes went out before the deal was won: 0 days each
    assert _row(rows, "won_to_quote_sent", "2026-01")["median_days"] == 0
    # steps that ended in February count in February
    r = _row(rows, "invoice_to_paid", "2026-02")
    assert sorted(d["days"] for d in r["deals"]) == [9, 15]
    assert _row(rows, "first_time_to_invoice", "2026-01")["deals"][0]["days"] == 5  # Alpha 01-15 -> 01-20
    assert _row(rows, "first_time_to_invoice", "2026-02")["deals"][0]["days"] == 10  # Beta 01-22 -> 02-01
    r = _row(rows, "contact_to_cash", "2026-02")
    assert sorted(d["days"] for d in r["deals"]) == [34, 39]
    assert (r["median_days"], r["p90_days"]) == (36.5, pytest.approx(38.5))
    for step, a, b in (("accepted_to_signed", 4, 6), ("signed_to_project", 1, 1), ("project_to_first_time", 2, 1)):
        assert sorted(d["days"] for d in _row(rows, step, "2026-01")["deals"]) == sorted([a, b]), step

    # Still waiting: Gamma's quote since 01-20 (26 days); Delta is lost, Alpha and Beta are paid,
    # Echo and Foxtrot wait to be won.
    waiting = {r["deal_id"]: r for r in data["open"]}
    assert waiting[ids["gamma"]]["step"] == "quote_sent_to_accepted"
    assert waiting[ids["gamma"]]["age_days"] == 26 and waiting[ids["gamma"]]["since"] == date(2026, 1, 20)
    assert ids["delta"] not in waiting and ids["alpha"] not in waiting and ids["beta"] not in waiting
    assert data["open"][0]["deal_id"] == ids["gamma"]  # the oldest first


def test_cycle_times_by_source_and_owner_and_the_date_bounds(session, world):
    rows = ct.cycle_times(session, group="source", today=cycle_world.TODAY)["rows"]
    assert _row(rows, "lead_to_converted", "web")["deals"] and sorted(
        d["days"] for d in _row(rows, "lead_to_converted", "web")["deals"]
    ) == [1, 2, 5]
    assert _row(rows, "lead_to_converted", "referral")["median_days"] == 0
    rows = ct.cycle_times(session, group="owner", today=cycle_world.TODAY)["rows"]
    assert _row(rows, "contact_to_cash", world.owner_name)["count"] == 2
    # February only: the steps whose later event fell in February
    rows = ct.cycle_times(session, group="month", start=date(2026, 2, 1), end=date(2026, 2, 28))["rows"]
    assert {r["group"] for r in rows} == {"2026-02"}
    assert {r["step"] for r in rows} == {"first_time_to_invoice", "invoice_to_paid", "contact_to_cash"}


def test_forecast_by_expected_close_month_weighted_and_not(session, world):
    ids = world.ids
    data = fc.pipeline_forecast(session, group="month")
    by = {r["group"]: r for r in data["rows"]}
    assert list(by) == ["2026-03", fc.NO_DATE]  # months in order, the undated last
    # March: Gamma EUR 1,000.00 at 10 % (New) and Echo USD 555.55 at its own 33 % (183.3315 -> 183.33)
    assert by["2026-03"]["value"] == {"EUR": 100_000, "USD": 55_555}
    assert by["2026-03"]["weighted"] == {"EUR": 10_000, "USD": 18_333}
    assert by[fc.NO_DATE]["value"] == {"EUR": 20_000} and data["no_date"] == 1
    assert [d["deal_id"] for d in by["2026-03"]["deals"]] == [ids["gamma"], ids["echo"]]
    # bounded: only deals expected to close in between (the undated are left out)
    data = fc.pipeline_forecast(session, group="month", start=date(2026, 3, 20), end=date(2026, 3, 31))
    assert [r["group"] for r in data["rows"]] == ["2026-03"] and data["rows"][0]["count"] == 1
    by_source = {r["group"]: r for r in fc.pipeline_forecast(session, group="source")["rows"]}
    assert by_source["web"]["count"] == 1 and by_source[fc.NO_SOURCE]["count"] == 2


def test_win_rate_by_stage_and_by_source(session, world):
    data = fc.pipeline_forecast(session)
    stages = {r["name"]: r for r in data["by_stage"]}
    # every closed deal started in New: Alpha, Beta won, Delta lost; only Beta went through Qualified
    assert (stages["New"]["won"], stages["New"]["lost"]) == (2, 1)
    assert stages["New"]["rate"] == pytest.approx(2 / 3)
    assert (stages["Qualified"]["won"], stages["Qualified"]["lost"], stages["Qualified"]["rate"]) == (1, 0, 1.0)
    assert stages["Proposal"]["rate"] is None  # nothing closed that reached it: no rate, not 0 %
    sources = {r["source"]: r for r in data["by_source"]}
    assert (sources["web"]["won"], sources["web"]["lost"], sources["web"]["rate"]) == (1, 1, 0.5)
    assert sources["referral"]["rate"] == 1.0
    # closed in February: none
    assert fc.pipeline_forecast(session, start=date(2026, 2, 1))["by_source"] == []


# --- REST -------------------------------------------------------------------------------------


def _key(session, scope_list) -> str:
    from l2c_app.core.auth import create_api_key

    row, secret = create_api_key(session, f"key {scope_list}")
    row.scopes = scope_list
    session.commit()
    return secret


def test_rest_cycle_times_and_forecast_typed_and_scoped(session, world):
    from fastapi.testclient import TestClient

    from l2c_app.api import scopes
    from l2c_app.api.app import build_api

    scopes.reset()
    client = TestClient(build_api())
    ok = {"Authorization": f"Bearer {_key(session, ['insights:read'])}"}
    other = {"Authorization": f"Bearer {_key(session, ['pipeline:read'])}"}
    r = client.get(
        "/api/v1/insights/cycle-times", params={"group": "source", "from": "2026-02-01", "to": "2026-02-28"}, headers=ok
    )
    assert r.status_code == 200, r.text
    body = r.json()
    cash = [x for x in body["rows"] if x["step"] == "contact_to_cash" and x["group"] == "referral"][0]
    assert cash["median_days"] == 39 and cash["deals"][0]["href"] == f"/deals/{world.ids['beta']}"
    assert body["open"][0]["deal_id"] == world.ids["gamma"]
    r = client.get("/api/v1/insights/forecast", params={"group": "month"}, headers=ok)
    assert r.status_code == 200, r.text
    march = r.json()["rows"][0]
    assert march["group"] == "2026-03" and march["weighted"] == {"EUR": 10_000, "USD": 18_333}
    assert client.get("/api/v1/insights/forecast", headers=other).status_code == 403
    assert client.get("/api/v1/insights/cycle-times").status_code == 401
    assert client.get("/api/v1/insights/cycle-times", params={"group": "team"}, headers=ok).status_code == 422
    bad = client.get("/api/v1/insights/forecast", params={"from": "2026-03-01", "to": "2026-02-01"}, headers=ok)
    assert bad.status_code in (400, 422) and bad.json()
    scopes.reset()


def test_the_page_view_shows_the_chosen_hand_off_and_its_deals(session, world):
    from l2c_app.insights import cycle_view

    data = cycle_view.page_data(session, "month", "contact_to_cash")
    assert data["chart"] == [{"group": "2026-02", "median": 36.5, "p90": 38.5}]
    assert [d["days"] for d in data["deals"]] == ["39", "34"]  # slowest first
    assert {"step": "Quote sent → accepted", "group": "2026-01", "count": "2", "median": "6.5", "p90": "9.3"} in data[
        "figures"
    ]
    assert data["forecast"][0]["weighted"] == "€100.00 + $183.33"  # one amount per currency, by code
    assert {"name": "New", "closed": "2 won / 1 lost", "rate": "67 %"} in data["stages"]
