"""Journey: a signed contract becomes a project, a week of time is logged with the keyboard
and approved, and the client approves a change order that raises the budget."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.models import OutboxMessage
from tests.conftest import sign_in

from .conftest import STANDARD_LINES, make_deal, make_quote

pytestmark = pytest.mark.browser


def signed_contract(app, title: str) -> int:
    """What the contracts stage leaves behind: a completed contract on a won deal."""
    with app.session() as s:
        deal = make_deal(s, title)
        quote = make_quote(s, deal, STANDARD_LINES)
        contract = Contract(deal_id=deal.id, quote_id=quote.id, title=f"{title} agreement", status="completed")
        s.add(contract)
        s.flush()
        s.add(ContractSigner(contract_id=contract.id, name="Carla Client", email="carla@globex.test"))
        s.commit()
        return contract.id


def create_project(page: Page, app, contract_title: str) -> None:
    page.goto(f"{app.base_url}/projects")
    page.get_by_role("button", name=f"Create project from {contract_title}").click()
    page.wait_for_url(re.compile(r".*/projects/\d+/?$"))
    expect(page.get_by_role("region", name="Budget vs actual")).to_contain_text("Senior developer")


def hm(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def time_rules(app, *, allow_future: bool = True, locale: str | None = None) -> None:
    """The app's time rules (and locale) for a journey: the grids here log the whole current week,
    future days included, which the default rules lock."""
    from l2c_app.core import formats
    from l2c_app.core.audit import SYSTEM
    from l2c_app.projects.service import save_time_rules

    app.ensure_owner()
    with app.session() as s:
        save_time_rules(s, SYSTEM, allow_future_time=allow_future, sole_approver_self_approval=True)
        if locale:
            formats.save_formats(s, SYSTEM, locale=locale, hours_format="hm")
        s.commit()


def minutes_this_week(app, email: str) -> int:
    """What this person already logged this week, on any project."""
    from datetime import date, timedelta

    from sqlalchemy import func
    from sqlmodel import select

    from l2c_app.core import formats
    from l2c_app.core.models import User
    from l2c_app.projects.models import TimeEntry

    with app.session() as s:
        monday = formats.week_start(date.today(), formats.formats(s))  # the grid's week (the org's locale)
        owner = s.exec(select(User).where(User.email == email)).one()
        return s.exec(
            select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
                TimeEntry.user_id == owner.id, TimeEntry.day >= monday, TimeEntry.day < monday + timedelta(days=7)
            )
        ).one()


def log_week(page: Page, app, email: str, project: str, hours: list[str]) -> int:
    """Open the grid, add the project's row, type Monday..Friday moving with Tab and arrows.
    Returns the week's total (minutes) before, on any project."""
    before = minutes_this_week(app, email)
    page.goto(f"{app.base_url}/time")
    page.get_by_label("Add a row: find a project").fill(project[:7])
    page.get_by_role("button", name=f"Add row {project} · Senior developer").click()
    row = f"{project} · Senior developer"
    # Adding a row puts the focus in its first day (the week's first day is the locale's): wait for
    # that to happen before clicking Monday, or on a busy machine it lands after the click and the
    # typing starts one cell early.
    page.wait_for_function(
        "r => (document.activeElement?.getAttribute('aria-label') || '').startsWith(r + ',')", arg=row
    )
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    page.get_by_label(f"{row}, Monday").click()
    for i, value in enumerate(hours):
        expect(page.get_by_label(f"{row}, {days[i]}")).to_be_focused()  # each key lands where it should
        page.keyboard.type(value)
        page.keyboard.press("Tab" if i % 2 == 0 else "ArrowRight")
    page.keyboard.press("Enter")  # the last key moves on as well (saves the cell left)
    expect(page.get_by_role("status")).to_have_text("All changes saved")
    return before


def a_billing_approver(app) -> tuple[str, str]:
    """Bea from billing: an approver who is not the person whose week it is (nobody approves
    their own week while someone else may)."""
    from sqlmodel import select

    from l2c_app.core.auth import create_user
    from l2c_app.core.models import User

    email, password = "bea.billing@l2c.test", "billing-password-1"
    with app.session() as s:
        if s.exec(select(User).where(User.email == email)).first() is None:
            create_user(s, name="Bea Billing", email=email, role="billing", password=password)
            s.commit()
    return email, password


def a_person(app, name: str, email: str, role: str, password: str) -> tuple[str, str]:
    """A person of the shared app, made once (through the auth service); their e-mail and password."""
    from sqlmodel import select

    from l2c_app.core.auth import create_user
    from l2c_app.core.models import User

    with app.session() as s:
        if s.exec(select(User).where(User.email == email)).first() is None:
            create_user(s, name=name, email=email, role=role, password=password)
            s.commit()
    return email, password


def a_developer(app) -> tuple[str, str]:
    """Tess from delivery logs this journey's week: her own week, so the time other journeys log
    for the owner (who shares the app) can never push one of her days over 24 h."""
    return a_person(app, "Tess Timekeeper", "tess.timekeeper@l2c.test", "delivery", "delivery-password-1")


def approve_week(page: Page, app, person: str, project: str) -> None:
    """Billing approves the person's week, in their own browser."""
    ctx = page.context.browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(20_000)
    try:
        other = ctx.new_page()
        sign_in(other, app, *a_billing_approver(app))
        other.goto(f"{app.base_url}/time/approvals")
        name = re.compile(f"Approve week of .* for {person} on {project}$")
        other.get_by_role("button", name=name).click()
        # This person's week on this project is approved (other journeys may leave other weeks waiting).
        expect(other.get_by_role("button", name=name)).to_have_count(0)
    finally:
        ctx.close()


def propose_change_order(page: Page, project_url: str, description: str, price: str) -> None:
    page.goto(project_url)
    page.get_by_label("Description of the change").fill(description)
    page.get_by_label("Price", exact=True).fill(price)
    page.get_by_role("button", name="Create change order").click()
    page.get_by_role("button", name="Send change order #1 to client").click()
    # The e-mail composer opens with today's message; Send e-mail sends it.
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Subject", exact=True)).to_have_value(re.compile("Change order"))
    dialog.get_by_role("button", name="Send e-mail").click()
    expect(page.get_by_role("row", name=re.compile(description))).to_contain_text("sent")


def client_approves(browser, link: str, name: str) -> None:
    """The client opens the e-mailed link (no account) and approves with a typed name."""
    ctx = browser.new_context()
    client = ctx.new_page()
    client.goto(link)
    client.get_by_label("Your full name").fill(name)
    client.get_by_role("button", name="Approve change order").click()
    expect(client.get_by_role("status")).to_contain_text(f"Approved by {name}")
    ctx.close()


def test_signed_contract_to_project_time_and_change_order(signed_in_page, app_server, browser):
    page, app = signed_in_page, app_server
    signed_contract(app, "Harbour website")
    create_project(page, app, "Harbour website agreement")
    project_url = page.url
    expect(page.get_by_label("Budget now")).to_have_text("€12,488.00")

    time_rules(app, allow_future=True)
    dev_email, dev_password = a_developer(app)
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(20_000)
    try:
        tess = ctx.new_page()
        sign_in(tess, app, dev_email, dev_password)
        before = log_week(tess, app, dev_email, "Harbour website", ["8", "7:30", "6h", "450m", "1h30"])
        after = before + hm("30:30")
        expect(tess.get_by_label("Week total")).to_have_text(f"{after // 60}:{after % 60:02d}")
        expect(tess.get_by_label("Total of Harbour website · Senior developer")).to_have_text("30:30")
        tess.reload()  # saved for real, and shown normalised
        expect(tess.get_by_label("Harbour website · Senior developer, Wednesday")).to_have_value("6:00")

        approve_week(page, app, "Tess Timekeeper", "Harbour website")
        tess.goto(f"{app.base_url}/time")
        expect(tess.get_by_label("Harbour website · Senior developer, Monday")).to_have_attribute("readonly", "")
    finally:
        ctx.close()

    page.goto(project_url)
    expect(page.get_by_role("region", name="Budget vs actual")).to_contain_text("30:30")  # hours as 14:15
    propose_change_order(page, project_url, "Extra landing page", "1500")
    with app.session() as s:
        mail = s.exec(
            select(OutboxMessage).where(OutboxMessage.related_entity == "changeorder").order_by(OutboxMessage.id.desc())
        ).first()
    assert mail.to == "carla@globex.test"
    client_approves(browser, mail.link, "Carla Client")

    page.goto(project_url)
    expect(page.get_by_label("Budget now")).to_have_text("€13,988.00")
    expect(page.get_by_role("row", name=re.compile("Extra landing page"))).to_contain_text("approved")
