"""Margin and utilisation from a hand-computed world, on SQLite and PostgreSQL.

The world (EUR, one person, March 2026, capacity 40 h a week):
- cost rates: 50.00/h from 2026-01-01, 60.00/h from 2026-03-10 (two rates over time);
- time, Developer line at 95.00/h: 10 h on Mon 03-02 and 10 h on Tue 03-03 (billed on an invoice
  issued 03-06: 190,000 net, VAT 20 % = 38,000 on top, which is not revenue); 5 h billable on
  03-11 and 1 h non-billable on 03-12 (unbilled: 5 h x 95.00 = 47,500);
- expenses on 03-20: 100.00 billable with 15 % markup and VAT (unbilled 115.00 = 11,500), and
  40.00 not billable (a cost only).

    billed 190,000 + unbilled 59,000                      = revenue 249,000
    time 20 h x 50 + 5 h x 60 + 1 h x 60 = 100,000 + 36,000 = 136,000
    expenses 10,000 + 4,000                                = 14,000
    margin 249,000 - 136,000 - 14,000                      = 99,000
    utilisation in the week of 03-02: 20 h billable / 40 h        = 50.0 %
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM, Actor
from l2c_app.core.errors import DomainError
from l2c_app.insights import margin
from l2c_app.projects import cost_rates, expenses
from tests.billing.factory import World

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(session) -> World:
    w = World(session)
    actor = Actor("user", w.user.id)
    cost_rates.set_cost_rate(session, actor, w.user.id, date(2026, 1, 1), 5_000, "EUR")
    cost_rates.set_cost_rate(session, actor, w.user.id, date(2026, 3, 10), 6_000, "EUR")
    w.time(600, day=date(2026, 3, 2))
    w.time(600, day=date(2026, 3, 3))
    inv = billing.build_invoice(session, SYSTEM, w.pid, date(2026, 3, 5))
    billing.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 3, 6))
    w.time(300, day=date(2026, 3, 11))
    w.time(60, day=date(2026, 3, 12), billable=False)
    expenses.add_expense(
        session,
        actor,
        w.pid,
        day=date(2026, 3, 20),
        description="Hotel",
        amount_minor=10_000,
        tax_rate_id=w.vat.id,
        category="accommodation",
        markup_percent="15",
    )
    expenses.add_expense(
        session,
        actor,
        w.pid,
        day=date(2026, 3, 20),
        description="Team lunch",
        amount_minor=4_000,
        billable=False,
        category="meals",
    )
    session.commit()
    return w


def test_margin_per_project_is_the_hand_computed_one(session, world):
    (row,) = margin.margin(session, *MARCH, group="project")
    assert (row.label, row.currency) == ("Website build", "EUR")
    assert (row.billed_minor, row.unbilled_minor, row.revenue_minor) == (190_000, 59_000, 249_000)
    assert (row.time_cost_minor, row.expense_minor, row.margin_minor) == (136_000, 14_000, 99_000)


def test_the_same_margin_per_client_and_per_month(session, world):
    (client,) = margin.margin(session, *MARCH, group="client")
    (month,) = margin.margin(session, *MARCH, group="month")
    assert client.label == "Client Ltd" and month.label == "2026-03"
    assert client.margin_minor == month.margin_minor == 99_000


def test_the_second_cost_rate_applies_from_its_day_on(session, world):
    (early,) = margin.margin(session, date(2026, 3, 1), date(2026, 3, 9))
    assert early.time_cost_minor == 100_000  # 20 h at 50.00, before the 60.00 rate
    (late,) = margin.margin(session, date(2026, 3, 10), date(2026, 3, 31))
    assert late.time_cost_minor == 36_000 and late.billed_minor == 0


def test_billing_the_rest_moves_unbilled_into_billed_and_keeps_the_margin(session, world):
    inv = billing.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    billing.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 3, 31))
    session.commit()
    (row,) = margin.margin(session, *MARCH)
    assert (row.billed_minor, row.unbilled_minor, row.margin_minor) == (249_000, 0, 99_000)


def test_utilisation_is_fifty_percent_in_the_full_week(session, world):
    # the locale's weeks (core.formats.week_start: en-US in tests, weeks from Sunday)
    weeks = margin.utilisation(session, date(2026, 3, 1), date(2026, 3, 14), group="week")
    assert [(r.period, r.billable_minutes, r.total_minutes, r.capacity_minutes) for r in weeks] == [
        ("2026-03-01", 1200, 1200, 2400),
        ("2026-03-08", 300, 360, 2400),
    ]
    assert weeks[0].utilisation_percent == Decimal("50.0")
    assert weeks[1].utilisation_percent == Decimal("12.5")
    (person,) = margin.utilisation(session, date(2026, 3, 1), date(2026, 3, 14))
    assert (person.billable_minutes, person.capacity_minutes, person.utilisation_percent) == (
        1500,
        4800,
        Decimal("31.3"),
    )


def test_capacity_is_an_organisation_setting(session, world):
    margin.save_capacity_hours(session, SYSTEM, 20)
    (week,) = margin.utilisation(session, date(2026, 3, 1), date(2026, 3, 7), group="week")
    assert week.utilisation_percent == Decimal("100.0")
    with pytest.raises(DomainError):
        margin.save_capacity_hours(session, SYSTEM, 0)


def test_a_billed_expense_cannot_be_deleted_an_unbilled_one_can(session, world):
    rows = expenses.list_expenses(session, world.pid)
    lunch = next(r for r in rows if r["description"] == "Team lunch")
    hotel = next(r for r in rows if r["description"] == "Hotel")
    billing.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    with pytest.raises(DomainError) as err:
        expenses.delete_expense(session, SYSTEM, hotel["id"])
    assert err.value.kind == "conflict"
    expenses.delete_expense(session, SYSTEM, lunch["id"])
    assert [r["description"] for r in expenses.list_expenses(session, world.pid)] == ["Hotel"]
