"""The journey of stages 1 and 2, as a person does it in the browser:
a visitor sends the public form; the lead appears, already assigned; the owner converts it;
drags the deal across two columns and marks it won, while a colleague's board follows along."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user
from l2c_app.core.models import User
from l2c_app.leads import service as leads
from l2c_app.pipeline.models import Deal, StageChange
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def given_a_seller_who_gets_every_web_lead(app) -> tuple[str, str]:
    email, password = "sam.journey@l2c.test", "sales-password-1"
    owner_email, _ = app.ensure_owner()
    with app.session() as s:
        sam = s.exec(select(User).where(User.email == email)).first() or create_user(
            s, name="Sam Journey", email=email, role="sales", password=password
        )
        owner = s.exec(select(User).where(User.email == owner_email)).one()
        s.flush()
        leads.save_lead_settings(
            s,
            Actor("user", owner.id),
            mode="round_robin",
            users=[sam.id],
            by_source={},
            consent_text="I agree that Test Studio keeps my details.",
        )
        s.commit()
    return email, password


def capture_lead(page, app, name: str, company: str) -> None:
    page.goto(f"{app.base_url}/contact")
    expect(page.get_by_role("heading", name="Test Studio")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(f"{uuid.uuid4().hex[:8]}@{company.lower().replace(' ', '')}.test")
    page.get_by_label("Company").fill(company)
    page.get_by_label("Message").fill("We need a new website before spring.")
    page.get_by_text("I agree that Test Studio keeps my details.").click()
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Thank you! We received your message")).to_be_visible()


def see_lead_assigned(page, app, name: str, owner_name: str) -> None:
    page.goto(f"{app.base_url}/leads")
    page.get_by_label("Search leads").fill(name)
    page.get_by_role("button", name="Search", exact=True).click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(owner_name)
    expect(row).to_contain_text("new")


def convert_lead(page, name: str, value: str) -> None:
    page.get_by_role("button", name=f"Convert {name}").click()
    page.get_by_label("Deal value").fill(value)
    page.get_by_role("button", name="Create deal").click()
    page.wait_for_url("**/deals/**")


def open_board(page, app) -> None:
    page.goto(f"{app.base_url}/pipeline")
    expect(page.get_by_role("region", name="Stage New")).to_be_visible()


def drag_deal(page, title: str, stage: str) -> None:
    page.get_by_role("article", name=title).drag_to(page.get_by_role("region", name=f"Stage {stage}"))
    expect(page.get_by_role("region", name=f"Stage {stage}").get_by_role("article", name=title)).to_be_visible()


def mark_won(page, title: str) -> None:
    page.get_by_role("button", name=f"Mark {title} won").click()
    expect(page.get_by_role("article", name=title)).to_have_count(0)


def test_public_form_to_won_deal_seen_by_a_colleague(browser, app_server):
    app = app_server
    seller_email, seller_password = given_a_seller_who_gets_every_web_lead(app)
    company = f"Journey Co {uuid.uuid4().hex[:6]}"
    name = "Jane Visitor"

    visitor = browser.new_context()
    capture_lead(visitor.new_page(), app, name, company)
    visitor.close()

    owner_ctx = browser.new_context(viewport={"width": 1500, "height": 900})
    owner_ctx.set_default_timeout(20_000)
    page = owner_ctx.new_page()
    email, password = app.ensure_owner()
    sign_in(page, app, email, password)
    see_lead_assigned(page, app, name, "Sam Journey")
    convert_lead(page, name, "4200")
    expect(page.get_by_role("heading", name=company)).to_be_visible()

    colleague_ctx = browser.new_context(viewport={"width": 1500, "height": 900})
    colleague_ctx.set_default_timeout(20_000)
    colleague = colleague_ctx.new_page()
    sign_in(colleague, app, seller_email, seller_password)
    open_board(colleague, app)
    expect(colleague.get_by_role("region", name="Stage New").get_by_role("article", name=company)).to_be_visible()

    open_board(page, app)
    drag_deal(page, company, "Qualified")
    drag_deal(page, company, "Proposal")
    # The colleague's board follows without a reload.
    expect(colleague.get_by_role("region", name="Stage Proposal").get_by_role("article", name=company)).to_be_visible()
    mark_won(page, company)
    expect(colleague.get_by_role("article", name=company)).to_have_count(0)

    with app.session() as s:
        deal = s.exec(select(Deal).where(Deal.title == company)).one()
        assert (deal.status, deal.value_minor) == ("won", 420000)
        moves = s.exec(select(StageChange).where(StageChange.deal_id == deal.id)).all()
        assert len(moves) == 4 and all(m.via == "ui" for m in moves)
    owner_ctx.close()
    colleague_ctx.close()
