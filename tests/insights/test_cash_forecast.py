"""Cash forecast, AR aging and DSO against a hand-computed world, on SQLite and PostgreSQL.

The clock stands at Wednesday 2026-03-11 (UTC organisation, en-US: weeks start on Sunday), so
the 13 weeks run from Sunday 2026-03-08 to Saturday 2026-06-06. Invoices are made and paid
through billing; every expected figure below is worked out by hand in the comments.

Clients:
- "Late Payer": two paid invoices, each paid 10 days after its due date (lateness 10), one open
  invoice of 300.00 due Wednesday 2026-03-18 (next week) -> expected 2026-03-28 (week 2);
  a planned milestone of 50.00 due 2026-04-15 -> billed then, net 30, +10 late -> 2026-05-25 (week 11).
- "Client Ltd": an invoice of 1,000.00 due 2026-03-22, 300.00 paid -> 700.00 open (week 2);
  2 approved hours of design at 80.00 unbilled -> 160.00, billed today, net 30 -> 2026-04-10
  (week 4); a planned milestone of 400.00 due 2026-04-01 -> 2026-05-01 (week 7).
- "Aging Co": one invoice per aging bucket (+ the edges: due exactly 30 and 90 days ago).
- "Yankee Inc" (USD): 500.00 due 2026-03-31 (week 3); a retainer of 100.00 a month from
  2026-03-01 for 3 months: March's period exists (unbilled: 2026-04-10, week 4), April -> 2026-05-01
  (week 7), May -> 2026-05-31 (week 12).
- Pipeline (EUR): 1,000.01 at 50 % and 333.33 at 30 %, closing next week: exactly 5,000,050 +
  999,990 = 6,000,040 hundredths -> 60,000.40 -> 600.00 (rounded once; per deal it would be 600.01).
  (USD): 2,000.00 at 40 % whose close date passed -> today (week 0), 800.00.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from l2c_app.billing import service as billing
from l2c_app.core import timeutil
from l2c_app.core.audit import SYSTEM
from l2c_app.core.money import round_minor
from l2c_app.insights import ar_aging, cash_forecast
from l2c_app.pipeline.models import Account, Deal, PipelineStage
from l2c_app.projects.models import Milestone
from tests.billing.factory import World

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)
FIRST = date(2026, 3, 8)


def _fixed(w: World, amount: int) -> Milestone:
    m = Milestone(project_id=w.pid, kind="fixed", name=f"Item {amount}", amount_minor=amount)
    w.s.add(m)
    w.s.flush()
    return m


def invoice(w: World, amount: int, due: date):
    """An issued invoice of `amount` (no tax) due on `due` (net 30: issued 30 days before)."""
    _fixed(w, amount)
    inv = billing.build_invoice(w.s, SYSTEM, w.pid, TODAY)
    inv = billing.issue_invoice(w.s, SYSTEM, inv.id, issue_date=due - timedelta(days=30))
    w.s.commit()
    assert inv.due_date == due and inv.total_minor == amount
    return inv


def pay(w: World, inv, amount: int, on: date) -> None:
    billing.record_manual_payment(w.s, SYSTEM, inv.id, amount_minor=amount, method="bank_transfer", received_on=on)
    w.s.commit()


def planned(w: World, amount: int, due: date | None) -> Milestone:
    m = Milestone(
        project_id=w.pid, kind="milestone", name=f"Phase {amount}", amount_minor=amount, due_date=due, status="planned"
    )
    w.s.add(m)
    w.s.flush()
    return m


@pytest.fixture
def cash_world(session, monkeypatch):
    monkeypatch.setattr(timeutil, "clock", lambda: NOW)
    s = session
    w = World(s)
    s.commit()
    accounts = {}
    for name in ("Late Payer", "Aging Co", "Yankee Inc"):
        accounts[name] = Account(name=name)
        s.add(accounts[name])
    s.flush()
    late = w.another_project("Late project", account=accounts["Late Payer"])
    aging = w.another_project("Aging project", account=accounts["Aging Co"])
    yankee = w.another_project("Yankee project", account=accounts["Yankee Inc"], currency="USD")

    # Late Payer: always 10 days late.
    for due in (date(2026, 1, 31), date(2026, 2, 14)):
        paid = invoice(late, 20_000, due)
        pay(late, paid, 20_000, due + timedelta(days=10))
    late_open = invoice(late, 30_000, date(2026, 3, 18))
    planned(late, 5_000, date(2026, 4, 15))

    # Client Ltd: a partly paid invoice, unbilled time, a planned milestone, one without a date.
    partial = invoice(w, 100_000, date(2026, 3, 22))
    pay(w, partial, 30_000, date(2026, 3, 1))
    w.time(120, line=w.design)  # 2 h x 80.00
    planned(w, 40_000, date(2026, 4, 1))
    planned(w, 7_000, None)
    planned(w, 9_000, date(2026, 7, 1))  # billed 2026-07-01: after the 13 weeks

    # Aging Co: one invoice per bucket, and the edges.
    for amount, days_past_due in (
        (11_000, -20),
        (12_000, 10),
        (13_000, 45),
        (14_000, 75),
        (15_000, 120),
        (1_000, 30),
        (3_000, 90),
    ):
        invoice(aging, amount, TODAY - timedelta(days=days_past_due))

    # Yankee Inc (USD): an open invoice, then a retainer whose March period exists.
    invoice(yankee, 50_000, date(2026, 3, 31))
    yankee.retainer(10_000, start=date(2026, 3, 1), months=3)
    billing.ensure_retainer_periods(s, yankee.pid, TODAY)

    # The pipeline.
    half = PipelineStage(name="Proposal", probability=50, kind="open")
    s.add(half)
    s.flush()
    for title, value, cur, prob, close in (
        ("Big", 100_001, "EUR", None, date(2026, 3, 20)),
        ("Small", 33_333, "EUR", 30, date(2026, 3, 19)),
        ("Stale", 200_000, "USD", 40, date(2026, 2, 1)),
        ("Someday", 500_000, "EUR", None, None),
    ):
        s.add(
            Deal(
                title=title,
                account_id=w.account.id,
                stage_id=half.id,
                value_minor=value,
                currency=cur,
                probability=prob,
                expected_close=close,
            )
        )
    s.add(
        Deal(title="Lost one", stage_id=half.id, status="lost", value_minor=9_999_999, expected_close=date(2026, 3, 20))
    )
    s.commit()
    return {"w": w, "late": late, "late_open": late_open, "accounts": accounts, "partial": partial}


def week(data, i: int, cur: str) -> dict[str, int]:
    return data["weeks"][i]["amounts"].get(cur, {})


def test_lateness_rule():
    assert cash_forecast.lateness([]) == 0
    assert cash_forecast.lateness([10, 10]) == 10
    assert cash_forecast.lateness([-5, 3, 20]) == 3  # median
    assert cash_forecast.lateness([-5, -1]) == 0  # early payers are not forecast early
    assert cash_forecast.lateness([2, 8]) == 2  # lower median: a day that happened


def test_the_forecast_by_hand(session, cash_world):
    data = cash_forecast.forecast(session)
    assert (data["today"], data["from"], data["to"]) == (TODAY, FIRST, date(2026, 6, 6))
    assert len(data["weeks"]) == 13 and data["weeks"][2]["start"] == date(2026, 3, 22)
    assert data["currencies"] == ["EUR", "USD"]

    eur = {i: {k: v for k, v in week(data, i, "EUR").items() if v} for i in range(13)}
    assert eur == {
        0: {"overdue": 58_000, "total": 58_000},  # 12,000 + 13,000 + 14,000 + 15,000 + 1,000 + 3,000
        1: {"pipeline": 60_000, "total": 60_000},
        2: {"invoiced": 100_000, "total": 100_000},  # 700.00 open of Client Ltd + Late Payer's 300.00
        3: {"invoiced": 11_000, "total": 11_000},
        4: {"unbilled": 16_000, "total": 16_000},
        5: {},
        6: {},
        7: {"scheduled": 40_000, "total": 40_000},
        8: {},
        9: {},
        10: {},
        11: {"scheduled": 5_000, "total": 5_000},  # Late Payer's milestone, 10 days late
        12: {},
    }
    usd = {i: {k: v for k, v in week(data, i, "USD").items() if v} for i in range(13)}
    assert usd == {
        0: {"pipeline": 80_000, "total": 80_000},
        1: {},
        2: {},
        3: {"invoiced": 50_000, "total": 50_000},
        4: {"unbilled": 10_000, "total": 10_000},
        5: {},
        6: {},
        7: {"scheduled": 10_000, "total": 10_000},
        8: {},
        9: {},
        10: {},
        11: {},
        12: {"scheduled": 10_000, "total": 10_000},
    }
    assert data["totals"]["EUR"]["total"] == 58_000 + 60_000 + 100_000 + 11_000 + 16_000 + 40_000 + 5_000
    assert data["totals"]["USD"] == {
        "overdue": 0,
        "invoiced": 50_000,
        "scheduled": 20_000,
        "unbilled": 10_000,
        "pipeline": 80_000,
        "total": 160_000,
    }
    assert data["notes"] == {"undated_milestones": 1, "undated_deals": 1}

    late = next(c for c in data["clients"] if c["client"] == "Late Payer")
    assert late["lateness_days"] == 10 and late["invoiced"] == 30_000 and late["scheduled"] == 5_000


def test_a_late_payer_s_invoice_due_next_week_shows_up_ten_days_later(session, cash_world):
    data = cash_forecast.forecast(session)
    late_id = cash_world["accounts"]["Late Payer"].id
    assert cash_forecast.client_lateness(session)[late_id] == 10
    found, _, _ = cash_forecast.items(session, TODAY, date(2026, 6, 6))
    mine = [it for it in found if it.account_id == late_id and it.part == "invoiced"]
    assert [(it.day, it.amount) for it in mine] == [(date(2026, 3, 28), 30_000)]  # due 03-18 + 10
    assert week(data, 1, "EUR").get("invoiced", 0) == 0  # not in its due week

    # Paying it moves it out of the forecast, and (a third 10-day-late payment) keeps the lateness.
    pay(cash_world["late"], cash_world["late_open"], 30_000, date(2026, 3, 28))
    data = cash_forecast.forecast(session)
    assert week(data, 2, "EUR")["invoiced"] == 70_000
    assert cash_forecast.client_lateness(session)[late_id] == 10


def test_window_and_csv(session, cash_world):
    data = cash_forecast.forecast(session, start=date(2026, 3, 25), weeks=2)
    assert (data["from"], data["to"]) == (date(2026, 3, 22), date(2026, 4, 4))
    assert [w["amounts"]["EUR"]["total"] for w in data["weeks"]] == [100_000, 11_000]
    data = cash_forecast.forecast(session, end=date(2026, 3, 16))
    assert len(data["weeks"]) == 2
    from l2c_app.core.errors import DomainError

    for kwargs in ({"weeks": 0}, {"weeks": 54}, {"end": date(2026, 3, 1)}, {"end": TODAY, "weeks": 2}):
        with pytest.raises(DomainError):
            cash_forecast.forecast(session, **kwargs)

    text = cash_forecast.forecast_csv(cash_forecast.forecast(session))
    lines = text.splitlines()
    assert lines[0].startswith("week_start,week_end,currency,overdue_minor,invoiced_minor")
    assert "2026-03-22,2026-03-28,EUR,0,100000,0,0,0,100000,0.00,1000.00,0.00,0.00,0.00,1000.00" in lines
    assert len(lines) == 1 + 7 + 5  # one row per week and currency with money (EUR 7 weeks, USD 5)


def test_ar_aging_by_hand(session, cash_world):
    data = ar_aging.aging(session)
    rows = {(r["client"], r["currency"]): r for r in data["rows"]}
    assert rows[("Aging Co", "EUR")] == {
        "account_id": cash_world["accounts"]["Aging Co"].id,
        "client": "Aging Co",
        "currency": "EUR",
        "invoices": 7,
        "current": 11_000,
        "d1_30": 12_000 + 1_000,
        "d31_60": 13_000,
        "d61_90": 14_000 + 3_000,
        "d90_plus": 15_000,
        "total": 69_000,
    }
    assert rows[("Client Ltd", "EUR")]["current"] == 70_000  # 1,000.00 - 300.00 paid
    assert rows[("Late Payer", "EUR")]["current"] == 30_000 and rows[("Late Payer", "EUR")]["invoices"] == 1
    assert rows[("Yankee Inc", "USD")]["total"] == 50_000
    assert data["totals"]["EUR"]["total"] == 169_000 and data["totals"]["USD"]["total"] == 50_000
    # Revenue of the 90 days up to today (issued after 2025-12-11): Late Payer 200 + 200 + 300, Client Ltd
    # 1,000, Aging Co 110 + 120 + 130 + 10 = 2,070.00; DSO = 1,690 / 2,070 x 90 = 73.478 -> 73.5.
    assert data["revenue"] == {"EUR": 207_000, "USD": 50_000}
    assert data["dso"] == {"EUR": Decimal("73.5"), "USD": Decimal("90.0")}
    assert ar_aging.dso_days(5, 0) is None

    by_cur = ar_aging.aging(session, group="currency")
    assert [(r["currency"], r["total"]) for r in by_cur["rows"]] == [("EUR", 169_000), ("USD", 50_000)]

    # The open amount is billing's: a refund reopens it.
    from l2c_app.payments.models import Payment, Refund

    pay_row = session.query(Payment).filter(Payment.invoice_id == cash_world["partial"].id).one()
    session.add(Refund(payment_id=pay_row.id, amount_minor=5_000, stripe_refund_id=f"re_{secrets.token_hex(4)}"))
    session.flush()
    billing.recompute_status(session, SYSTEM, cash_world["partial"].id)
    session.commit()
    assert billing.open_amount(session, cash_world["partial"]) == 75_000
    assert {r["client"]: r["current"] for r in ar_aging.aging(session)["rows"]}["Client Ltd"] == 75_000


# --- REST and CSV -------------------------------------------------------------------------------


def _client(session, scopes=None):
    from fastapi.testclient import TestClient

    from l2c_app.api import scopes as scope_rules
    from l2c_app.api.app import build_api

    _, raw = scope_rules.create_key(session, SYSTEM, f"cash-{secrets.token_hex(2)}", scopes)
    session.commit()
    return TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"})


def test_rest_routes_answer_the_same_numbers(session, cash_world):
    with _client(session) as c:
        r = c.get("/api/v1/insights/cash-forecast")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["start"], body["end"], body["today"]) == ("2026-03-08", "2026-06-06", "2026-03-11")
        assert len(body["weeks"]) == 13
        w2 = {a["currency"]: a for a in body["weeks"][2]["amounts"]}
        assert w2["EUR"]["invoiced"] == 100_000 and w2["EUR"]["total"] == 100_000
        assert {t["currency"]: t["total"] for t in body["totals"]} == {"EUR": 290_000, "USD": 160_000}
        assert body["clients"] == [] and body["undated_deals"] == 1

        by_client = c.get("/api/v1/insights/cash-forecast", params={"group": "client", "weeks": 4}).json()
        assert by_client["weeks"] == []
        late = next(x for x in by_client["clients"] if x["client"] == "Late Payer")
        assert (late["lateness_days"], late["invoiced"], late["scheduled"]) == (10, 30_000, 0)  # 05-25 is week 11

        ranged = c.get("/api/v1/insights/cash-forecast", params={"from": "2026-03-22", "to": "2026-04-04"}).json()
        assert [w["start"] for w in ranged["weeks"]] == ["2026-03-22", "2026-03-29"]
        for bad in (
            {"weeks": 0},
            {"weeks": 54},
            {"from": "0001-01-01"},
            {"to": "2026-01-01"},
            {"to": "2026-04-01", "weeks": 2},
            {"group": "month"},
            {"from": "not-a-day"},
        ):
            resp = c.get("/api/v1/insights/cash-forecast", params=bad)
            assert resp.status_code in (400, 422), (bad, resp.status_code)

        csv_r = c.get("/api/v1/insights/cash-forecast.csv")
        assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
        assert 'filename="cash-forecast-2026-03-08.csv"' in csv_r.headers["content-disposition"]
        assert "2026-03-22,2026-03-28,EUR,0,100000" in csv_r.text

        aging = c.get("/api/v1/insights/ar-aging").json()
        row = next(x for x in aging["rows"] if x["client"] == "Aging Co")
        assert (row["current"], row["d1_30"], row["d31_60"], row["d61_90"], row["d90_plus"]) == (
            11_000,
            13_000,
            13_000,
            17_000,
            15_000,
        )
        assert {d["currency"]: d["dso_days"] for d in aging["dso"]} == {"EUR": "73.5", "USD": "90.0"}
        assert (
            c.get("/api/v1/insights/ar-aging", params={"group": "currency"}).json()["rows"][0]["client"]
            == "All clients"
        )


def test_routes_need_the_insights_scope(session, cash_world):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api

    paths = ("/api/v1/insights/cash-forecast", "/api/v1/insights/cash-forecast.csv", "/api/v1/insights/ar-aging")
    with TestClient(build_api()) as anon:
        assert {anon.get(p).status_code for p in paths} == {401}
    with _client(session, ["leads:read"]) as c:
        assert {c.get(p).status_code for p in paths} == {403}
    with _client(session, ["insights:read"]) as c:
        assert {c.get(p).status_code for p in paths} == {200}


def test_the_page_view_formats_the_same_numbers(session, cash_world):
    from l2c_app.insights import cash_view

    view = cash_view.cash_page(session)
    assert view["currencies"] == ["EUR", "USD"]
    assert view["charts"]["EUR"][2] == {
        "week": "3/22/26",
        "overdue": 0,
        "invoiced": 1000,
        "scheduled": 0,
        "unbilled": 0,
        "pipeline": 0,
    }
    assert len(view["charts"]["USD"]) == 13
    row = next(r for r in view["rows"] if r["week"] == "3/22/26" and r["currency"] == "EUR")
    assert (row["invoiced"], row["total"], row["overdue"]) == ("€1,000.00", "€1,000.00", "-")
    assert {t["currency"]: t["total"] for t in view["totals"]} == {"EUR": "€2,900.00", "USD": "$1,600.00"}
    aging = next(r for r in view["aging"] if r["client"] == "Aging Co")
    assert (aging["d90_plus"], aging["total"]) == ("€150.00", "€690.00")
    assert [d["days"] for d in view["dso"]] == ["73.5", "90.0"]
    assert view["notes"] == [
        "1 planned milestone has no due date and is not placed.",
        "1 open deal has no expected close date and is not placed.",
    ]
    assert view["csv_url"] == "/api/v1/insights/cash-forecast.csv"


def test_an_empty_install_has_nothing_to_forecast(session, monkeypatch):
    from l2c_app.insights import cash_view

    monkeypatch.setattr(timeutil, "clock", lambda: NOW)
    World(session)
    session.commit()
    view = cash_view.cash_page(session)
    assert (view["rows"], view["aging"], view["dso"], view["currencies"]) == ([], [], [], [])


def test_a_card_payment_with_no_received_day_counts_by_its_local_day(session, monkeypatch):
    """A Stripe payment has no `received_on`: its instant, in the organisation's zone, is the day."""
    from l2c_app.payments.models import Payment

    monkeypatch.setattr(timeutil, "clock", lambda: NOW)
    w = World(session)
    w.org.timezone = "Pacific/Kiritimati"  # UTC+14: 2026-03-01 23:30 UTC is 2026-03-02 there
    session.add(w.org)
    session.commit()
    inv = invoice(w, 10_000, date(2026, 2, 27))
    session.add(
        Payment(
            invoice_id=inv.id,
            account_id=inv.account_id,
            amount_minor=10_000,
            currency="EUR",
            method="card",
            status="succeeded",
            created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        )
    )
    session.flush()
    billing.recompute_status(session, SYSTEM, inv.id)
    session.commit()
    assert inv.status == "paid"
    assert cash_forecast.days_late(session, "Pacific/Kiritimati") == {w.account.id: [3]}
    assert cash_forecast.client_lateness(session, "UTC") == {w.account.id: 2}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rules_hold_for_any_numbers(db_url):
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.lists(st.integers(-400, 400), max_size=30))
    def lateness_is_a_day_that_happened(days):
        got = cash_forecast.lateness(days)
        assert got >= 0
        assert got == 0 or got in days

    @given(st.dictionaries(st.sampled_from(cash_forecast.PARTS), st.integers(0, 10**15)))
    def total_is_the_sum_of_the_parts(parts):
        out = cash_forecast._round_parts(parts)
        assert out["total"] == sum(out[p] for p in cash_forecast.PARTS)
        assert out["pipeline"] == round_minor(Decimal(parts.get("pipeline", 0)) / 100)

    @given(st.integers(0, 10**15), st.integers(1, 10**15))
    def dso_is_ar_over_revenue_times_ninety(ar, revenue):
        got = ar_aging.dso_days(ar, revenue)
        assert got is not None and abs(got - Decimal(ar) * 90 / Decimal(revenue)) <= Decimal("0.05")

    lateness_is_a_day_that_happened()
    total_is_the_sum_of_the_parts()
    dso_is_ar_over_revenue_times_ninety()
