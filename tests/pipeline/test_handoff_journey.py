"""Journey: the owner works a deal (edits it, plans a task) and hands it to a colleague, who is
notified, finds the whole history on the deal page and the task on their My day."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user
from l2c_app.core.models import User
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Deal
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def given_a_deal_and_a_colleague(app) -> tuple[int, str, str, str, str]:
    owner_email, _ = app.ensure_owner()
    tag = uuid.uuid4().hex[:6]
    name, email, password = f"Hana {tag}", f"hana.{tag}@l2c.test", "sales-password-2"
    with app.session() as s:
        create_user(s, name=name, email=email, role="sales", password=password)
        owner = s.exec(select(User).where(User.email == owner_email)).one()
        deal = pipeline.create_deal(
            s, Actor("user", owner.id), title=f"Handoff {tag}", value_minor=100000, owner_id=owner.id
        )
        s.commit()
        return deal.id, deal.title, name, email, password


def edit_deal(page, value: str, close: str) -> None:
    page.get_by_label("Value excl. tax (EUR)").fill(value)  # deal values are net of tax
    page.get_by_label("Expected close").fill(close)
    page.get_by_role("button", name="Save deal").click()
    expect(page.get_by_text("Deal saved.")).to_be_visible()


def plan_task(page, subject: str, due: str) -> None:
    page.get_by_role("combobox", name="Kind").click()
    page.get_by_role("option", name="task").click()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Due").fill(due)
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.get_by_text(subject)).to_be_visible()


def reassign(page, colleague: str) -> None:
    page.get_by_role("combobox", name="Reassign to").click()
    page.get_by_role("option", name=colleague).click()
    expect(page.get_by_text("Handed over from Olivia Owner to " + colleague)).to_be_visible()


def open_notification(page, text: str) -> None:
    page.get_by_role("button", name="Notifications (1 unread)").click()
    page.get_by_role("button", name=text).click()


def test_owner_hands_a_deal_to_a_colleague(browser, app_server):
    app = app_server
    deal_id, title, colleague, email, password = given_a_deal_and_a_colleague(app)

    owner_ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    owner_ctx.set_default_timeout(20_000)
    page = owner_ctx.new_page()
    sign_in(page, app, *app.ensure_owner())
    page.goto(f"{app.base_url}/deals/{deal_id}")
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    edit_deal(page, "2,500.50", "2026-12-31")
    plan_task(page, "Send the proposal", "2020-01-06T09:00")
    reassign(page, colleague)
    owner_ctx.close()

    with app.session() as s:
        deal = s.get(Deal, deal_id)
        assert (deal.value_minor, deal.expected_close.isoformat()) == (250050, "2026-12-31")

    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    ctx.set_default_timeout(20_000)
    hana = ctx.new_page()
    sign_in(hana, app, email, password)
    expect(hana.get_by_text("Send the proposal")).to_be_visible()  # My day: overdue task
    expect(hana.get_by_text("overdue").first).to_be_visible()
    open_notification(hana, f"Deal handed to you: {title}")
    hana.wait_for_url(f"**/deals/{deal_id}**")
    expect(hana.get_by_text("Handed over from Olivia Owner to " + colleague)).to_be_visible()
    expect(hana.get_by_text("Deal created in New")).to_be_visible()  # the whole history came along
    ctx.close()
