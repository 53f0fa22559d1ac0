"""Settings > Formats (issue 22): switch the organisation to de-DE, see German money, dates and
a Monday-first week; switch back to en-US and see en-US again (the example line included: a
previous attempt left it in German). Screenshots of the card and the grid at 1366 and 390 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_responsive import a_world_with_one_of_everything

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("L2C_SHOTS", "/tmp/shots-ui22a"))
EXAMPLE_DE = "1.234.567,89"
EXAMPLE_US = "1,234,567.89"


def choose_locale(page, label: str) -> None:
    page.get_by_label("Locale", exact=True).click()
    page.get_by_role("option", name=label).click()


def shoot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(300)
    if name.startswith("settings"):
        page.get_by_label("Formats example").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=False)


def test_locale_de_and_back_to_en_us(signed_in_page, app_server):
    page, app = signed_in_page, app_server
    a_world_with_one_of_everything(app)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app.base_url}/settings")
    example = page.get_by_label("Formats example")
    expect(example).to_contain_text(EXAMPLE_US)

    choose_locale(page, "Deutsch (Deutschland) (de-DE)")
    expect(example).to_contain_text(EXAMPLE_DE)
    expect(example).to_contain_text("14.03.2026")
    expect(example).to_contain_text("Montag")
    page.get_by_label("Formats example").scroll_into_view_if_needed()
    shoot(page, "settings-formats-de", 1366)
    # back and forth before saving: the example follows each choice
    choose_locale(page, "English (United States) (en-US)")
    expect(example).to_contain_text(EXAMPLE_US)
    expect(example).not_to_contain_text(EXAMPLE_DE)
    choose_locale(page, "Deutsch (Deutschland) (de-DE)")
    expect(example).to_contain_text(EXAMPLE_DE)
    page.get_by_role("button", name="Save formats").click()
    expect(page.get_by_text("Formats saved: Deutsch (Deutschland).")).to_be_visible()

    page.goto(f"{app.base_url}/invoices")
    expect(page.get_by_text(re.compile(r"\d,\d\d\s€")).first).to_be_visible()
    page.goto(f"{app.base_url}/time")
    page.get_by_label("Add a row: find a project").fill("e")  # a demo project's row: the grid shows
    page.get_by_role("button", name=re.compile("^Add row ")).first.click()
    headers = page.get_by_role("columnheader")
    expect(headers.nth(1)).to_have_text(re.compile(r"^Mo\. \d\d\.\d\d\.$"))
    expect(headers.nth(7)).to_have_text(re.compile(r"^So\. "))
    expect(page.get_by_role("heading", name=re.compile(r"Week of \d\d\.\d\d\.\d{4}"))).to_be_visible()
    shoot(page, "time-grid-de", 1366)
    shoot(page, "time-grid-de", 390)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app.base_url}/settings")
    expect(example).to_contain_text(EXAMPLE_DE)  # what was saved
    choose_locale(page, "English (United States) (en-US)")
    expect(example).to_contain_text(EXAMPLE_US)
    expect(example).to_contain_text("Mar 14, 2026")
    expect(example).not_to_contain_text(EXAMPLE_DE)
    page.get_by_role("button", name="Save formats").click()
    expect(page.get_by_text("Formats saved: English (United States).")).to_be_visible()
    page.reload()
    expect(example).to_contain_text(EXAMPLE_US)
    expect(example).to_contain_text("Sunday")
    page.get_by_label("Formats example").scroll_into_view_if_needed()
    shoot(page, "settings-formats-en", 1366)
    shoot(page, "settings-formats-en", 390)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app.base_url}/invoices")
    expect(page.get_by_text(re.compile(r"€\d[\d,]*\.\d\d")).first).to_be_visible()
    page.goto(f"{app.base_url}/time")
    page.get_by_label("Add a row: find a project").fill("e")  # the en-US week is another range of days
    page.get_by_role("button", name=re.compile("^Add row ")).first.click()
    expect(headers.nth(1)).to_have_text(re.compile(r"^Sun \d{1,2}/\d{1,2}$"))
    expect(headers.nth(7)).to_have_text(re.compile(r"^Sat "))
    page.evaluate("localStorage.setItem('theme', 'dark')")
    page.reload()
    expect(headers.nth(1)).to_have_text(re.compile(r"^Sun "))
    shoot(page, "time-grid-en-dark", 1366)
    page.evaluate("localStorage.setItem('theme', 'light')")
