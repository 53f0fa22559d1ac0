"""An owner closes the books: Settings > Accounting shows the accounts the journal posts to and
saves a new bank code; Export lists what is not yet exported, exports it as a batch (CSV, the
bookkeeper's columns) and offers the batch again. Screenshots at 1366 and 390 px."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/accounting")


def a_paid_invoice(app) -> str:
    import l2c_app.models  # noqa: F401 - every table, for the relationships of the rows made here
    from l2c_app.billing import service as billing
    from l2c_app.core.audit import SYSTEM
    from tests.billing.factory import World

    with app.session() as s:
        w = World(s)
        w.milestone(10000, kind="fixed")
        inv = billing.issue_invoice(s, SYSTEM, billing.build_invoice(s, SYSTEM, w.pid, date(2026, 3, 31)).id)
        billing.record_manual_payment(s, SYSTEM, inv.id, amount_minor=inv.total_minor, method="bank_transfer")
        s.commit()
        return inv.number


def test_owner_sets_accounts_and_exports_the_journal(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    for size in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        number = a_paid_invoice(app_server)
        ctx = browser.new_context(viewport=size, accept_downloads=True)
        ctx.set_default_timeout(20_000)
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path="/settings")
            page.get_by_role("link", name=re.compile("Accounting")).click()
            page.wait_for_url(re.compile(r"/settings/accounting/?$"))
            code = page.get_by_label("Bank (manual payments, Stripe payouts) account code")
            expect(code).to_have_value(re.compile(r"^(1000|1020)$"))
            code.fill("1020")
            page.get_by_role("button", name="Save accounts").click()
            expect(page.get_by_text("Accounts saved")).to_be_visible()
            page.screenshot(path=str(SHOTS / f"accounts-{size['width']}.png"), full_page=True)

            page.get_by_role("button", name="Export", exact=True).click()
            page.wait_for_url(re.compile(r"/settings/accounting/export/?$"))
            expect(page.get_by_text(re.compile(r"[1-9]\d* journal entries are not in a batch yet"))).to_be_visible()
            with page.expect_download() as download:
                page.get_by_role("button", name="Export a new batch (CSV)").click()
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
            assert rows[0][:6] == ["date", "entry_id", "account", "account_name", "debit", "credit"]
            assert ["1020", "Bank", "120.00", ""] in [r[2:6] for r in rows[1:] if r[7] == number]
            expect(page.get_by_text("0 journal entries are not in a batch yet")).to_be_visible()
            expect(page.get_by_role("button", name=re.compile(r"Download batch \d+")).first).to_be_visible()
            page.screenshot(path=str(SHOTS / f"export-{size['width']}.png"), full_page=True)
        finally:
            ctx.close()
