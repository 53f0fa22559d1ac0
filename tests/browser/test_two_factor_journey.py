"""A careful owner: turns two-factor on, signs in with password + code, reviews where they are
signed in, and signs out everywhere. Screenshots at 1366 and 390 px wide."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

TINA = ("tina@l2c.test", "tina-password-12")


@pytest.fixture
def tina(app_server):
    """An owner of her own (the shared owner stays without two-factor for other journeys)."""
    from sqlmodel import select

    from l2c_app.core.auth import create_session, create_user
    from l2c_app.core.models import User

    app_server.ensure_owner()
    with app_server.session() as s:
        user = s.exec(select(User).where(User.email == TINA[0])).first() or create_user(
            s, name="Tina Twofactor", email=TINA[0], role="owner", password=TINA[1]
        )
        s.flush()
        other = create_session(s, user, "192.0.2.7", "Firefox on the other laptop")
        s.commit()
    return other


def turn_on_two_factor(page, app) -> str:
    page.goto(app.base_url + "/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code of your two-factor secret")).to_be_visible()
    secret = page.get_by_label("Two-factor secret").inner_text().strip()
    shoot(page, "account-2fa-setup")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.get_by_label("Recovery codes").locator("code")
    expect(codes).to_have_count(10)
    shoot(page, "account-recovery-codes")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    return secret


def sign_out(page):
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1$"))


def sign_in_with_code(page, app, email, password, secret):
    page.goto(app.base_url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/login/?\?step=code"))
    shoot(page, "login-code-step")
    page.get_by_label("Authentication code").fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    # the code of the next 30-second step: the one of the set-up was used once already
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(re.compile(re.escape(app.base_url) + "/?$"))


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_two_factor_sign_in_and_sign_out_everywhere(page, app_server, tina):
    sign_in(page, app_server, *TINA)
    secret = turn_on_two_factor(page, app_server)
    sign_out(page)

    sign_in_with_code(page, app_server, *TINA, secret)
    page.goto(app_server.base_url + "/account")
    expect(page.get_by_role("cell", name="this device")).to_be_visible()
    expect(page.get_by_role("cell", name="Firefox on the other laptop")).to_be_visible()
    shoot(page, "account-sessions")

    # the owner's other places: the policy on Settings and "Sign out everywhere" on Team
    page.goto(app_server.base_url + "/settings")
    policy = page.get_by_role("switch", name="Require two-factor sign-in")
    expect(policy).to_have_attribute("aria-checked", "false")
    policy.click()
    expect(page.get_by_text("Two-factor is now required for owners, admins and billing.")).to_be_visible()
    shoot(page, "settings-two-factor-policy")
    policy.click()  # back off: the other journeys' owner has no second factor
    expect(page.get_by_text("Two-factor is no longer required.")).to_be_visible()
    page.goto(app_server.base_url + "/team")
    expect(page.get_by_role("button", name=f"Sign {TINA[0]} out everywhere")).to_be_visible()
    shoot(page, "team-sign-out-everywhere")
    page.goto(app_server.base_url + "/account")

    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url(re.compile(r"/login/?\?signed_out=1$"))
    from l2c_app.core.auth import user_for_token

    with app_server.session() as s:
        assert user_for_token(s, tina) is None  # the other laptop is signed out too
    page.goto(app_server.base_url + "/account")
    page.wait_for_url(re.compile(r"/login/?\?next="))
