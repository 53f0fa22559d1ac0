"""An owner reads the audit log: Settings > Audit, filters to the role changes they made,
sees names (not "user:1") and each field before and after, and exports the CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/audit")


def a_role_change_by_the_owner(app, email: str) -> str:
    """A seller made an admin by the owner (through the services, so it is audited)."""
    import secrets

    from l2c_app.core.auth import create_user, set_role, user_actor_of
    from l2c_app.core.models import User

    with app.session() as s:
        owner = s.exec(select(User).where(User.email == email)).one()
        name = f"Audra Auditee {secrets.token_hex(2)}"
        seller = create_user(
            s,
            name=name,
            email=f"audra{secrets.token_hex(3)}@l2c.test",
            role="sales",
            password="long-password-5",
            actor=user_actor_of(owner),
        )
        s.flush()
        set_role(s, user_actor_of(owner), seller.id, "admin")
        s.commit()
    return name


def choose(page, label: str, option) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()


def test_owner_filters_the_audit_log_and_exports_it(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    email, password = app_server.ensure_owner()
    a_role_change_by_the_owner(app_server, email)
    for size in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        ctx = browser.new_context(viewport=size, accept_downloads=True)
        ctx.set_default_timeout(20_000)
        try:
            page = ctx.new_page()
            sign_in(page, app_server, email, password, next_path="/settings")
            page.get_by_role("link", name=re.compile("Audit log")).click()
            page.wait_for_url(re.compile(r"/settings/audit/?$"))
            # A table on a laptop, a list of cards on a phone: the same entries either way.
            wide = size["width"] >= 768
            entries = page.get_by_role("table") if wide else page.get_by_role("list", name="Audit entries")
            expect(entries.get_by_text("Olivia Owner").first).to_be_visible()
            page.screenshot(path=str(SHOTS / f"audit-{size['width']}.png"), full_page=True)

            choose(page, "Record type", "user")
            choose(page, "Action", "update")
            # The owner by name, or by name and e-mail when another person has the same name.
            choose(page, "Who", re.compile(rf"^Olivia Owner( \({re.escape(email)}\))?$"))
            expect(entries.get_by_text("role: sales → admin").first).to_be_visible()
            rows = entries.locator("tbody tr") if wide else entries.get_by_role("listitem")
            assert rows.count() >= 1
            for i in range(rows.count()):  # every entry shown matches the filters, and names its person
                expect(rows.nth(i)).to_contain_text("Olivia Owner")
                expect(rows.nth(i)).to_contain_text("update")
                expect(rows.nth(i)).to_contain_text("user #")
            page.screenshot(path=str(SHOTS / f"audit-filtered-{size['width']}.png"), full_page=True)

            with page.expect_download() as download:
                page.get_by_role("button", name="Export CSV").click()
            text = Path(download.value.path()).read_text(encoding="utf-8")
            lines = list(csv.reader(io.StringIO(text)))
            assert lines[0][:3] == ["When", "Time zone", "Who"]
            assert len(lines) >= 2 and all(
                r[2] == "Olivia Owner" and r[4] == "update" and r[5] == "user" for r in lines[1:]
            )
            assert any(r[7:10] == ["role", "sales", "admin"] for r in lines[1:])

            page.get_by_role("button", name="Clear filters").first.click()
            expect(page.get_by_role("combobox", name="Record type")).to_contain_text("All record types")
        finally:
            ctx.close()
