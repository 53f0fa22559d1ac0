"""UI state for setup, login and the Team page: thin, every rule is in core.auth."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import reflex as rx
from sqlmodel import Session

from l2c_app.core.auth import (
    AuthError,
    accept_invitation,
    create_user,
    invitation_user,
    invite_user,
    list_users,
    set_active,
    set_role,
    setup_needed,
    setup_organisation,
    setup_signin_ticket,
)
from l2c_app.core.db import run_db
from l2c_app.core.models import ROLES
from l2c_app.core.sessions import sign_out_everywhere
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg


def _needs_setup(session: Session) -> bool:
    return setup_needed(session)


class SetupState(rx.State):
    error: str = ""
    busy: bool = False

    @rx.event
    async def check(self):
        if not await run_db(_needs_setup):
            return rx.redirect("/login")
        return None

    @rx.event
    async def submit(self, form: dict):
        self.error, self.busy = "", True
        yield
        if form.get("password") != form.get("password_confirm"):
            self.error, self.busy = "The two passwords differ.", False
            return
        try:
            _, user = await run_db(
                setup_organisation,
                org_name=form.get("org_name", ""),
                currency=form.get("currency", "EUR"),
                timezone=form.get("timezone", "UTC"),
                owner_name=form.get("owner_name", ""),
                owner_email=form.get("owner_email", ""),
                password=form.get("password", ""),
            )
        except AuthError as exc:
            self.error, self.busy = str(exc), False
            return
        self.busy = False
        # Signed in at once: a plain route turns the ticket into the HttpOnly session cookie
        # (state cannot set one), and the full page load it answers with reconnects Reflex.
        # (The ticket is digits, dots and hex: safe inside the script's string.)
        ticket = setup_signin_ticket(user)
        yield rx.call_script(f"window.location.assign('/api/auth/setup-signin?ticket={ticket}')")


class LoginState(rx.State):
    """Reads the login page's query (error, e-mail, next) to show the right message."""

    message: str = ""
    notice: str = ""
    email: str = ""
    next_path: str = "/"
    step: str = ""  # "code": the password was right, the second factor is asked for
    # The form appears once the query is read: typing into it before would be overwritten.
    ready: bool = False

    @rx.event
    async def load(self):
        self.ready = False  # remount the form with this visit's e-mail (SPA navigation keeps state)
        yield
        if await run_db(_needs_setup):
            yield rx.redirect("/setup")
            return
        query = parse_qs(urlparse(str(self.router.url)).query)
        get = lambda k: (query.get(k) or [""])[0]  # noqa: E731
        self.email, self.next_path = get("email"), get("next") or "/"
        self.step = "code" if get("step") == "code" else ""
        error = get("error")
        self.message = {
            "invalid": "Wrong e-mail or password.",
            "code": "That code is not right. Enter the 6 digits your app shows now, or a recovery code.",
            "expired": "Your sign-in timed out or had too many wrong codes. Enter your e-mail and password again.",
            "throttled": f"Too many failed attempts. Try again in {get('wait') or 'a few'} seconds.",
        }.get(error, "")
        self.notice = (
            "Your organisation is ready. Sign in with the owner account."
            if get("setup")
            else "You are signed out."
            if get("signed_out")
            else ""
        )
        self.ready = True


def _team(session: Session) -> list[dict]:
    users = list_users(session)
    return [
        {
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "role": u.role,
            "active": "active" if u.is_active else "deactivated",
        }
        for u in users
    ]


class TeamState(AuthState):
    members: list[dict] = []
    error: str = ""
    roles: list[str] = list(ROLES)

    @rx.event
    @guard("team")
    async def load(self):
        self.members = await run_db(_team)
        return None

    @rx.event
    @guard("team")
    async def add(self, form: dict):
        """With an initial password the member can sign in at once; without one they get an
        invitation e-mail (outbox without SMTP) to choose their own."""
        access = current_access()
        self.error = ""
        actor = self._actor()
        name, email, role = form.get("name", ""), form.get("email", ""), form.get("role", "sales")
        if role == "owner" and access.viewer.role != "owner":
            self.error = "Only an owner can make another owner."
            return None
        try:
            if form.get("password"):
                await run_db(create_user, name=name, email=email, role=role, password=form["password"], actor=actor)
                message = f"{name} added to the team."
            else:
                await run_db(invite_user, name=name, email=email, role=role, actor=actor)
                message = f"Invitation for {email} written to the outbox."
        except AuthError as exc:
            self.error = str(exc)
            return None
        self.members = await run_db(_team)
        return rx.toast.success(message)

    @rx.event
    @guard("team")
    async def change_role(self, user_id: int, role: str):
        access = current_access()
        if role == "owner" and access.viewer.role != "owner":
            return rx.toast.error("Only an owner can make another owner.")
        try:
            await run_db(set_role, self._actor(), int(user_id), role)
        except AuthError as exc:
            return rx.toast.error(str(exc))
        self.members = await run_db(_team)
        return rx.toast.success("Role changed.")

    @rx.event
    @guard("team")
    async def sign_out_user(self, user_id: int):
        """Owners only (core.sessions checks it): end every session of a member."""
        done = await self._call(sign_out_everywhere, self._actor(), int(user_id))
        return done.toast(f"Signed out of {done.value} session(s)." if done.ok else None)

    @rx.event
    @guard("team")
    async def toggle_active(self, user_id: int, active: bool):
        try:
            await run_db(set_active, self._actor(), int(user_id), active)
        except AuthError as exc:
            return rx.toast.error(str(exc))
        self.members = await run_db(_team)
        return None


class InviteState(rx.State):
    """The public page where an invited member chooses a password (token in the path)."""

    invitee: str = ""
    error: str = ""

    def _invite_token(self) -> str:
        return route_arg(self, "invite")

    @rx.event
    async def load(self):
        try:
            user = await run_db(invitation_user, self._invite_token())
        except AuthError as exc:
            self.invitee, self.error = "", str(exc)
            return None
        self.invitee, self.error = f"{user.name} ({user.email})", ""
        return None

    @rx.event
    async def submit(self, form: dict):
        if form.get("password") != form.get("password_confirm"):
            self.error = "The two passwords differ."
            return None
        try:
            user = await run_db(accept_invitation, self._invite_token(), form.get("password", ""))
        except AuthError as exc:
            self.error = str(exc)
            return None
        return rx.redirect(f"/login?email={user.email}")
