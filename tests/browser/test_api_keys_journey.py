"""An owner makes a read-only API key on Settings: the key is shown once, the list says its
access and when it was last used, and the key reads but cannot write; then it is revoked."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/api-keys")


def test_owner_makes_a_read_only_key_and_revokes_it(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    for size in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        ctx = browser.new_context(viewport=size)
        ctx.set_default_timeout(20_000)
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path="/settings")
            name = f"reporting {size['width']}"
            page.get_by_label("Key name").fill(name)
            page.get_by_label("Access").select_option("Read only")
            page.get_by_role("button", name="Create API key").click()
            secret = page.get_by_label("New API key").inner_text()
            assert secret.startswith("l2c_")
            headers = {"Authorization": f"Bearer {secret}"}
            assert httpx.get(f"{app_server.base_url}/api/v1/quotes", headers=headers).status_code == 200
            assert (
                httpx.post(
                    f"{app_server.base_url}/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}, headers=headers
                ).status_code
                == 403
            )
            page.reload()
            row = page.get_by_role("row").filter(has_text=name)
            expect(row).to_contain_text("Read only")
            expect(row).not_to_contain_text("never")  # last used: just now
            page.screenshot(path=str(SHOTS / f"settings-keys-{size['width']}.png"), full_page=True)
            row.get_by_role("button", name="Revoke").click()
            expect(row).to_contain_text("revoked")
            assert httpx.get(f"{app_server.base_url}/api/v1/quotes", headers=headers).status_code == 401
        finally:
            ctx.close()
    assert re.match(r"l2c_", secret)
