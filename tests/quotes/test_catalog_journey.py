"""An admin sets up the tax rates and the catalog, corrects a price, archives an item."""

import pytest
from playwright.sync_api import expect


def add_tax_rate(page, name: str, percent: str) -> None:
    page.get_by_label("Tax name").fill(name)
    page.get_by_label("Percent", exact=True).fill(percent)
    page.get_by_role("button", name="Add tax rate").click()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()


def add_hourly_role(page, name: str, price: str, tax: str) -> None:
    page.get_by_label("Item name").fill(name)
    page.get_by_label("Kind", exact=True).select_option(label="Hourly role")
    page.get_by_label("Role", exact=True).fill(name)
    page.get_by_label("Price", exact=True).fill(price)
    page.get_by_label("Default tax", exact=True).select_option(label=tax)
    page.get_by_role("button", name="Add catalog item").click()


@pytest.mark.browser
def test_set_up_taxes_and_catalog(signed_in_page, app_server):
    page = signed_in_page
    page.goto(f"{app_server.base_url}/settings/catalog")
    add_tax_rate(page, "GST 5.5%", "5.5")
    add_hourly_role(page, "Lead architect", "180", "GST 5.5%")
    expect(page.get_by_text("€180.00 / hour")).to_be_visible()

    page.get_by_role("button", name="Edit Lead architect").click()
    expect(page.get_by_label("Price", exact=True)).to_have_value("180.00")
    page.get_by_label("Price", exact=True).fill("195.50")
    page.get_by_role("button", name="Save catalog item").click()
    expect(page.get_by_text("€195.50 / hour")).to_be_visible()

    page.get_by_label("Percent", exact=True).fill("-3")  # a clear refusal, nothing stored
    page.get_by_label("Tax name").fill("Broken")
    page.get_by_role("button", name="Add tax rate").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot be negative")
    expect(page.get_by_role("cell", name="Broken")).to_have_count(0)

    page.get_by_role("button", name="Remove Lead architect").click()  # unused: deleted outright
    expect(page.get_by_text("€195.50 / hour")).to_have_count(0)
