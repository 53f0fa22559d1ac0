"""Journey: a client has two projects with approved time; on the Invoices page the billing
person picks the client, ticks both projects and creates ONE draft that shows each
project's lines under its name, with one total."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def a_client_with_two_projects_of_approved_time(app) -> str:
    """Website: 4 approved hours at €100; Mobile app: 3 approved hours at €120 (two deals)."""
    with app.session() as s:
        client = a_won_client(s, "Northwind", ("Nina North", "nina@northwind.test"))
        a_delivered_project(s, client, "Northwind website", role="Developer", rate_minor=10000, entries=4)
        a_delivered_project(s, client, "Northwind mobile app", role="Designer", rate_minor=12000, entries=3)
        s.commit()
    return client.name


def pick_the_client(page, app, client: str) -> None:
    page.goto(f"{app.base_url}/invoices")
    page.get_by_label("Client").select_option(label=client)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Northwind website, unbilled €400\.00"))).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Northwind mobile app, unbilled €360\.00"))).to_be_visible()


def tick_both_projects_and_create(page) -> None:
    create = page.get_by_role("button", name="Create invoice for selected projects")
    expect(create).to_be_disabled()
    expect(page.get_by_text("Tick the projects to put on one invoice.")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("^Northwind website")).click()
    page.get_by_role("checkbox", name=re.compile("^Northwind mobile app")).click()
    expect(page.get_by_text("Selected: €760.00")).to_be_visible()
    expect(create).to_be_enabled()
    page.screenshot(path=f"{SHOTS}/billing-client-invoice-pick.png", full_page=True)
    create.click()
    page.wait_for_url(re.compile(r".*/invoices/\d+/?$"))


def the_draft_shows_both_projects_with_one_total(page) -> None:
    expect(page.get_by_role("heading", name="Draft invoice")).to_be_visible()
    expect(page.get_by_text("Projects: Northwind mobile app, Northwind website")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Northwind mobile app")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Northwind website")).to_be_visible()
    expect(page.get_by_role("cell", name="Designer (3 entries)", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Developer (4 entries)", exact=True)).to_be_visible()
    expect(page.get_by_text("€760.00").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-client-invoice-draft.png", full_page=True)


def nothing_is_left_to_bill(page, app, client: str) -> None:
    page.goto(f"{app.base_url}/invoices")
    page.get_by_label("Client").select_option(label=client)
    page.get_by_role("checkbox", name=re.compile(r"^Northwind website, unbilled €0\.00")).click()
    expect(page.get_by_text("Nothing to bill up to this date in the selected projects.")).to_be_visible()
    expect(page.get_by_role("button", name="Create invoice for selected projects")).to_be_disabled()


@pytest.mark.browser
def test_one_invoice_across_two_projects_of_a_client(signed_in_page, app_server):
    page = signed_in_page
    client = a_client_with_two_projects_of_approved_time(app_server)
    pick_the_client(page, app_server, client)
    tick_both_projects_and_create(page)
    the_draft_shows_both_projects_with_one_total(page)
    nothing_is_left_to_bill(page, app_server, client)
