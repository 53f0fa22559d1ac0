"""Journey: the owner fills the seller profile on Settings (a mistyped IBAN is refused with a
clear message), uploads the logo, gives the client its VAT id on the deal page; the client's
invoice page then shows the seller, the bank details, the invoice number as the reference,
the SEPA QR code and the tax table, and so does the PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from l2c_app.core.audit import SYSTEM
from tests.delivered import a_delivered_project, a_won_client

SHOTS = "test-artifacts"


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 60), (62, 99, 221))
    ImageDraw.Draw(img).text((12, 20), "NORTHSTAR", fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def fill_the_seller_profile(page, app) -> None:
    page.goto(f"{app.base_url}/settings")
    expect(page.get_by_role("heading", name="Seller profile")).to_be_visible()
    for label, value in (
        ("Legal name", "Northstar Studio GmbH"),
        ("VAT / tax id", "DE123456789"),
        ("Address line 1", "Hauptstraße 5"),
        ("Postcode", "10115"),
        ("City", "Berlin"),
        ("Country", "Germany"),
        ("BIC", "COBADEFFXXX"),
    ):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("IBAN", exact=True).fill("DE89 3704 0044 0532 0130 01")  # one digit mistyped
    page.get_by_role("button", name="Save seller profile").click()
    expect(page.get_by_role("alert")).to_contain_text("IBAN: The IBAN's check digits do not match")
    page.get_by_label("IBAN", exact=True).fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Save seller profile").click()
    expect(page.get_by_text("Seller profile saved")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.locator("#logo_upload input[type=file]").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_role("img", name="Current logo")).to_be_visible()
    page.reload()  # saved, not just typed: the form shows the stored, normalised IBAN
    expect(page.get_by_label("IBAN", exact=True)).to_have_value("DE89370400440532013000")
    for width, name in ((1366, "settings-seller-1366"), (390, "settings-seller-390")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def give_the_client_its_vat_id(page, app, deal_id: int) -> None:
    page.goto(f"{app.base_url}/deals/{deal_id}")
    page.get_by_role("button", name="Edit client details").click()
    page.get_by_label("Client VAT id").fill("FR40303265045")
    page.get_by_role("button", name="Save client details").click()
    expect(page.get_by_text("VAT id: FR40303265045")).to_be_visible()


def an_issued_invoice(app) -> tuple[str, str, int]:
    from l2c_app.billing import service

    with app.session() as s:
        client = a_won_client(s, "Northstar client", ("Nora North", "nora@northstar.test"))
        project = a_delivered_project(s, client, "Northstar site", role="Developer", rate_minor=10000, entries=3)
        inv = service.build_invoice(s, SYSTEM, project.id, date.today() + timedelta(days=1))
        s.commit()
        deal_id = project.deal_id
        return inv.public_token, str(inv.id), deal_id


def issue(app, invoice_id: str) -> str:
    from l2c_app.billing import service

    with app.session() as s:
        inv = service.issue_invoice(s, SYSTEM, int(invoice_id))
        s.commit()
        return inv.number


def the_client_sees_the_bank_details(page, app, token: str, number: str) -> None:
    page.goto(f"{app.base_url}/i/{token}")
    expect(page.get_by_role("heading", name="Pay by bank transfer")).to_be_visible()
    details = page.get_by_label("Bank details")
    expect(details).to_contain_text("IBAN: DE89 3704 0044 0532 0130 00")
    expect(details).to_contain_text("BIC: COBADEFFXXX")
    expect(details).to_contain_text("Account holder: Northstar Studio GmbH")
    expect(page.get_by_text(number, exact=True)).to_be_visible()  # the reference
    expect(page.get_by_role("img", name=re.compile("SEPA payment QR code"))).to_be_visible()
    expect(page.get_by_text("Client VAT id: FR40303265045")).to_be_visible()
    expect(page.get_by_text("VAT id: DE123456789")).to_be_visible()
    expect(page.get_by_text("Tax by rate", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="0% €300.00 €0.00")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("logo"))).to_be_visible()
    for width, name in ((1366, "invoice-public-bank-1366"), (390, "invoice-public-bank-390")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def the_pdf_says_the_same(app, token: str, number: str) -> None:
    from pypdf import PdfReader

    pdf = httpx.get(f"{app.base_url}/i/{token}/pdf", timeout=30).content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (
        "Northstar Studio GmbH",
        "VAT id: DE123456789",
        "Client VAT id: FR40303265045",
        "IBAN: DE89 3704 0044 0532 0130 00",
        f"Reference: {number}",
        "Tax by rate",
    ):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        with open(f"{SHOTS}/invoice-bank.pdf", "wb") as f:
            f.write(pdf)
        for width in (1366, 390):
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "150",
                    "-scale-to-x",
                    str(width),
                    "-scale-to-y",
                    "-1",
                    "-singlefile",
                    f"{SHOTS}/invoice-bank.pdf",
                    f"{SHOTS}/invoice-pdf-{width}",
                ],
                check=True,
                timeout=60,
            )


@pytest.mark.browser
def test_seller_profile_reaches_the_clients_invoice(signed_in_page, app_server):
    page = signed_in_page
    fill_the_seller_profile(page, app_server)
    token, invoice_id, deal_id = an_issued_invoice(app_server)
    give_the_client_its_vat_id(page, app_server, deal_id)
    number = issue(app_server, invoice_id)
    the_client_sees_the_bank_details(page, app_server, token, number)
    the_pdf_says_the_same(app_server, token, number)
