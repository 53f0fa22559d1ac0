"""The Expenses card's strings and form parsing (projects/expenses_view.py), on both databases."""

from __future__ import annotations

from datetime import date

import pytest

from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.projects import expenses_view
from tests.billing.factory import World


def _form(**over):
    return {
        "day": "2026-03-20",
        "description": "Hotel",
        "amount": "1,042.50",
        "tax_rate": "",
        "category": "travel",
        "billable": "on",
        "markup": "15",
        **over,
    }


def test_an_added_expense_is_listed_with_its_strings(session):
    w = World(session)
    actor = Actor("user", w.user.id)
    row = expenses_view.add_from_form(session, actor, w.pid, _form(tax_rate=str(w.vat.id)))
    assert (row.amount_minor, row.day, row.billable, row.category) == (104_250, date(2026, 3, 20), True, "travel")
    expenses_view.add_from_form(
        session, actor, w.pid, _form(description="Lunch", amount="12", billable=None, markup="", category="meals")
    )
    session.commit()
    card = expenses_view.expenses_card(session, w.pid)
    hotel, lunch = sorted(card["rows"], key=lambda r: r["description"])
    assert (hotel["amount"], hotel["category"], hotel["billable"], hotel["status"]) == (
        "€1,042.50",
        "Travel",
        "Billable +15%",
        "Unbilled",
    )
    assert hotel["tax"] == w.vat.name and hotel["billed"] == "" and hotel["receipt_url"] == ""
    assert (lunch["amount"], lunch["billable"], lunch["tax"]) == ("€12.00", "Not billable", "No tax")
    assert card["currency"] == "EUR" and {"id": "other", "label": "Other"} in card["categories"]
    assert any(o["id"] == str(w.vat.id) for o in card["tax_options"])


@pytest.mark.parametrize(
    "over, field",
    [
        ({"amount": ""}, "amount_minor"),
        ({"amount": "1.234"}, "amount_minor"),
        ({"amount": "0"}, "amount_minor"),
        ({"day": ""}, "day"),
        ({"description": " "}, "description"),
        ({"tax_rate": "x"}, "tax_rate_id"),
        ({"markup": "abc"}, "markup_percent"),
    ],
)
def test_a_bad_form_is_a_domain_error_about_its_field(session, over, field):
    w = World(session)
    with pytest.raises(DomainError) as err:
        expenses_view.add_from_form(session, Actor("user", w.user.id), w.pid, _form(**over))
    assert err.value.field == field
