import re
import pytest
from conftest import make_world
from sqlmodel import select
from l2c_app.core.models import OutboxMessage

pytestmark = pytest.mark.browser
OUT = "/tmp/contracts_shots"


def test_screens(app_server, signed_in_page, browser):
    import os
    os.makedirs(OUT, exist_ok=True)
    app, page = app_server, signed_in_page
    with app.session() as s:
        make_world(s, client_email="shot@client.test")
    page.goto(f"{app.base_url}/contracts")
    page.wait_for_timeout(1500)
    page.screenshot(path=f"{OUT}/list.png", full_page=True)
    page.get_by_role("combobox", name="Accepted quote").click()
    page.get_by_role("option").first.click()
    page.get_by_role("button", name="Create contract").click()
    page.wait_for_url(re.compile(r".*/contracts/\d+/?$"))
    page.wait_for_timeout(1500)
    page.get_by_label("Contract text").fill("Hello {{client.nmae}}\n\n{{client.name}}")
    page.wait_for_timeout(800)
    page.screenshot(path=f"{OUT}/draft.png", full_page=True)
    page.reload()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Send for signature").click()
    page.wait_for_timeout(1500)
    page.screenshot(path=f"{OUT}/sent.png", full_page=True)
    with app.session() as s:
        link = s.exec(select(OutboxMessage).where(OutboxMessage.to == "shot@client.test")).first().link
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    p2 = ctx.new_page()
    p2.goto(link)
    p2.wait_for_timeout(2000)
    p2.screenshot(path=f"{OUT}/sign.png", full_page=True)
    p2.get_by_label("Type your full name").fill("Zoë Ł")
    p2.get_by_role("button", name="Sign", exact=True).click()
    p2.wait_for_timeout(1000)
    p2.screenshot(path=f"{OUT}/sign_error.png", full_page=False)
    ctx.close()
    page.goto(f"{app.base_url}/settings/contracts")
    page.wait_for_timeout(1500)
    page.get_by_label("Template text").press("End")
    page.get_by_label("Template text").type(" {{deal.ownr}}")
    page.wait_for_timeout(800)
    page.screenshot(path=f"{OUT}/settings.png", full_page=False)
