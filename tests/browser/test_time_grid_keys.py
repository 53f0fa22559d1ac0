"""The weekly time grid's keyboard rules (issue 22), and its day-by-day view on a phone.

A focused cell is in "move" mode: typing replaces its text, the arrows move to the next
cell and leaving a cell saves it. Enter (on an untouched cell) or F2 edits: Left/Right then
move the text cursor. A value a save refuses stays in its cell, marked, and the message
names the day."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_responsive import a_world_with_one_of_everything
from tests.conftest import sign_in
from tests.projects.test_journey import create_project, signed_contract, time_rules

pytestmark = pytest.mark.browser

ROW = "Keyboard harbour · Senior developer"


@pytest.fixture(scope="module")
def grid_project(app_server, browser):
    a_world_with_one_of_everything(app_server)  # the demo first (it builds on an empty database)
    signed_contract(app_server, "Keyboard harbour")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    sign_in(page, app_server, *app_server.ensure_owner())
    create_project(page, app_server, "Keyboard harbour agreement")
    ctx.close()
    # Monday-first weeks (en-GB) and future days open: the keys are tested on a whole week.
    time_rules(app_server, allow_future=True, locale="en-GB")
    yield ROW
    time_rules(app_server, allow_future=False, locale="en-US")


def open_grid(page, app) -> None:
    page.goto(f"{app.base_url}/time")
    page.get_by_label("Add a row: find a project").fill("Keyboard")
    page.get_by_role("button", name=f"Add row {ROW}").click()


def test_arrows_move_between_cells_and_enter_edits(signed_in_page, app_server, grid_project):
    page, app = signed_in_page, app_server
    page.set_viewport_size({"width": 1366, "height": 900})
    open_grid(page, app)
    cell = lambda day: page.get_by_label(f"{ROW}, {day}", exact=True)  # noqa: E731
    expect(cell("Monday")).to_be_focused()  # after "Add row" the focus is in the new row, not on the page
    page.reload()  # a row added but still empty stays
    expect(cell("Monday")).to_be_visible()
    cell("Monday").click()
    # The bug of the issue: "1h", Right, "30m", Right, "45m" became "13045mmh" in one cell.
    page.keyboard.type("1h")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("30m")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("45m")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("status")).to_have_text("All changes saved")
    expect(cell("Monday")).to_have_value("1:00")
    expect(cell("Tuesday")).to_have_value("0:30")
    expect(cell("Wednesday")).to_have_value("0:45")
    expect(cell("Thursday")).to_be_focused()
    expect(page.get_by_label(f"Total of {ROW}")).to_have_text("2:15")

    # Enter edits the cell: Left moves the text cursor, so the cell keeps the focus.
    cell("Monday").click()
    page.keyboard.press("Enter")
    expect(cell("Monday")).to_have_attribute("data-editing", "1")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.type("2")  # "1:00" -> "12:00"
    expect(cell("Monday")).to_be_focused()
    expect(cell("Monday")).to_have_value("12:00")
    page.keyboard.press("Escape")  # put back
    expect(cell("Monday")).to_have_value("1:00")
    page.keyboard.press("F2")
    page.keyboard.press("ArrowLeft")
    expect(cell("Monday")).to_be_focused()
    page.keyboard.press("F2")  # back to moving
    page.keyboard.press("ArrowRight")
    expect(cell("Tuesday")).to_be_focused()

    # A value that is no duration stays in its cell, marked, and the message names the day.
    cell("Thursday").click()
    page.keyboard.type("lots")
    page.keyboard.press("Tab")
    expect(page.get_by_role("status")).to_have_text("Not saved")
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Thursday \d{1,2} \w{3} \d{4}: 'lots' is not a duration")
    )  # the day in en-GB
    expect(cell("Thursday")).to_have_value("lots")
    expect(cell("Thursday")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path="test-artifacts/time-grid-invalid-1366.png", full_page=True)
    assert_accessible(page, "/time (week)")
    cell("Thursday").fill("2h")
    cell("Thursday").press("Tab")
    expect(page.get_by_role("status")).to_have_text("All changes saved")
    expect(cell("Thursday")).to_have_attribute("aria-invalid", "false")
    expect(cell("Thursday")).to_have_value("2:00")


def test_phone_shows_one_day_at_a_time(browser, app_server, grid_project):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        sign_in(page, app_server, *app_server.ensure_owner())
        open_grid(page, app_server)
        expect(page.get_by_role("table", name="Weekly time grid")).to_be_hidden()
        day = page.get_by_role("group", name="Time of one day")
        expect(day).to_be_visible()
        heading = day.get_by_role("heading")
        first = heading.inner_text()
        # Stay in this week (a new week starts without the added row).
        away, back = ("Previous day", "Next day") if first.startswith("Sun") else ("Next day", "Previous day")
        day.get_by_role("button", name=away).click()
        expect(heading).not_to_have_text(first)
        second = heading.inner_text()
        box = day.get_by_label(f"{ROW} on {second}")
        box.click()
        page.keyboard.type("1:45")
        page.keyboard.press("Tab")
        expect(page.get_by_role("status")).to_have_text("All changes saved")
        expect(day.get_by_label("Day total")).not_to_have_text("0:00")
        day.get_by_role("button", name=back).click()
        expect(heading).to_have_text(first)
        day.get_by_role("button", name=away).click()
        expect(day.get_by_label(f"{ROW} on {second}")).to_have_value("1:45")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path="test-artifacts/time-day-view-390.png", full_page=True)
        assert_accessible(page, "/time (day)")
    finally:
        ctx.close()
