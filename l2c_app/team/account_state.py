"""UI state of the account page (two-factor, sessions) and of the Settings policy card.

Thin: every rule is in core.twofactor and core.sessions. The TOTP secret of a set-up in
progress and the recovery codes just made live in this tab's server-side state only until
the user confirms or closes them; neither is ever read back from the database.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import reflex as rx

from l2c_app.core import sessions as sess
from l2c_app.core import twofactor as tf
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

SIGNED_OUT = "/login?signed_out=1"


class AccountState(AuthState):
    tf_enabled: bool = False
    tf_since: str = ""
    recovery_left: int = 0
    setup_secret: str = ""
    setup_qr: str = ""
    new_codes: list[str] = []
    tf_error: str = ""
    required_notice: bool = False
    sessions: list[dict] = []

    async def _refresh(self):
        uid = self._actor().user_id
        status = await self._call(tf.status, uid)
        if status.ok:
            self.tf_enabled, self.tf_since = status.value["enabled"], status.value["since"]
            self.recovery_left = status.value["recovery_left"]
        listed = await self._call(sess.list_sessions, uid, self._token())
        self.sessions = listed.value if listed.ok else []

    @rx.event
    @guard("home")
    async def load(self):
        query = parse_qs(urlparse(str(self.router.url)).query)
        self.required_notice = (query.get("two_factor") or [""])[0] == "required"
        self.setup_secret = self.setup_qr = self.tf_error = ""
        self.new_codes = []
        await self._refresh()

    @rx.event
    @guard("home")
    async def start_setup(self):
        done = await self._call(tf.begin_setup, self._actor().user_id)
        if not done.ok:
            self.tf_error = done.error
            return None
        self.tf_error = ""
        self.setup_secret, self.setup_qr = done.value["secret"], done.value["qr"]
        return None

    @rx.event
    @guard("home")
    async def cancel_setup(self):
        self.setup_secret = self.setup_qr = self.tf_error = ""

    @rx.event
    @guard("home")
    async def confirm_setup(self, form: dict):
        done = await self._call(tf.confirm_setup, self._actor().user_id, form.get("code", ""))
        if not done.ok:
            self.tf_error = done.error
            return None
        self.tf_error, self.setup_secret, self.setup_qr = "", "", ""
        self.new_codes = done.value
        self.required_notice = False
        await self._refresh()
        return rx.toast.success("Two-factor sign-in is on.")

    @rx.event
    @guard("home")
    async def codes_saved(self):
        self.new_codes = []

    @rx.event
    @guard("home")
    async def turn_off(self, form: dict):
        done = await self._call(tf.disable, self._actor().user_id, form.get("code", ""))
        if not done.ok:
            self.tf_error = done.error
            return None
        self.tf_error = ""
        await self._refresh()
        return rx.toast.success("Two-factor sign-in is off.")

    @rx.event
    @guard("home")
    async def regenerate_codes(self, form: dict):
        done = await self._call(tf.regenerate_recovery_codes, self._actor().user_id, form.get("code", ""))
        if not done.ok:
            self.tf_error = done.error
            return None
        self.tf_error, self.new_codes = "", done.value
        await self._refresh()
        return rx.toast.success("New recovery codes made; the old ones no longer work.")

    @rx.event
    @guard("home")
    async def sign_out_session(self, session_id: int, current: bool):
        done = await self._call(sess.sign_out_session, self._actor(), int(session_id))
        if not done.ok:
            return done.toast()
        if current:
            return rx.redirect(SIGNED_OUT)
        await self._refresh()
        return rx.toast.success("That session is signed out.")

    @rx.event
    @guard("home")
    async def sign_out_everywhere(self):
        actor = self._actor()
        done = await self._call(sess.sign_out_everywhere, actor, actor.user_id)
        if not done.ok:
            return done.toast()
        return rx.redirect(SIGNED_OUT)


class TwoFactorPolicyState(AuthState):
    """The Settings card: whether owners, admins and billing must use two-factor."""

    required: bool = False

    @rx.event
    @guard("settings")
    async def load(self):
        done = await self._call(tf.policy_required)
        self.required = bool(done.value) if done.ok else False

    @rx.event
    @guard("settings")
    async def save(self, value: bool):
        done = await self._call(tf.set_policy, self._actor(), bool(value))
        if not done.ok:
            return done.toast()
        self.required = bool(done.value)
        return rx.toast.success(
            "Two-factor is now required for owners, admins and billing."
            if self.required
            else "Two-factor is no longer required."
        )
