"""A person submits their week from the time grid; the approvals list shows it as submitted,
and approving turns the grid's line to "Approved" (issue 19, week submit)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_responsive import a_world_with_one_of_everything
from tests.conftest import sign_in
from tests.projects.test_journey import a_billing_approver, a_person, create_project, signed_contract

# Sam submits: a person of their own, so the week's status depends on this journey alone (the
# owner's week is filled and approved by other journeys in the shared app).
pytestmark = pytest.mark.browser

ROW = "Submit harbour · Senior developer"
SHOTS = "/tmp/shots-api19"


@pytest.fixture(scope="module")
def submit_project(app_server, browser):
    a_world_with_one_of_everything(app_server)
    signed_contract(app_server, "Submit harbour")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    sign_in(page, app_server, *app_server.ensure_owner())
    create_project(page, app_server, "Submit harbour agreement")
    ctx.close()
    return ROW


def test_submit_the_week_then_approve_it(page, app_server, submit_project, browser):
    app = app_server
    sign_in(page, app, *a_person(app, "Sam Submitter", "sam.submitter@l2c.test", "delivery", "delivery-password-2"))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app.base_url}/time")
    page.get_by_label("Add a row: find a project").fill("Submit harbour")
    page.get_by_role("button", name=f"Add row {ROW}").click()
    status = page.get_by_label("Week status")
    expect(status).not_to_contain_text("Submitted")
    cell = page.get_by_label(f"{ROW}, Monday", exact=True)
    cell.click()
    page.keyboard.type("2h")
    page.keyboard.press("Tab")
    expect(page.get_by_role("status")).to_have_text("All changes saved")
    page.reload()
    expect(status).not_to_contain_text("Approved")  # new time waits for the submit
    page.get_by_role("button", name="Submit week for approval").click()
    expect(status).to_contain_text("Submitted for approval on")
    expect(page.get_by_role("button", name="Submit week for approval")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/time-submitted-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/time-submitted-390.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # Nobody approves their own week while someone else may (the time rules): billing does.
    approver = browser.new_context(viewport={"width": 1366, "height": 900})
    approver.set_default_timeout(20_000)
    try:
        other = approver.new_page()
        sign_in(other, app, *a_billing_approver(app))
        other.goto(f"{app.base_url}/time/approvals")
        row = other.get_by_role("row").filter(has_text="Submit harbour").filter(has_text="Sam Submitter")
        expect(row.first).to_contain_text("Submitted")
        other.emulate_media(color_scheme="dark")
        other.screenshot(path=f"{SHOTS}/approvals-dark-1366.png", full_page=True)
        other.emulate_media(color_scheme="light")
        other.screenshot(path=f"{SHOTS}/approvals-1366.png", full_page=True)
        row.first.get_by_role("button", name="Approve week").click()
        expect(
            other.get_by_role("row").filter(has_text="Submit harbour").filter(has_text="Sam Submitter")
        ).to_have_count(0)
    finally:
        approver.close()

    page.goto(f"{app.base_url}/time")
    expect(page.get_by_label("Week status")).to_have_text("Approved")
