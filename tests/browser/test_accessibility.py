"""axe-core over the main pages with demo data, light and dark, on a laptop and a phone:
no critical or serious WCAG 2.1 A/AA violation (issue 22)."""

from __future__ import annotations

import pytest

from tests.browser.axe import describe, violations
from tests.browser.test_responsive import LAPTOP, PHONE, a_world_with_one_of_everything
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(app_server):
    return a_world_with_one_of_everything(app_server)


# On a phone the pages whose layout changes there (drawer, board, day view, stacked pages);
# the other owner pages are the desktop's, narrower.
PHONE_PAGES = ("/", "/pipeline", "/time", "/settings")
PHONE_RECORDS = ("/deals/", "/quotes/", "/projects/", "/invoices/")


def visit(page, app, path: str) -> list[dict]:
    page.goto(app.base_url + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.title !== ''")  # a dynamic route's page is mounted (title set)
    page.wait_for_timeout(400)  # hydration and the on_load data
    return violations(page)


@pytest.mark.timeout(900)  # 35 pages, each loaded and checked (about 3 s each on a busy machine)
@pytest.mark.parametrize(
    "theme,size", [("light", LAPTOP), ("dark", LAPTOP), ("light", PHONE)], ids=["light-1366", "dark-1366", "light-390"]
)
def test_no_critical_or_serious_violation(browser, app_server, world, theme, size):
    ctx = browser.new_context(viewport=size)
    ctx.set_default_timeout(20_000)
    ctx.add_init_script(f"localStorage.setItem('theme', '{theme}')")
    found: list[str] = []
    owner = (
        world["owner"]
        if size is LAPTOP
        else [p for p in world["owner"] if p in PHONE_PAGES or p.startswith(PHONE_RECORDS)]
    )
    try:
        page = ctx.new_page()
        sign_in(page, app_server, *app_server.ensure_owner())
        for path in owner:
            found += describe(visit(page, app_server, path), path)
        anon = ctx.browser.new_context(viewport=size)
        anon.add_init_script(f"localStorage.setItem('theme', '{theme}')")
        public = anon.new_page()
        for path in world["public"]:
            found += describe(visit(public, app_server, path), path)
        anon.close()
    finally:
        ctx.close()
    assert found == [], "\n".join(found)
