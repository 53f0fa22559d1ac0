"""The getting-started checklist on My day, and screenshots of the pages issue 22 changed,
light and dark, laptop and phone (test-artifacts/screens/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.test_responsive import LAPTOP, PHONE, a_world_with_one_of_everything
from tests.conftest import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("test-artifacts/screens")


def test_checklist_links_each_step_and_ticks_what_is_done(browser, app_server):
    from l2c_app.pipeline.models import Deal
    from l2c_app.projects.models import Project

    a_world_with_one_of_everything(app_server)
    with app_server.session() as s:
        deal, project = s.exec(select(Deal.id)).first(), s.exec(select(Project.id)).first()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        for size in (LAPTOP, PHONE):
            ctx = browser.new_context(viewport=size)
            ctx.set_default_timeout(20_000)
            ctx.add_init_script(f"localStorage.setItem('theme', '{theme}')")
            try:
                page = ctx.new_page()
                sign_in(page, app_server, *app_server.ensure_owner())
                steps = page.get_by_role("region", name="Getting started")
                expect(steps).to_be_visible()
                # The demo has a quote and a catalog: ticked; each step links to its page.
                expect(steps.get_by_role("link", name="Your first quote")).to_have_attribute("href", "/quotes")
                expect(steps).to_contain_text("Done. Turn a deal into a quote")
                expect(steps.get_by_role("link", name="Company profile")).to_have_attribute("href", "/settings")
                for path in ("/", "/time", f"/deals/{deal}", f"/projects/{project}"):
                    page.goto(app_server.base_url + path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(500)
                    slug = path.strip("/").replace("/", "-") or "home"
                    page.screenshot(path=str(SHOTS / f"{slug}-{theme}-{size['width']}.png"), full_page=True)
            finally:
                ctx.close()
