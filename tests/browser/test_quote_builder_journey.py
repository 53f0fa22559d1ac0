"""Issue 22 journeys in the quote builder and on the board: a refused figure is shown as
invalid with its reason and no total uses an old value; an empty section; Duplicate; Save
as template and a new quote from it; after the board's "Move to" the focus stays on the
moved card. Screenshots (1366 and 390, one dark) go to /tmp/shots-ui22b."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, so foreign keys resolve)
from l2c_app.core.audit import Actor
from l2c_app.core.models import User
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage
from l2c_app.quotes import service as svc
from tests.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-ui22b")
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


def a_quote_with_two_lines(app, title: str) -> tuple[int, int]:
    """A deal of a new client and a draft quote on it (built through the services)."""
    with app.session() as s:
        owner = s.exec(select(User).where(User.email == "owner@l2c.test")).one()
        actor = Actor("user", owner.id)
        account = Account(name=f"{title} Ltd")
        s.add(account)
        s.flush()
        contact = Contact(account_id=account.id, name="Zoë Łukasiewicz", email="zoe@client.test")
        stage = s.exec(
            select(PipelineStage).where(PipelineStage.kind == "open").order_by(PipelineStage.position)
        ).first()
        s.add(contact)
        s.flush()
        deal = Deal(
            title=title,
            account_id=account.id,
            contact_id=contact.id,
            stage_id=stage.id,
            currency="EUR",
            owner_id=owner.id,
        )
        s.add(deal)
        s.flush()
        q = svc.create_quote_from_deal(s, actor, deal.id)
        svc.add_section(s, actor, q.id, "Design")
        svc.add_line(s, actor, q.id, description="Mock-ups", quantity="2", unit_price_minor=50000)
        svc.add_line(s, actor, q.id, description="Build", quantity="1", unit_price_minor=100000)
        s.commit()
        return deal.id, q.id


def open_builder(page, app, quote_id: int) -> None:
    page.goto(f"{app.base_url}/quotes/{quote_id}")
    expect(page.get_by_label("Quantity of line 1")).to_have_value("2")


def expect_reason(page, field, reason: str) -> None:
    """The element the field's aria-describedby names says why the value is refused."""
    expect(field).to_have_attribute("aria-describedby", re.compile(r".+"))
    expect(page.locator(f"[id='{field.get_attribute('aria-describedby')}']")).to_contain_text(reason)


def test_a_refused_figure_is_marked_and_no_total_uses_an_old_value(signed_in_page, app_server):
    page = signed_in_page
    _deal, qid = a_quote_with_two_lines(app_server, "Invalid figures")
    open_builder(page, app_server, qid)
    total = page.get_by_label("Total", exact=True)
    expect(total).to_have_text("€2,000.00")
    qty = page.get_by_label("Quantity of line 1")
    for value, reason in (
        ("-3", "Quantity cannot be negative."),
        ("1e12", "Quantity must be at most"),
        ("three", "Quantity must be a number"),
    ):
        qty.fill(value)
        expect(qty).to_have_attribute("aria-invalid", "true")
        expect(qty).to_have_value(value)  # what was typed stays
        expect_reason(page, qty, reason)
        expect(total).to_have_text("—")  # never the total of the old value
        expect(page.get_by_label("Amount of line 1")).to_have_text("—")
    qty.press("Tab")  # leaving the field saves nothing
    disc = page.get_by_label("Discount % of line 1")
    qty.fill("3")
    expect(qty).to_have_attribute("aria-invalid", "false")
    expect(total).to_have_text("€2,500.00")
    disc.fill("200")
    expect(disc).to_have_attribute("aria-invalid", "true")
    expect_reason(page, disc, "Line discount must be at most 100.")
    expect(total).to_have_text("—")
    page.get_by_label("Quote discount %").fill("150")
    expect(page.locator("#quote-discount-error")).to_contain_text("Quote discount must be at most 100.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(LAPTOP)
    page.screenshot(path=str(SHOTS / "builder-invalid-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "builder-invalid-390.png"), full_page=True)
    page.set_viewport_size(LAPTOP)
    disc.fill("0")
    page.get_by_label("Quote discount %").fill("0")
    expect(total).to_have_text("€2,500.00")
    with app_server.session() as s:  # what was saved: the last valid values only
        assert [str(ln.quantity.normalize()) for ln in svc.quote_lines(s, qid)][0] in ("2", "3")


def test_an_empty_section_is_shown_and_a_move_keeps_the_heading(signed_in_page, app_server):
    page = signed_in_page
    _deal, qid = a_quote_with_two_lines(app_server, "Sections")
    open_builder(page, app_server, qid)
    page.get_by_label("New section heading").fill("Options")
    page.get_by_role("button", name="Add section").click()
    options = page.get_by_role("group", name="Section Options")
    expect(options).to_contain_text("No lines yet")
    expect(page.get_by_label("Description of line 3")).to_have_count(0)  # no blank line was added
    # Move the first line up above its heading: Design keeps its heading.
    page.get_by_role("button", name="Move line 1 up").click()
    expect(page.get_by_role("group", name="Section Design")).to_be_visible()
    page.get_by_role("button", name="Add a line under Options").click()
    expect(page.get_by_label("Description of line 3")).to_have_value("New item")
    expect(options).not_to_contain_text("No lines yet")


def test_duplicate_and_a_new_quote_from_a_template(signed_in_page, app_server):
    page = signed_in_page
    deal_id, qid = a_quote_with_two_lines(app_server, "Templates")
    open_builder(page, app_server, qid)
    page.get_by_role("button", name="Duplicate as a new draft quote").click()
    page.wait_for_url(re.compile(rf"/quotes/(?!{qid}/?$)\d+/?$"))
    expect(page.get_by_role("heading", name=re.compile(rf"Q{deal_id}-2 v1"))).to_be_visible()
    expect(page.get_by_label("Description of line 2")).to_have_value("Build")
    expect(page.get_by_label("Total", exact=True)).to_have_text("€2,000.00")
    page.get_by_role("button", name="Save as template").click()
    page.get_by_label("Template name").fill("Two-line package")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Saved as the template Two-line package")).to_be_visible()
    page.goto(f"{app_server.base_url}/deals/{deal_id}")
    page.get_by_label("Start the new quote from").select_option(label="Two-line package (2 lines, EUR)")
    page.get_by_role("button", name="New quote").click()
    page.wait_for_url(re.compile(r"/quotes/\d+/?$"))
    expect(page.get_by_role("heading", name=re.compile(rf"Q{deal_id}-3 v1"))).to_be_visible()
    expect(page.get_by_label("Description of line 1")).to_have_value("Mock-ups")
    expect(page.get_by_label("Total", exact=True)).to_have_text("€2,000.00")


def test_after_move_to_the_focus_stays_on_the_moved_card(signed_in_page, app_server):
    page = signed_in_page
    a_quote_with_two_lines(app_server, "Focus deal")
    with app_server.session() as s:
        stages = s.exec(
            select(PipelineStage).where(PipelineStage.kind == "open").order_by(PipelineStage.position)
        ).all()
    target = stages[1].name
    page.goto(f"{app_server.base_url}/pipeline")
    button = page.get_by_role("button", name="Move Focus deal to")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_role("menuitem", name=target, exact=True).click()
    column = page.get_by_role("region", name=f"Stage {target}")
    expect(column.get_by_role("button", name="Move Focus deal to")).to_be_visible()
    expect(column.get_by_role("button", name="Move Focus deal to")).to_be_focused()


def test_screenshots_of_a_list_as_cards(browser, app_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    a_quote_with_two_lines(app_server, "Shots")
    for theme, size, name in (
        ("light", PHONE, "quotes-390"),
        ("dark", PHONE, "quotes-dark-390"),
        ("light", LAPTOP, "quotes-1366"),
    ):
        ctx = browser.new_context(viewport=size)
        ctx.add_init_script(f"localStorage.setItem('theme', '{theme}')")
        try:
            page = ctx.new_page()
            email, password = app_server.ensure_owner()
            sign_in(page, app_server, email, password)
            page.goto(f"{app_server.base_url}/quotes")
            expect(page.get_by_role("link", name=re.compile(r"Q\d+-1 v1")).first).to_be_visible()
            page.wait_for_timeout(400)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        finally:
            ctx.close()
