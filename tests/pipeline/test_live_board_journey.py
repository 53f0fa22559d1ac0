"""The live board in the browser: two people, two browser contexts. One moves a card with
"Move to"; it moves on their own board at once (patched, no reload) and appears in the new
column on the other person's board without a reload, well before the fallback poll
(pages.BOARD_POLL_MS) could have brought it: pushed by the broadcast (board_follow.py)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user
from l2c_app.core.models import User
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.pages import BOARD_POLL_MS
from tests.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

PUSH_WAIT_MS = 5_000  # far under the poll: passing proves the push


def _world(app) -> tuple[str, str, str]:
    email, password = "lina.live@l2c.test", "live-board-pass-1"
    owner_email, _ = app.ensure_owner()
    title = f"Live deal {uuid.uuid4().hex[:6]}"
    with app.session() as s:
        owner = s.exec(select(User).where(User.email == owner_email)).one()
        if s.exec(select(User).where(User.email == email)).first() is None:
            create_user(s, name="Lina Live", email=email, role="sales", password=password)
        svc.create_deal(s, Actor("user", owner.id), title=title, value_minor=123400, owner_id=owner.id)
        s.commit()
    return email, password, title


def _board(page, app) -> None:
    page.goto(f"{app.base_url}/pipeline")
    expect(page.get_by_role("region", name="Stage New")).to_be_visible()
    expect(page.get_by_label("Live updates on")).to_be_visible()  # the follow task is listening


def test_a_move_appears_on_a_colleagues_board_without_reload(browser, app_server):
    assert PUSH_WAIT_MS < BOARD_POLL_MS
    app = app_server
    colleague_email, colleague_password, title = _world(app)
    owner_email, owner_password = app.ensure_owner()
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in range(2)]
    try:
        mover, other = (ctx.new_page() for ctx in contexts)
        for pg in (mover, other):
            pg.set_default_timeout(20_000)
        sign_in(mover, app, owner_email, owner_password, "/pipeline")
        sign_in(other, app, colleague_email, colleague_password, "/pipeline")
        _board(mover, app)
        _board(other, app)
        expect(other.get_by_role("region", name="Stage New").get_by_role("article", name=title)).to_be_visible()
        other.evaluate("window.__notReloaded = true")  # a full page reload would drop this

        mover.get_by_role("button", name=f"Move {title} to").click()
        mover.get_by_role("menuitem", name="Qualified").click()
        qualified = mover.get_by_role("region", name="Stage Qualified")
        expect(qualified.get_by_role("article", name=title)).to_be_visible()
        expect(mover.get_by_role("region", name="Stage New").get_by_role("article", name=title)).to_have_count(0)
        expect(mover.get_by_role("button", name=f"Move {title} to")).to_be_focused()  # focus follows the card

        other_qualified = other.get_by_role("region", name="Stage Qualified")
        expect(other_qualified.get_by_role("article", name=title)).to_be_visible(timeout=PUSH_WAIT_MS)
        expect(other.get_by_role("region", name="Stage New").get_by_role("article", name=title)).to_have_count(
            0, timeout=PUSH_WAIT_MS
        )
        assert other.evaluate("window.__notReloaded === true")
        ARTIFACTS.mkdir(exist_ok=True)
        mover.screenshot(path=str(ARTIFACTS / "live-board-1366.png"))
        other.set_viewport_size({"width": 390, "height": 844})
        other_qualified.get_by_role("article", name=title).scroll_into_view_if_needed()
        other.screenshot(path=str(ARTIFACTS / "live-board-390.png"))

        # Won: the card leaves both boards.
        mover.get_by_role("button", name=f"Mark {title} won").click()
        expect(mover.get_by_role("article", name=title)).to_have_count(0)
        expect(other.get_by_role("article", name=title)).to_have_count(0, timeout=PUSH_WAIT_MS)

    finally:
        for ctx in contexts:
            ctx.close()
