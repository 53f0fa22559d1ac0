"""Journey: a contract from an accepted quote is signed in the browser by the client, then by
the team's counter-signer (two browser contexts); the final PDF carries the certificate page and
the deal timeline shows each step."""

import io
import re

import pytest
from conftest import make_world
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from l2c_app.core.models import OutboxMessage
from l2c_app.pipeline.models import Activity

pytestmark = pytest.mark.browser


def signing_link(app, email: str) -> str:
    """The link in the newest e-mail to `email` (the Outbox holds it: no SMTP in tests)."""
    with app.session() as s:
        msg = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.to == email, OutboxMessage.link.like("%/sign/%"))
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert msg is not None, f"no signing e-mail to {email}"
        return msg.link


def create_contract_from_quote(page, app, quote_label: "str | re.Pattern") -> int:
    page.goto(f"{app.base_url}/contracts")
    page.get_by_role("combobox", name="Accepted quote").click()
    page.get_by_role("option", name=quote_label).click()
    page.get_by_role("button", name="Create contract").click()
    page.wait_for_url(re.compile(r".*/contracts/\d+/?$"))
    return int(re.search(r"/contracts/(\d+)", page.url).group(1))


def add_counter_signer(page, member: str) -> None:
    page.get_by_role("combobox", name="Counter-signer from the team").click()
    page.get_by_role("option", name=re.compile(re.escape(member))).click()
    page.get_by_role("button", name="Add counter-signer").click()
    expect(page.get_by_role("cell", name="Counter-signer")).to_be_visible()


def send_for_signature(page) -> None:
    page.get_by_role("button", name="Send for signature").click()
    # The e-mail composer opens with the signing invitation; Send e-mail sends it.
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Subject", exact=True)).to_have_value(re.compile("please sign"))
    dialog.get_by_role("button", name="Send e-mail").click()
    expect(page.get_by_text("sent", exact=True).first).to_be_visible()


def sign_contract(page, link: str, full_name: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile("Agreement"))).to_be_visible()
    expect(page.get_by_text('Zoë Corp <img src=x onerror="window.__pwned=1">').first).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    consent = page.get_by_role("checkbox", name="I agree to sign electronically")
    consent.click()
    expect(consent).to_be_checked()
    page.get_by_label("Type your full name").fill(full_name)
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("you have signed")


def test_client_and_counter_signer_sign_in_the_browser(app_server, signed_in_page, browser):
    app = app_server
    with app.session() as s:
        # The company name came from the public lead form: it must print as text, never run.
        world = make_world(
            s, client_email="zoe.journey@client.test", account_name='Zoë Corp <img src=x onerror="window.__pwned=1">'
        )
    page = signed_in_page

    contract_id = create_contract_from_quote(page, app, re.compile(r"Website redesign · Q\d+-1 v2 · Redesign proposal"))
    add_counter_signer(page, "owner@l2c.test")  # by e-mail: other journeys may add another Olivia Owner
    send_for_signature(page)

    client = browser.new_context()
    try:
        sign_contract(client.new_page(), signing_link(app, "zoe.journey@client.test"), "Zoë Łukasiewicz")
    finally:
        client.close()
    counter = browser.new_context()
    try:
        sign_contract(counter.new_page(), signing_link(app, "owner@l2c.test"), "Olivia Owner")
    finally:
        counter.close()

    page.reload()
    expect(page.get_by_text("completed", exact=True).first).to_be_visible()
    pdf = page.request.get(f"{app.base_url}/api/v1/contracts/{contract_id}/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Certificate of completion" in text
    assert "Zoë Łukasiewicz" in text and "Olivia Owner" in text and "zoe.journey@client.test" in text

    with app.session() as s:
        timeline = [a.subject for a in s.exec(select(Activity).where(Activity.deal_id == world.deal_id))]
    assert any(t.startswith("Contract sent for signature") for t in timeline)
    assert "Contract viewed by Zoë Łukasiewicz" in timeline
    assert "Contract signed by Zoë Łukasiewicz" in timeline and "Contract signed by Olivia Owner" in timeline
    assert any(t.startswith("Contract fully signed") for t in timeline)
