"""Journey: the owner opens Insights > Cash, sees the chart and the table of the next 13 weeks
and the client's aging row, and downloads the forecast as CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today
from tests.browser.axe import assert_accessible
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def an_open_invoice(app) -> str:
    """5 approved hours at €100 invoiced 20 days ago on net-30 terms: €500.00 due in 10 days."""
    with app.session() as s:
        client = a_won_client(s, "Cashflow")
        project = a_delivered_project(
            s,
            client,
            f"{client.name} retainer",
            role="Consultant",
            rate_minor=10_000,
            entries=1,
            minutes=300,
            deal_value_minor=50_000,
        )
        today = org_today(s)
        inv = billing.build_invoice(s, SYSTEM, project.id, today)
        billing.issue_invoice(s, SYSTEM, inv.id, issue_date=today - timedelta(days=20))
        s.commit()
        return client.name


@pytest.mark.browser
def test_cash_page_shows_the_weeks_and_downloads_the_csv(signed_in_page, app_server):
    page = signed_in_page
    client = an_open_invoice(app_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app_server.base_url}/insights/cash")
    expect(page.get_by_role("heading", name="Expected cash, next 13 weeks")).to_be_visible()
    expect(page.get_by_role("link", name="Cash")).to_be_visible()
    expect(page.locator(".recharts-surface").first).to_be_visible()
    table = page.get_by_role("region", name="Cash forecast").get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="€500.00").first).to_be_visible()
    aging = page.get_by_role("region", name="Receivables aging").get_by_role("table")
    expect(aging.get_by_role("row").filter(has_text=client)).to_contain_text("€500.00")
    expect(page.get_by_text("DSO (EUR)")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/insights-cash-1366.png", full_page=True)
    assert_accessible(page, "/insights/cash at 1366 px")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    text = open(download.path(), encoding="utf-8").read()
    assert text.startswith("week_start,week_end,currency,overdue_minor")
    assert ",EUR," in text and "50000" in text

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # the chart measures its box when drawn: draw it at phone width
    expect(page.get_by_role("heading", name="Receivables aging")).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible()
    box = page.locator(".recharts-surface").first.bounding_box()
    assert box is not None and box["width"] <= 390
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1] + 1, f"the page is {scroll[0]} px wide at {scroll[1]} px"
    page.screenshot(path=f"{SHOTS}/insights-cash-390.png", full_page=True)
