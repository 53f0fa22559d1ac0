"""Phones and desktops: every page a signed-in owner can open, and every public page, fits
the screen without sideways scrolling, at 390x844 (a phone) and 1366x900 (a laptop).

The world is the demo data set (`l2c demo load`: each stage's own demo, through its
services), so every kind of record exists: lead, deal, quote, contract, project, change
order, invoice, payment. Screenshots go to test-artifacts/responsive/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("test-artifacts/responsive")
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}

OVERFLOW_JS = """() => {
  const w = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 1 && e.offsetParent !== null)
    .filter(e => !e.closest('.rt-TableRoot, .l2c-board, [data-radix-scroll-area-viewport]'))
    .slice(0, 4).map(e => e.tagName.toLowerCase() + '.' + String(e.className).slice(0, 60));
  return {scroll: document.documentElement.scrollWidth, inner: w, wide};
}"""


def a_world_with_one_of_everything(app) -> dict[str, str]:
    """Loads the demo data once and returns the address of every page worth a look."""
    from l2c_app.billing.models import Invoice
    from l2c_app.contracts.models import Contract
    from l2c_app.core.models import OutboxMessage
    from l2c_app.demo import load_demo
    from l2c_app.pipeline.models import Deal
    from l2c_app.projects.models import ChangeOrder, Project
    from l2c_app.quotes.models import Quote

    app.ensure_owner()
    with app.session() as s:
        from l2c_app.core.models import User

        # Once per run, whatever other journeys made before (a project, an invoice).
        if s.exec(select(User).where(User.email == "dan@northwind.test")).first() is None:
            load_demo(s)
            s.commit()
        with_link = select(Quote).where(Quote.public_token.is_not(None))  # type: ignore[union-attr]
        quote = s.exec(with_link.where(Quote.status != "draft")).first() or s.exec(with_link).first()
        invoice = s.exec(select(Invoice).where(Invoice.status != "draft", Invoice.public_token.is_not(None))).first()  # type: ignore[union-attr]
        sign = s.exec(
            select(OutboxMessage).where(OutboxMessage.link.like("%/sign/%")).order_by(OutboxMessage.id.desc())
        ).first()
        change = s.exec(select(ChangeOrder)).first()
        ids = {
            "deal": s.exec(select(Deal)).first().id,
            "quote": quote.id,
            "project": s.exec(select(Project)).first().id,
            "contract": s.exec(select(Contract)).first().id,
            "invoice": s.exec(select(Invoice)).first().id,
            "client": s.exec(select(Deal)).first().account_id,
        }
        public = {
            "/contact": "/contact",
            "/login": "/login",
            "/q/": f"/q/{quote.public_token}",
            "/i/": f"/i/{invoice.public_token}",
            "/co/": f"/co/{change.public_token}",
            "/sign/": sign.link[sign.link.index("/sign/") :],
            "/portal/": "/portal/",
        }
    owner_pages = [
        "/",
        "/leads",
        "/leads/import",
        "/pipeline",
        f"/deals/{ids['deal']}",
        "/quotes",
        f"/quotes/{ids['quote']}",
        "/contracts",
        f"/contracts/{ids['contract']}",
        "/projects",
        f"/projects/{ids['project']}",
        "/time",
        "/time/approvals",
        "/invoices",
        f"/invoices/{ids['invoice']}",
        "/payments",
        "/insights",
        "/settings",
        "/settings/catalog",
        "/settings/pipeline",
        "/settings/leads",
        "/settings/contracts",
        "/settings/delivery",
        "/settings/billing",
        "/settings/audit",
        "/settings/webhooks",
        "/settings/outbox",
        "/team",
        "/outbox",
        "/search?q=a",
        "/clients",
        f"/clients/{ids['client']}",
    ]
    return {"owner": owner_pages, "public": list(public.values())}


def shot_name(path: str, size: dict) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0].lower()).strip("-")[:40] or "home"
    return f"{slug}-{size['width']}.png"


def overflow_of(page, app, path: str, size: dict) -> str | None:
    page.goto(app.base_url + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # hydration and the on_load data
    page.screenshot(path=str(SHOTS / shot_name(path, size)), full_page=True)
    m = page.evaluate(OVERFLOW_JS)
    if m["scroll"] <= m["inner"] + 1:
        return None
    return f"{path}: {m['scroll']} px wide in {m['inner']} ({', '.join(m['wide'])})"


@pytest.fixture(scope="module")
def world(app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return a_world_with_one_of_everything(app_server)


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone-390", "laptop-1366"])
def test_no_page_scrolls_sideways(browser, app_server, world, size):
    ctx = browser.new_context(viewport=size)
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        email, password = app_server.ensure_owner()
        sign_in(page, app_server, email, password)
        wide = [w for path in world["owner"] if (w := overflow_of(page, app_server, path, size))]
        anon = ctx.browser.new_context(viewport=size).new_page()
        wide += [w for path in world["public"] if (w := overflow_of(anon, app_server, path, size))]
        if size is PHONE:  # the public pages also fit the narrowest phones in use
            anon.set_viewport_size({"width": 360, "height": 740})
            wide += [w for path in world["public"] if (w := overflow_of(anon, app_server, path, {"width": 360}))]
        anon.context.close()
        assert wide == [], "\n".join(wide)
    finally:
        ctx.close()


def test_phone_navigation_is_behind_a_menu_button_and_the_board_snaps(browser, app_server, world):
    ctx = browser.new_context(viewport=PHONE)
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        email, password = app_server.ensure_owner()
        sign_in(page, app_server, email, password)
        # No sidebar on a phone: the links wait behind the menu button.
        expect(page.get_by_role("navigation", name="Main navigation")).to_have_count(0)
        page.get_by_role("button", name="Open navigation").click()
        nav = page.get_by_role("navigation", name="Main navigation")
        expect(nav.get_by_role("link", name="Invoices", exact=True)).to_be_visible()
        page.screenshot(path=str(SHOTS / "drawer-open-390.png"))
        nav.get_by_role("link", name="Pipeline", exact=True).click()
        page.wait_for_url(re.compile(r"/pipeline/?$"))
        expect(page.get_by_role("heading", name="Pipeline", exact=True)).to_be_visible()
        expect(page.get_by_role("navigation", name="Main navigation")).to_have_count(0)  # the drawer closed
        board = page.locator(".l2c-board")
        expect(board).to_be_visible()
        assert board.evaluate("e => getComputedStyle(e).scrollSnapType").startswith("x")
        assert board.evaluate("e => e.scrollWidth > e.clientWidth")  # columns side by side, scrolled in the box
        # On a laptop the sidebar is back and the menu button is gone.
        page.set_viewport_size(LAPTOP)
        expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
        expect(page.get_by_role("button", name="Open navigation")).to_be_hidden()
        assert board.evaluate("e => getComputedStyle(e).scrollSnapType") == "none"
    finally:
        ctx.close()


CARDS_JS = """(sel) => {
  const t = document.querySelector(sel);
  const rows = [...t.querySelectorAll('tbody tr')];
  const cells = [...rows[0].children];
  return {
    rowDisplay: getComputedStyle(rows[0]).display,
    headVisible: t.querySelector('thead').getBoundingClientRect().height > 1,
    labels: cells.map(c => c.getAttribute('data-label') || ''),
    shown: cells.map(c => getComputedStyle(c, '::before').content),
    width: t.getBoundingClientRect().width,
  };
}"""


@pytest.mark.parametrize("path", ["/quotes", "/leads", "/invoices"])
def test_a_list_is_stacked_cards_on_a_phone_and_a_table_on_a_laptop(browser, app_server, world, path):
    """Issue 22: below 768 px a list's rows are cards, each cell labelled with its column header."""
    ctx = browser.new_context(viewport=PHONE)
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        email, password = app_server.ensure_owner()
        sign_in(page, app_server, email, password)
        page.goto(app_server.base_url + path)
        table = ".l2c-main .rt-TableRoot table"
        expect(page.locator(f"{table} tbody tr").first).to_be_visible()
        page.wait_for_function(f"document.querySelector('{table} tbody td[data-label]') !== null")
        cards = page.evaluate(CARDS_JS, table)
        headers = page.locator(f"{table} thead th").all_inner_texts()
        assert cards["rowDisplay"] == "block" and not cards["headVisible"]
        assert [h.strip() for h in headers if h.strip()] == [label for label in cards["labels"] if label]
        assert all(s.strip('"') == label for s, label in zip(cards["shown"], cards["labels"], strict=True) if label)
        assert cards["width"] <= PHONE["width"]
        page.screenshot(path=str(SHOTS / shot_name(path + "-cards", PHONE)), full_page=True)
        page.set_viewport_size(LAPTOP)
        expect(page.locator(f"{table} thead").first).to_be_visible()
        assert page.evaluate(f"getComputedStyle(document.querySelector('{table} tbody tr')).display") == "table-row"
    finally:
        ctx.close()
