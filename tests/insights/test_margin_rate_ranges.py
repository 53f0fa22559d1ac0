"""Margin's time cost at the edges of the cost-rate ranges, and time with no rate at all
(SQLite and PostgreSQL).

One person, rates 50.00/h from 2026-03-10 and 60.00/h from 2026-03-20 (none before):
- 2 h on 03-09 (before any rate): uncosted, reported on the project's currency row;
- 1 h on 03-10 (the first rate's own day) and 1 h on 03-19 (its last day): 2 x 50.00 = 10,000;
- 1 h on 03-20 (the second rate's own day) and 3 h on 03-31: 4 x 60.00 = 24,000.
Time cost 34,000; uncosted 120 minutes.
"""

from __future__ import annotations

from datetime import date

import pytest

from l2c_app.core.audit import Actor
from l2c_app.insights import margin
from l2c_app.projects import cost_rates
from tests.billing.factory import World

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(session) -> World:
    w = World(session)
    actor = Actor("user", w.user.id)
    cost_rates.set_cost_rate(session, actor, w.user.id, date(2026, 3, 20), 6_000, "EUR")
    cost_rates.set_cost_rate(session, actor, w.user.id, date(2026, 3, 10), 5_000, "EUR")
    for minutes, day in ((120, 9), (60, 10), (60, 19), (60, 20), (180, 31)):
        w.time(minutes, day=date(2026, 3, day))
    session.commit()
    return w


@pytest.mark.parametrize("group", margin.MARGIN_GROUPS)
def test_each_entry_costs_the_rate_of_its_day_and_time_without_a_rate_is_uncosted(session, world, group):
    (row,) = margin.margin(session, *MARCH, group=group)
    assert row.currency == "EUR"
    assert (row.time_cost_minor, row.uncosted_minutes) == (34_000, 120)


def test_with_no_rate_at_all_every_minute_is_uncosted(session):
    w = World(session)
    w.time(90, day=date(2026, 3, 2))
    session.commit()
    (row,) = margin.margin(session, *MARCH, group="project")
    assert (row.label, row.currency, row.time_cost_minor, row.uncosted_minutes) == ("Website build", "EUR", 0, 90)
