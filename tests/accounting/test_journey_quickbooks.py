"""Journey: connect QuickBooks on Settings (the stand-in's consent page sends the browser back),
the client pays an invoice by Stripe and the payment goes to QuickBooks right after its commit
(the outbox): QuickBooks refuses it (an inactive deposit account), so the card lists it with
QuickBooks' error; once the account is fixed in QuickBooks, "Retry failed records" sends it;
"Sync with QuickBooks now" then has nothing left to send; the invoice and its payment say
where they are in QuickBooks; the stand-in holds the same amounts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from tests.payments.test_journey_pay_invoice import (
    a_project_with_time_and_a_change_order,
    create_invoice_from_project,
    pay_invoice,
    send_invoice,
)

SHOTS = "test-artifacts"


def connect_quickbooks(page, app) -> None:
    page.goto(f"{app.base_url}/settings")
    card = page.get_by_text("Accounting: QuickBooks Online")
    expect(card).to_be_visible()
    page.get_by_role("button", name="Connect QuickBooks").click()
    page.wait_for_url(re.compile(r".*/settings/?$"))
    expect(page.get_by_label("QuickBooks connection status")).to_have_text("Connected")


def see_the_refused_payment(page, app) -> None:
    """The sync ran by itself after the payment's commit; the worker may still be at it."""
    row = page.get_by_role(
        "row",
        name=re.compile(
            r"^Payment \d+ on INV-\S+ 6000: Business Validation Error: "
            r"The deposit account is inactive 1$"
        ),
    )
    for _ in range(20):
        page.goto(f"{app.base_url}/settings")
        expect(page.get_by_role("heading", name=re.compile(r"^Accounting: QuickBooks"))).to_be_visible()
        if row.count():
            break
        page.wait_for_timeout(500)
    expect(page.get_by_text("Refused by QuickBooks", exact=True)).to_be_visible()
    expect(row).to_be_visible()
    expect(page.get_by_text(re.compile("Last sync"))).to_be_visible()


def retry_the_failed_records(page) -> None:
    page.get_by_role("button", name="Retry failed records").click()
    # The payment and its Stripe fee (or fewer, when a sync after Stripe's second webhook was first).
    expect(page.get_by_text(re.compile(r"^\d+ record\(s\) sent to QuickBooks$"))).to_be_visible()
    expect(page.get_by_text("Refused by QuickBooks", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Sync with QuickBooks now").click()
    expect(page.get_by_text("0 record(s) sent to QuickBooks")).to_be_visible()  # nothing left to send


@pytest.mark.browser
def test_connect_pay_and_see_it_in_quickbooks(signed_in_page, app_server):
    page = signed_in_page
    connect_quickbooks(page, app_server)
    client, _deal = a_project_with_time_and_a_change_order(app_server)
    create_invoice_from_project(page, app_server, client)
    public_path = send_invoice(page)
    invoice_url = page.url
    for _ in range(10):  # refused until the bookkeeper fixes the account in QuickBooks (below)
        app_server.qbo.fail_next(
            "Payment",
            6000,
            "A business validation error has occurred",
            "Business Validation Error: The deposit account is inactive",
        )
    pay_invoice(page, app_server, public_path)
    see_the_refused_payment(page, app_server)
    app_server.qbo.faults.clear()  # the deposit account is active again in QuickBooks
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/accounting-settings-refused-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    retry_the_failed_records(page)
    page.screenshot(path=f"{SHOTS}/accounting-settings-1366.png", full_page=True)
    page.goto(invoice_url)
    number = re.search(r"INV-[\w-]+", page.get_by_role("heading", name=re.compile("INV-")).first.inner_text()).group(0)
    expect(page.get_by_text(f"In QuickBooks as {number}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"In QuickBooks as \d+$"))).to_be_visible()  # the payment
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/accounting-invoice-{width}.png", full_page=True)
    (remote,) = [i for i in app_server.qbo.all("Invoice") if i["DocNumber"] == number]
    assert Decimal(str(remote["TotalAmt"])) == Decimal("1050.00") and Decimal(str(remote["Balance"])) == 0
