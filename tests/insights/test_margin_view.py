"""The display strings of Insights > Margin (insights/margin_view.py), from the hand-computed world
of test_margin.py: €2,490.00 revenue, €1,360.00 time, €140.00 expenses, €990.00 margin."""

from __future__ import annotations

from datetime import date

import pytest

from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.insights import margin_view
from tests.insights.test_margin import world  # noqa: F401  (the fixture)


def test_the_table_row_shows_each_figure_as_money(session, world):  # noqa: F811
    data = margin_view.margin_page(session, "2026-03-01", "2026-03-31", "project")
    (row,) = data["rows"]
    assert (row["label"], row["currency"]) == ("Website build", "EUR")
    assert (row["billed"], row["unbilled"], row["time_cost"], row["expenses"]) == (
        "€1,900.00",
        "€590.00",
        "€1,360.00",
        "€140.00",
    )
    assert row["margin"] == "€990.00" and row["negative"] == ""
    assert row["percent"] == "39.8%"  # 99,000 / 249,000 = 39.759 %, half-up to one decimal
    assert data["chart"] == [{"label": "Website build", "margin": 990}] and data["chart_currency"] == "EUR"
    assert data["group_label"] == "Project" and data["notes"] == []


def test_grouping_by_month_labels_the_month(session, world):  # noqa: F811
    data = margin_view.margin_page(session, "2026-03-01", "2026-03-31", "month")
    assert [r["label"] for r in data["rows"]] == ["2026-03"] and data["group_label"] == "Month"


def test_utilisation_shows_hours_capacity_and_percent(session, world):  # noqa: F811
    data = margin_view.margin_page(session, "2026-03-01", "2026-03-31", "project")
    (person,) = data["utilisation"]
    # 25 h billable; capacity 40 h x 31 / 7 = 10,628.57 -> 10,629 minutes = 177:09; 1,500 / 10,629 = 14.1 %
    assert (person["billable"], person["capacity"], person["percent"]) == ("25:00", "177:09", "14.1%")
    assert data["capacity"] == "40"


def test_capacity_is_saved_from_the_form_text(session, world):  # noqa: F811
    assert margin_view.save_capacity(session, SYSTEM, " 32 ") == 32
    assert margin_view.margin_page(session, "2026-03-01", "2026-03-31", "client")["capacity"] == "32"
    for bad in ("", "abc", "0", "200", "7.5"):
        with pytest.raises(DomainError):
            margin_view.save_capacity(session, SYSTEM, bad)


def test_a_bad_range_is_a_domain_error(session):
    with pytest.raises(DomainError):
        margin_view.margin_page(session, "2026-03-31", "2026-03-01", "project")
    with pytest.raises(DomainError):
        margin_view.margin_page(session, "not a day", "2026-03-01", "project")


def test_helpers():
    assert margin_view.month_range(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert margin_view.percent_text(-1, 3) == "-33.3%"
    assert margin_view.percent_text(5, 0) == "-"
    assert margin_view.percent_text(1, 8) == "12.5%"
