"""An owner connects a webhook receiver: Settings > Webhooks, adds the URL, copies the signing
secret shown once, sends a test event that the receiver verifies with the `standardwebhooks`
library, sees it in the delivery log, replays it into a failing receiver, rotates the secret
and disables the endpoint. Screenshots at 1366 and 390 px (test-artifacts/webhooks/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from tests.conftest import sign_in
from tests.webhooks_out.receiver import Receiver

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/webhooks")


def add_endpoint(page, url: str, description: str) -> str:
    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Event types").fill("invoice.paid, payment.received")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret")
    expect(secret).to_contain_text("whsec_")
    return secret.inner_text().strip()


def test_an_owner_connects_a_receiver_and_reads_its_delivery_log(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    receiver = Receiver().start()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    try:
        email, password = app_server.ensure_owner()
        sign_in(page, app_server, email, password)
        page.goto(f"{app_server.base_url}/settings")
        page.get_by_text("Webhooks", exact=True).click()
        page.wait_for_url(re.compile(r".*/settings/webhooks/?$"))

        secret = add_endpoint(page, receiver.url, "Accounting sync")
        page.get_by_role("button", name="Copy secret").click()
        assert page.evaluate("navigator.clipboard.readText()") == secret
        page.screenshot(path=str(SHOTS / "secret-1366.png"), full_page=True)
        page.get_by_role("button", name="I have saved it").click()
        expect(page.get_by_label("Signing secret")).to_have_count(0)
        card = page.locator(".rt-Card").filter(has_text=receiver.url).first
        expect(card).to_contain_text("invoice.paid, payment.received")

        card.get_by_role("button", name="Send test event").click()
        log = page.locator(".rt-Card").filter(has_text="Delivery log")
        expect(log.get_by_text("Delivered").first).to_be_visible()  # the table (the phone list is hidden)
        (request,) = receiver.requests
        body = Webhook(secret).verify(request["body"], request["headers"])
        assert body["type"] == "webhook.test"

        receiver.script = [500]
        log.get_by_role("button", name=re.compile(r"^Replay delivery")).click()
        expect(log.get_by_text("Retrying").first).to_be_visible()
        expect(log).to_contain_text("HTTP 500")
        assert len(receiver.requests) == 2

        card.get_by_role("button", name="Rotate secret").click()
        expect(page.get_by_label("Signing secret")).to_contain_text("whsec_")
        assert page.get_by_label("Signing secret").inner_text().strip() != secret
        expect(card).to_contain_text("The previous secret also signs until")
        page.get_by_role("button", name="I have saved it").click()
        page.screenshot(path=str(SHOTS / "log-1366.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        expect(log.get_by_text(re.compile(r"attempt\(s\)"))).to_be_visible()  # the log stacked for a phone
        page.screenshot(path=str(SHOTS / "log-390.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the page scrolls sideways on a phone ({width} px)"

        card.get_by_role("button", name="Disable").click()
        expect(card.get_by_text("Disabled", exact=True)).to_be_visible()
        expect(card.get_by_role("button", name="Send test event")).to_be_disabled()
    finally:
        ctx.close()
        receiver.stop()
