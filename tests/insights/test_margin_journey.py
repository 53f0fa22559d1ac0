"""Journey: the owner opens Insights > Margin, sees the margin table and chart of this month,
groups by client; then opens the project and adds an expense, which is listed on the project."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from tests.browser.axe import assert_accessible
from tests.conftest import sign_in
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def unbilled_work(app) -> tuple[int, str, str]:
    """5 approved hours at €100 not billed yet: €500.00 of revenue to come, this month."""
    with app.session() as s:
        client = a_won_client(s, "Marginal")
        project = a_delivered_project(
            s, client, f"{client.name} rollout", role="Consultant", rate_minor=10_000, entries=1, minutes=300
        )
        s.commit()
        return project.id, project.name, client.account.name


@pytest.mark.browser
def test_margin_page_and_an_expense_on_the_project(signed_in_page, app_server):
    page = signed_in_page
    pid, project, client = unbilled_work(app_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app_server.base_url}/insights/margin")
    expect(page.get_by_role("link", name="Margin")).to_be_visible()
    region = page.get_by_role("region", name="Margin")
    expect(page.get_by_label("From")).not_to_have_value("")
    row = region.get_by_role("table").get_by_role("row").filter(has_text=project)
    expect(row).to_contain_text("€500.00")
    expect(region.locator(".recharts-surface").first).to_be_visible()
    expect(page.get_by_role("region", name="Utilisation").get_by_role("table")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/insights-margin-1366.png", full_page=True)
    assert_accessible(page, "/insights/margin at 1366 px")

    page.get_by_label("Group by").select_option("client")
    expect(region.get_by_role("columnheader", name="Client")).to_be_visible()
    expect(region.get_by_role("table").get_by_role("row").filter(has_text=client)).to_contain_text("€500.00")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # the chart measures its box when drawn: draw it at phone width
    expect(page.get_by_role("region", name="Margin").locator(".recharts-bar-rectangle").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/insights-margin-390.png", full_page=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{app_server.base_url}/projects/{pid}")
    card = page.get_by_role("region", name="Expenses")
    expect(card.get_by_text("No expenses yet")).to_be_visible()
    card.get_by_label("Description").fill("Train to the client")
    card.get_by_label(re.compile("^Amount")).fill("42.50")
    card.get_by_label("Category").select_option("travel")
    card.get_by_role("button", name="Add expense").click()
    listed = card.get_by_role("table").get_by_role("row").filter(has_text="Train to the client")
    expect(listed).to_contain_text("€42.50")
    expect(listed).to_contain_text("Travel")
    expect(listed).to_contain_text("Unbilled")
    card.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/project-expenses-1366.png", full_page=True)
    # the success toast is on screen: its colours pass too (assets/toast.css)
    expect(page.get_by_text("Expense added")).to_be_visible()
    assert_accessible(page, "/projects/[id] with an expense at 1366 px")

    card.get_by_role("button", name="Add expense").click()  # nothing typed: the service's refusal shows
    expect(card.get_by_role("alert")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    expect(listed).to_be_visible()
    page.screenshot(path=f"{SHOTS}/project-expenses-390.png", full_page=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    card.get_by_label("Expense the receipt is for").select_option(index=1)  # the one expense
    card.locator("#expense_receipt input[type=file]").set_input_files(
        files=[{"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% a ticket\n"}]
    )
    card.get_by_role("button", name="Attach receipt").click()
    expect(listed.get_by_role("link", name="Receipt")).to_be_visible()
    href = listed.get_by_role("link", name="Receipt").get_attribute("href") or ""
    assert href.startswith("/api/v1/expenses/") and "/_upload" not in href

    listed.get_by_role("button", name="Delete expense Train to the client").click()
    expect(card.get_by_text("No expenses yet")).to_be_visible()


def a_person(app, role: str) -> tuple[str, str]:
    from l2c_app.core.auth import create_user

    app.ensure_owner()
    email, password = f"{role}{secrets.token_hex(3)}@l2c.test", f"{role}-password-1"
    with app.session() as s:
        create_user(s, name=f"{role.title()} Person", email=email, role=role, password=password)
        s.commit()
    return email, password


@pytest.mark.browser
def test_billing_sees_margins_without_the_capacity_form_and_sales_is_refused(page, app_server):
    unbilled_work(app_server)
    sign_in(page, app_server, *a_person(app_server, "billing"))
    page.goto(f"{app_server.base_url}/insights/margin")
    expect(page.get_by_role("region", name="Margin").get_by_role("table")).to_be_visible()
    expect(page.get_by_text(re.compile(r"owners and admins change it here"))).to_be_visible()
    expect(page.get_by_role("button", name="Save capacity")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(page, app_server, *a_person(app_server, "sales"))
    page.goto(f"{app_server.base_url}/insights/margin")
    expect(page.get_by_text("Your role (sales) may not open margin.")).to_be_visible()
    expect(page.get_by_role("region", name="Margin")).to_have_count(0)
