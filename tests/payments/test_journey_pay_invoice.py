"""Journey: bill a project's approved time and change order, send the invoice, and the client
pays it through the public link; the invoice then shows Paid and the deal shows it collected."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.projects.models import ChangeOrder
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def a_project_with_time_and_a_change_order(app) -> tuple[str, int]:
    """What delivery leaves behind: 6 approved hours at €100 and an approved €450 change order."""
    with app.session() as s:
        client = a_won_client(s, "Fabrikam", ("Fiona Finance", "fiona@fabrikam.test"))
        project = a_delivered_project(
            s, client, "Fabrikam website", role="Developer", rate_minor=10000, entries=3, minutes=120
        )
        s.add(
            ChangeOrder(
                project_id=project.id,
                description="Extra landing page",
                amount_minor=45000,
                status="approved",
                public_token=secrets.token_urlsafe(16),
            )
        )
        s.commit()
        return client.name, project.deal_id


def create_invoice_from_project(page, app, client: str) -> None:
    page.goto(f"{app.base_url}/invoices")
    page.get_by_label("Client").select_option(label=client)
    page.get_by_role("button", name="Create invoice for Fabrikam website").click()
    page.wait_for_url(re.compile(r".*/invoices/\d+/?$"))
    expect(page.get_by_text("Developer (3 entries)")).to_be_visible()
    expect(page.get_by_text("Change order #1: Extra landing page")).to_be_visible()


def send_invoice(page) -> str:
    page.get_by_role("button", name="Send invoice").click()
    # The e-mail composer opens with today's message; Send e-mail sends it.
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Subject", exact=True)).to_have_value(re.compile("Invoice"))
    dialog.get_by_role("button", name="Send e-mail").click()
    expect(page.get_by_text(re.compile("sent by e-mail to"))).to_be_visible()
    link = page.get_by_role("link", name=re.compile(r"\/i\/"))
    expect(link).to_be_visible()
    return link.get_attribute("href")


def pay_invoice(page, app, public_path: str) -> None:
    page.goto(f"{app.base_url}{public_path}")
    expect(page.get_by_role("heading", name=re.compile("Invoice INV-"))).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-public-invoice.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"Pay €1,050\.00")).click()
    expect(page.get_by_role("heading", name="Stand-in checkout")).to_be_visible()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r".*/i/.*paid=1"))


@pytest.mark.browser
def test_client_pays_an_invoice_built_from_the_work(signed_in_page, app_server):
    page = signed_in_page
    client, deal_id = a_project_with_time_and_a_change_order(app_server)
    create_invoice_from_project(page, app_server, client)
    page.screenshot(path=f"{SHOTS}/billing-draft.png", full_page=True)
    public_path = send_invoice(page)
    invoice_url = page.url
    pay_invoice(page, app_server, public_path)
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-public-paid.png", full_page=True)
    page.goto(invoice_url)
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name="stripe", exact=True)).to_be_visible()  # the method; "Stripe fee" is a column
    page.screenshot(path=f"{SHOTS}/billing-invoice-paid.png", full_page=True)
    the_ledger_shows_the_payment(page, app_server)
    the_deal_shows_the_money_collected(page, app_server, deal_id)


def the_ledger_shows_the_payment(page, app) -> None:
    page.goto(f"{app.base_url}/payments")
    expect(page.get_by_role("cell", name="€1,050.00").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-payments.png", full_page=True)
    page.goto(f"{app.base_url}/invoices")
    expect(page.get_by_role("link", name=re.compile("INV-")).first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-invoices.png", full_page=True)
    page.goto(f"{app.base_url}/settings/billing")
    expect(page.get_by_label("Invoice number pattern")).to_have_value("INV-{year}-{seq:04d}")
    page.screenshot(path=f"{SHOTS}/billing-settings.png", full_page=True)


def the_deal_shows_the_money_collected(page, app, deal_id: int) -> None:
    page.goto(f"{app.base_url}/deals/{deal_id}")
    expect(page.get_by_text("Invoiced €1,050.00", exact=True)).to_be_visible()
    expect(page.get_by_text("Collected €1,050.00", exact=True)).to_be_visible()
    expect(page.get_by_text("Open €0.00", exact=True)).to_be_visible()
    page.screenshot(path=f"{SHOTS}/billing-deal-collected.png", full_page=True)
