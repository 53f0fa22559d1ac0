"""Journey: the owner opens Team, sets a person's cost rate from a past day and sees it listed as
current; a second rate from a later day (the org's today, the form's default) becomes current and
the first moves to the history. Screenshots at 1366 and 390 px."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from tests.browser.axe import assert_accessible

SHOTS = "test-artifacts"


def a_person(app) -> tuple[str, str]:
    from l2c_app.core.auth import create_user

    name, email = f"Rita Rate {secrets.token_hex(2)}", f"rita{secrets.token_hex(3)}@l2c.test"
    with app.session() as s:
        create_user(s, name=name, email=email, role="sales", password=None)
        s.commit()
    return name, email


@pytest.mark.browser
def test_owner_sets_two_cost_rates_and_sees_current_and_history(signed_in_page, app_server):
    page = signed_in_page
    name, email = a_person(app_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app_server.base_url}/team")
    card = page.get_by_role("region", name="Cost rates")
    expect(card.get_by_role("heading", name="Set a cost rate")).to_be_visible()
    expect(card.get_by_text("visible only to owners, admins and billing")).to_be_visible()
    day = card.get_by_label("Effective from")
    expect(day).not_to_have_value("")
    today = day.input_value()

    card.get_by_label("Person").select_option(label=f"{name} ({email})")
    day.fill("2026-01-01")
    card.get_by_label(re.compile("^Amount per hour")).fill("55")
    card.get_by_role("button", name="Save cost rate").click()
    person = card.get_by_role("listitem", name=f"Cost rates of {name}")
    expect(person).to_contain_text("€55.00 per hour")
    expect(person).to_contain_text("since Jan 1, 2026")

    card.get_by_label(re.compile("^Amount per hour")).fill("1.234")  # too many decimals: shown beside the form
    card.get_by_role("button", name="Save cost rate").click()
    expect(card.get_by_role("alert")).to_contain_text("at most 2 decimals")

    day.fill(today)
    card.get_by_label(re.compile("^Amount per hour")).fill("65.50")
    card.get_by_role("button", name="Save cost rate").click()
    expect(card.get_by_role("alert")).to_have_count(0)
    expect(person.get_by_test_id("current-rate")).to_have_text("€65.50 per hour")
    expect(person).to_contain_text("History")
    expect(person).to_contain_text("From Jan 1, 2026")
    expect(person).to_contain_text("€55.00 per hour")
    expect(person).to_contain_text("Earlier")

    card.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/team-cost-rates-1366.png", full_page=True)
    # The toasts may still be on screen (they pause while the pointer is over them): their
    # contrast passes now (assets/toast.css), so axe runs with them, as the margin journey does.
    assert_accessible(page, "/team with cost rates at 1366 px")

    page.set_viewport_size({"width": 390, "height": 844})
    expect(person).to_be_visible()
    page.screenshot(path=f"{SHOTS}/team-cost-rates-390.png", full_page=True)
