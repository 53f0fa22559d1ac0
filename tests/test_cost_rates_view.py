"""The Cost rates card of /team: display strings and the form's parsing, on SQLite and PostgreSQL.

The world is built through services (`core.auth.setup_organisation`, `create_user`); the clock
stands at 2026-03-15 12:00 UTC, which is already 03-16 in Pacific/Kiritimati (the org's zone in
one test), so "today" is the organisation's, never the server's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from l2c_app.core import timeutil
from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user, setup_organisation
from l2c_app.core.errors import DomainError
from l2c_app.projects import cost_rates
from l2c_app.team import cost_rates_view as view

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _world(session, monkeypatch, currency="EUR", timezone="UTC"):
    monkeypatch.setattr(timeutil, "clock", lambda: NOW)
    _, owner = setup_organisation(
        session,
        org_name="Studio",
        currency=currency,
        timezone=timezone,
        owner_name="Olga Owner",
        owner_email="olga@l2c.test",
        password="correct-horse-1",
    )
    dev = create_user(session, name="Dana Dev", email="dana@l2c.test", role="sales", password="correct-horse-2")
    session.commit()
    return Actor("user", owner.id), owner, dev


def test_empty_card_offers_active_people_and_the_orgs_today(session, monkeypatch):
    _, owner, dev = _world(session, monkeypatch, timezone="Pacific/Kiritimati")
    card = view.cost_rates_card(session)
    assert card["rows"] == []
    assert card["today"] == "2026-03-16"  # Kiritimati's day, not the server's 03-15
    assert card["currency"] == "EUR"
    assert [p["label"] for p in card["people"]] == ["Dana Dev (dana@l2c.test)", "Olga Owner (olga@l2c.test)"]
    assert "time costs nothing in margins" in view.EMPTY_TEXT
    assert "owners, admins and billing" in view.HELP_TEXT and "Insights > Margin" in view.HELP_TEXT


def test_form_sets_a_rate_in_the_orgs_currency_and_the_card_shows_current_and_history(session, monkeypatch):
    actor, _, dev = _world(session, monkeypatch)
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-01-01", "amount": "50"})
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-03-10", "amount": "1,060.25"})
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-04-01", "amount": "70"})
    session.commit()
    stored = cost_rates.cost_rates(session, dev.id)
    assert [(r.effective_from, r.amount_minor, r.currency) for r in stored] == [
        (date(2026, 1, 1), 5_000, "EUR"),
        (date(2026, 3, 10), 106_025, "EUR"),
        (date(2026, 4, 1), 7_000, "EUR"),
    ]
    (row,) = view.cost_rates_card(session)["rows"]
    assert row["name"] == "Dana Dev"
    assert row["current"] == "€1,060.25 per hour" and row["current_from"] == "since Mar 10, 2026"
    assert [(h["from"], h["amount"], h["status"]) for h in row["history"]] == [
        ("Apr 1, 2026", "€70.00 per hour", "Upcoming"),
        ("Jan 1, 2026", "€50.00 per hour", "Earlier"),
    ]


def test_same_day_replaces_and_an_empty_day_means_the_orgs_today(session, monkeypatch):
    actor, _, dev = _world(session, monkeypatch)
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "", "amount": "40"})
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-03-15", "amount": "45.5"})
    session.commit()
    assert [(r.effective_from, r.amount_minor) for r in cost_rates.cost_rates(session, dev.id)] == [
        (date(2026, 3, 15), 4_550)
    ]


def test_a_zero_decimal_currency_parses_whole_units(session, monkeypatch):
    actor, _, dev = _world(session, monkeypatch, currency="JPY")
    view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-03-01", "amount": "8000"})
    session.commit()
    (rate,) = cost_rates.cost_rates(session, dev.id)
    assert (rate.amount_minor, rate.currency) == (8_000, "JPY")
    with pytest.raises(DomainError, match="at most 0 decimals") as exc:
        view.set_from_form(session, actor, {"user_id": str(dev.id), "effective_from": "2026-03-02", "amount": "8000.5"})
    assert exc.value.field == "amount_minor"


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"user_id": "", "effective_from": "2026-03-01", "amount": "50"}, "user_id", "Choose the person"),
        ({"user_id": "DEV", "effective_from": "2026-03-01", "amount": ""}, "amount_minor", "Give the cost per hour"),
        ({"user_id": "DEV", "effective_from": "2026-03-01", "amount": "fifty"}, "amount_minor", "is not an amount"),
        ({"user_id": "DEV", "effective_from": "2026-03-01", "amount": "50.123"}, "amount_minor", "at most 2 decimals"),
        ({"user_id": "DEV", "effective_from": "2026-03-01", "amount": "-5"}, "amount_minor", "not negative"),
        ({"user_id": "DEV", "effective_from": "not a day", "amount": "50"}, "effective_from", "Give the day"),
        ({"user_id": "999999", "effective_from": "2026-03-01", "amount": "50"}, "user_id", "No person"),
    ],
)
def test_form_refusals_are_domain_errors_naming_the_field(session, monkeypatch, form, field, message):
    actor, _, dev = _world(session, monkeypatch)
    form = {k: (str(dev.id) if v == "DEV" else v) for k, v in form.items()}
    with pytest.raises(DomainError, match=message) as exc:
        view.set_from_form(session, actor, form)
    assert exc.value.field == field
    session.rollback()
    assert cost_rates.cost_rates(session) == []


def test_the_cards_events_are_guarded_for_owners_and_admins():
    from l2c_app.core.auth import SECTION_ROLES
    from l2c_app.team.cost_rates_state import CostRatesState

    for handler in (CostRatesState.load, CostRatesState.save):
        assert getattr(handler.fn, "guarded_section", None) == "team"
    assert set(SECTION_ROLES["team"]) == {"owner", "admin"}
