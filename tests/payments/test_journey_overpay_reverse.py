"""Journey: a typo'd payment far above the open amount is caught by a confirmation that names
the client credit it creates; once recorded, it is reversed with a reason and the invoice
is open again; the Payments page shows the reversal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def an_issued_invoice_of_six_hours(app) -> int:
    """6 approved hours at €175 (no tax), invoiced and issued: €1,050.00 open."""
    with app.session() as s:
        client = a_won_client(s, "Northwind", ("Nora North", "nora@northwind.test"))
        project = a_delivered_project(
            s, client, "Northwind shop", role="Developer", rate_minor=17500, entries=3, minutes=120
        )
        inv = billing.build_invoice(s, SYSTEM, project.id, org_today(s))
        billing.issue_invoice(s, SYSTEM, inv.id)
        s.commit()
        return inv.id


def the_form_starts_from_what_is_open(page, app, invoice_id: int) -> None:
    page.goto(f"{app.base_url}/invoices/{invoice_id}")
    expect(page.get_by_text("Issued", exact=True).first).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("1050.00")
    expect(page.get_by_label("Received on")).to_have_value(re.compile(r"\d{4}-\d{2}-\d{2}"))


def record_a_payment_typed_wrong(page) -> None:
    page.get_by_label("Amount", exact=True).fill("10500.00")
    page.get_by_role("button", name="Record payment").click()
    warning = page.get_by_role("alert").filter(has_text="client credit of €9,450.00")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("open amount of €1,050.00")


def confirm_the_overpayment(page) -> None:
    page.get_by_role("button", name="Record overpayment as client credit").click()
    expect(page.get_by_text("Payment recorded. The extra is kept as the client's credit.")).to_be_visible()
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Overpaid: €9,450\.00 kept as the client's credit"))).to_be_visible()


def reverse_the_payment(page, reason: str) -> None:
    page.get_by_role("button", name="Reverse payment of €10,500.00").click()
    page.get_by_label("Reason for the reversal").fill(reason)
    page.get_by_role("button", name="Reverse payment", exact=True).click()
    expect(page.get_by_text("Payment reversed; the invoice is recomputed.")).to_be_visible()
    expect(page.get_by_text("reversed", exact=True)).to_be_visible()
    expect(page.get_by_text(reason).first).to_be_visible()
    expect(page.get_by_text("Issued", exact=True).first).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("1050.00")


def shoot(page, name: str) -> None:
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.browser
def test_an_overpayment_is_confirmed_then_reversed(signed_in_page, app_server):
    page = signed_in_page
    invoice_id = an_issued_invoice_of_six_hours(app_server)
    the_form_starts_from_what_is_open(page, app_server, invoice_id)
    record_a_payment_typed_wrong(page)
    shoot(page, "ledger-overpayment-confirm")
    confirm_the_overpayment(page)
    page.goto(f"{app_server.base_url}/payments")
    expect(page.get_by_role("heading", name="Overpayments and client credit")).to_be_visible()
    expect(page.get_by_role("cell", name="€9,450.00").first).to_be_visible()
    shoot(page, "ledger-payments-credit")
    page.goto(f"{app_server.base_url}/invoices/{invoice_id}")
    reverse_the_payment(page, "Typed 10,500 for 1,050")
    shoot(page, "ledger-invoice-reversed")
    page.goto(f"{app_server.base_url}/payments")
    expect(page.get_by_text("Typed 10,500 for 1,050")).to_be_visible()
    expect(page.get_by_role("heading", name="Overpayments and client credit")).to_have_count(0)
    shoot(page, "ledger-payments-reversed")
