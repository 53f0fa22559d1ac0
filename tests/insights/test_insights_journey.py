"""Journey: the owner opens Insights, sees a late invoice among the money leaks, and follows
its link to the invoice itself."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today
from l2c_app.projects.models import ChangeOrder
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def a_late_invoice(app) -> tuple[int, str, str]:
    """What a forgotten client leaves behind: 5 approved hours at €100, invoiced 400 days ago on
    net-30 terms and never paid (the oldest late invoice of the install, so it is listed first)."""
    with app.session() as s:
        client = a_won_client(s, "Northwind")
        project = a_delivered_project(
            s,
            client,
            f"{client.name} audit",
            role="Auditor",
            rate_minor=10_000,
            entries=1,
            minutes=300,
            deal_value_minor=50_000,
        )
        today = org_today(s)  # the organisation's today (Paris), which Insights counts from
        inv = billing.build_invoice(s, SYSTEM, project.id, today)
        inv = billing.issue_invoice(s, SYSTEM, inv.id, issue_date=today - timedelta(days=400))
        # Work approved since, not billed yet: the project shows under Unbilled work.
        s.add(
            ChangeOrder(
                project_id=project.id,
                description="Extra site visit",
                amount_minor=25_000,
                status="approved",
                public_token=secrets.token_urlsafe(16),
            )
        )
        s.commit()
        return inv.id, inv.number, client.name


def open_insights(page, app) -> None:
    page.goto(f"{app.base_url}/insights")
    expect(page.get_by_role("heading", name="Where money leaks")).to_be_visible()


@pytest.mark.browser
def test_a_late_invoice_shows_on_insights_and_opens(signed_in_page, app_server):
    page = signed_in_page
    invoice_id, number, client = a_late_invoice(app_server)
    open_insights(page, app_server)
    overdue = page.get_by_role("region", name="Overdue invoices")
    link = overdue.get_by_role("link", name=f"{number} · {client}")
    expect(link).to_be_visible()
    expect(overdue.get_by_text("€500.00 open · 370 days overdue")).to_be_visible()
    expect(overdue.get_by_text("the oldest is 370 days overdue", exact=False)).to_be_visible()
    unbilled = page.get_by_role("region", name="Unbilled work")
    expect(unbilled.get_by_role("link", name=f"{client} audit ({client})")).to_have_attribute(
        "href", re.compile(r"/projects/\d+$")
    )
    # The ledger: the card says how much is open, how old the oldest is, and the one action.
    expect(overdue.get_by_label("Overdue invoices: age")).to_have_text(re.compile(r"oldest \d+ days"))
    expect(overdue.get_by_label("Overdue invoices: money")).to_have_text(re.compile(r"€[\d,]+\.\d\d"))
    reminder = overdue.get_by_role("link", name="Send reminder")
    expect(reminder).to_have_attribute("href", re.compile(r"/invoices(/\d+)?$"))
    expect(unbilled.get_by_role("link", name="Create the invoice")).to_have_attribute("href", re.compile(r"/invoices$"))
    page.screenshot(path=f"{SHOTS}/insights.png", full_page=True)
    page.screenshot(path=f"{SHOTS}/insights-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(overdue.get_by_role("link", name="Send reminder")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/insights-390.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    link.click()
    page.wait_for_url(re.compile(rf".*/invoices/{invoice_id}/?$"))
    expect(page.get_by_text(number).first).to_be_visible()


@pytest.mark.browser
def test_insights_settings_refuse_a_bad_threshold_and_save_a_good_one(signed_in_page, app_server):
    page = signed_in_page
    page.goto(f"{app_server.base_url}/settings")
    card = page.locator(".rt-Card", has=page.get_by_role("heading", name="Insights", exact=True))
    grace = card.get_by_label("Grace days after the due date")
    expect(grace).to_have_value("0")
    grace.fill("a week")
    card.get_by_role("button", name="Save Insights settings").click()
    expect(card.get_by_role("alert")).to_contain_text("Grace days after the due date: a whole number from 0 to 365.")
    page.screenshot(path=f"{SHOTS}/insights-settings-1366.png", full_page=False)
    grace.fill("0")  # the default again: other journeys count overdue invoices from the due date
    card.get_by_role("button", name="Save Insights settings").click()
    expect(page.get_by_text("Insights settings saved.")).to_be_visible()
    expect(card.get_by_role("alert")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    card.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/insights-settings-390.png", full_page=False)
