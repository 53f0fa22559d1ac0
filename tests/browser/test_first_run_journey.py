"""A newcomer's first visit: set up the organisation (signed in at once), look around, sign out.

Reads as the user's story; each helper is one thing a person does.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

OWNER = {"org": "Zoë's Studio", "name": "Zoë Owner", "email": "zoe@studio.test", "password": "a-long-password-1"}
SECTIONS = [
    "Leads",
    "Pipeline",
    "Quotes",
    "Contracts",
    "Projects",
    "Time",
    "Invoices",
    "Payments",
    "Insights",
    "Settings",
]


def open_fresh_install(page, app):
    page.goto(app.base_url + "/")
    page.wait_for_url(re.compile(r"/setup/?$"))


def create_organisation(page, org, name, email, password):
    page.get_by_label("Organisation name").fill(org)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your e-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create organisation").click()


def visit_every_section(page):
    nav = page.get_by_role("navigation", name="Main navigation")
    for section in SECTIONS:
        nav.get_by_role("link", name=section, exact=True).click()
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1$"))


@pytest.fixture
def fresh_install(app_server):
    """An empty install for this journey; the shared one (with its owner) comes back after."""
    app_server.reset()
    yield app_server
    app_server.reset()
    app_server.ensure_owner()


def test_first_run_setup_login_navigate_logout(page, fresh_install):
    app_server = fresh_install
    open_fresh_install(page, app_server)
    page.screenshot(path="test-artifacts/setup.png")

    create_organisation(page, OWNER["org"], OWNER["name"], OWNER["email"], "short")
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")

    create_organisation(page, OWNER["org"], OWNER["name"], OWNER["email"], OWNER["password"])
    # Signed in straight away: no password typed a second time.
    page.wait_for_url(re.compile(re.escape(app_server.base_url) + "/?$"))
    expect(page.get_by_role("heading", name="Hello, Zoë Owner")).to_be_visible()
    expect(page.get_by_text(OWNER["org"])).to_be_visible()
    page.screenshot(path="test-artifacts/shell.png")

    visit_every_section(page)
    sign_out(page)

    page.goto(app_server.base_url + "/login")
    page.get_by_label("E-mail").fill(OWNER["email"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    page.screenshot(path="test-artifacts/login.png")

    sign_in(page, app_server, OWNER["email"], OWNER["password"])
    expect(page.get_by_role("heading", name="Hello, Zoë Owner")).to_be_visible()
    sign_out(page)

    # Signed out means signed out: a section now asks for the login again.
    page.goto(app_server.base_url + "/invoices")
    page.wait_for_url(re.compile(r"/login/?\?next=(%2F|/)invoices"))
    # And setup cannot be run a second time.
    page.goto(app_server.base_url + "/setup")
    page.wait_for_url(re.compile(r"/login/?$"))


def invite_colleague(page, app, name, email, role):
    page.goto(app.base_url + "/team")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()  # not the "Sign … out" cell


def invitation_link_from_outbox(page, app, email):
    page.goto(app.base_url + "/outbox")
    card = page.locator("div.rt-Card", has_text=f"To {email}").first
    expect(card).to_contain_text("Not sent (no SMTP configured)")
    return card.locator("code").first.inner_text()


def accept_invitation(page, link, password):
    page.goto(link)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Set password and continue").click()


def test_owner_invites_a_seller_who_only_sees_sales_sections(page, browser, app_server):
    email, password = app_server.ensure_owner()
    sign_in(page, app_server, email, password)
    invite_colleague(page, app_server, "Sam Seller", "sam@seller.test", "sales")
    link = invitation_link_from_outbox(page, app_server, "sam@seller.test")
    assert "/invite/" in link

    ctx = browser.new_context()
    sam = ctx.new_page()
    try:
        accept_invitation(sam, link, "sales-password-1")
        expect(sam.get_by_label("E-mail")).to_have_value("sam@seller.test")
        sign_in(sam, app_server, "sam@seller.test", "sales-password-1")
        nav = sam.get_by_role("navigation", name="Main navigation")
        expect(nav.get_by_role("link", name="Pipeline", exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="Invoices", exact=True)).to_have_count(0)
        # Typing the address of a section the role may not open lands back on My day.
        sam.goto(app_server.base_url + "/invoices")
        expect(sam.get_by_text("may not open invoices")).to_be_visible()
        sam.wait_for_url(re.compile(re.escape(app_server.base_url) + "/?$"))
        # The invitation works once.
        sam.goto(link)
        expect(sam.get_by_role("alert")).to_contain_text("not valid any more")
    finally:
        ctx.close()
