"""Journey: the owner opens Insights > Cycle times, switches the grouping to owner, picks a
hand-off for the chart, and follows a deal behind the figure to the deal page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"
STEP = "Project created → first time logged"


def a_project_with_time(app) -> int:
    """A won deal whose project has time logged: its "project created -> first time" is finished."""
    with app.session() as s:
        client = a_won_client(s, "Cyclone")
        project = a_delivered_project(s, client, f"{client.name} site", role="Developer", rate_minor=10_000, entries=2)
        s.commit()
        return project.deal_id


@pytest.mark.browser
def test_cycle_times_page_groups_and_links_to_the_deal(signed_in_page, app_server):
    page = signed_in_page
    deal_id = a_project_with_time(app_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app_server.base_url}/insights/cycle-times")
    expect(page.get_by_role("heading", name="Every hand-off")).to_be_visible()
    expect(page.get_by_role("link", name="Cycle times")).to_be_visible()  # the tab
    page.get_by_role("combobox", name="Group by").click()
    page.get_by_role("option", name="Owner").click()
    expect(page.get_by_role("combobox", name="Group by")).to_contain_text("Owner")
    page.get_by_role("combobox", name="Hand-off in the chart").click()
    page.get_by_role("option", name=STEP).click()
    chart = page.get_by_role("region", name="Cycle time chart")
    expect(chart.get_by_role("heading", name=STEP)).to_be_visible()
    link = chart.locator(f'a[href$="/deals/{deal_id}"]')  # a deal behind the figure
    expect(link).to_be_visible()
    expect(page.locator(".recharts-surface").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/cycle-times-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("heading", name="Every hand-off")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/cycle-times-390.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    link.click()
    page.wait_for_url(re.compile(rf".*/deals/{deal_id}/?$"))
