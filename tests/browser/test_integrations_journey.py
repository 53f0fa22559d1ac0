"""An owner checks the Stripe and DocuSign connections on Settings, and sees Stripe's payouts
(one paid, one failed) on Payments. The app runs against the Stripe stand-in (tests/conftest)
and without DocuSign settings. Screenshots at 1366 and 390 px go to test-artifacts/integrations/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("test-artifacts/integrations")


def test_owner_tests_the_connections_and_sees_payouts(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    stripe = app_server.stripe
    stripe.payout(96800)
    stripe.payout(5000, fail="account_closed")
    for width in (1366, 390):
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        ctx.set_default_timeout(20_000)
        try:
            page = ctx.new_page()
            email, password = app_server.ensure_owner()
            sign_in(page, app_server, email, password, "/settings")
            page.get_by_role("button", name="Test Stripe connection").click()
            result = page.get_by_role("status").filter(has_text="Stripe")
            # The stand-in knows the key; the app runs on http://localhost with no webhook endpoint.
            expect(result).to_contain_text("Account Stand-in Studio")
            expect(result).to_contain_text("No webhook endpoint points at")
            expect(result).to_contain_text("APP_BASE_URL is http://localhost")
            page.get_by_role("button", name="Test DocuSign connection").click()
            expect(page.get_by_role("status").filter(has_text="DocuSign is not configured.")).to_be_visible()
            page.screenshot(path=str(SHOTS / f"settings-{width}.png"), full_page=True)
            page.goto(app_server.base_url + "/payments")
            payouts = page.get_by_role("heading", name="Stripe payouts")
            expect(payouts).to_be_visible()
            expect(page.get_by_text("account_closed - The bank account has been closed.")).to_be_visible()
            page.screenshot(path=str(SHOTS / f"payments-{width}.png"), full_page=True)
        finally:
            ctx.close()
