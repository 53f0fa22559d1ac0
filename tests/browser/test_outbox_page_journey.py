"""An owner finds a failed delivery in Settings > Outbox deliveries, reads why it failed and
how often it was tried, and queues it again with Retry (laptop and phone widths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/outbox")


def a_failed_and_a_sent_delivery(app) -> None:
    """Two effects as the worker leaves them: one sent, one failed for good after 3 attempts.
    (Kinds no handler knows, so the server's own worker leaves them alone until Retry.)"""
    import secrets

    from l2c_app.core.timeutil import utcnow
    from l2c_app.outbox.models import OutboxEffect

    tag = secrets.token_hex(3)
    with app.session() as s:
        s.add(
            OutboxEffect(
                kind="journey.sent",
                idempotency_key=f"j-sent-{tag}",
                status="sent",
                attempts=1,
                summary=f"E-mail to carl@client.test: Invoice 2026-{tag}",
                sent_at=utcnow(),
                result="<msg@l2c>",
            )
        )
        s.add(
            OutboxEffect(
                kind="journey.failed",
                idempotency_key=f"j-failed-{tag}",
                status="failed",
                attempts=3,
                summary=f"E-mail to nobody@client.test: Reminder {tag}",
                last_error="recipient refused: 550 5.1.1 mailbox unavailable",
            )
        )
        s.commit()


def test_owner_retries_a_failed_delivery(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    for size in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        a_failed_and_a_sent_delivery(app_server)
        ctx = browser.new_context(viewport=size)
        ctx.set_default_timeout(20_000)
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path="/settings")
            page.get_by_role("link", name=re.compile("Outbox deliveries")).click()
            page.wait_for_url(re.compile(r"/settings/outbox/?$"))
            expect(page.get_by_text("550 5.1.1 mailbox unavailable").first).to_be_visible()
            expect(page.get_by_text("Attempts: 3").first).to_be_visible()
            page.screenshot(path=str(SHOTS / f"outbox-{size['width']}.png"), full_page=True)
            page.get_by_role("combobox", name="Show deliveries by state").click()
            page.get_by_role("option", name="Failed", exact=True).click()
            retry = page.get_by_role("button", name=re.compile("Retry delivering: E-mail to nobody")).first
            retry.click()
            expect(page.get_by_text("Queued again").first).to_be_visible()
        finally:
            ctx.close()
