"""The signed-in user, as seen by the Reflex state, and the guard every page and handler uses.

The session cookie is HttpOnly (set by `/api/auth/login`); Reflex captures request
headers when the websocket connects, so the token is read from there on the server and
is never sent to the browser's state. Every page's `on_load` calls `AuthState.require`
with its section, and every event handler that reads or changes data calls
`self._access(section)` first: hiding a button is never the only check.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote, urlparse

import reflex as rx
from sqlmodel import Session

from l2c_app.core.audit import Actor
from l2c_app.core.auth import (
    SECTION_ROLES,
    SESSION_COOKIE,
    can,
    get_organisation,
    session_viewer,
    setup_needed,
    user_for_token,
)
from l2c_app.core.db import run_db
from l2c_app.ui.guard import Done, call_service, current_access


def route_arg(state: rx.State, segment: str) -> str:
    """The path segment after `segment` in the tab's current URL: `route_arg(s, "deals")` on
    `/deals/12/` is "12" ("" when absent). Handlers read it at each event, on the server
    (a computed var would not see router changes); the URL is what Reflex keeps current
    (`RouterData.page` is deprecated)."""
    parts = [p for p in urlparse(str(state.router.url)).path.split("/") if p]
    try:
        return parts[parts.index(segment) + 1]
    except (ValueError, IndexError):
        return ""


def route_id(state: rx.State, segment: str) -> int:
    """`route_arg` as a record id; 0 when it is missing or not a number."""
    raw = route_arg(state, segment)
    return int(raw) if raw.isdigit() else 0


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class Access:
    """The outcome of a guard: `viewer` is None when nobody is signed in."""

    viewer: Viewer | None
    section: str
    path: str = "/"  # where a signed-out visitor comes back to after the login

    @property
    def allowed(self) -> bool:
        return self.viewer is not None and can(self.viewer.role, self.section)

    def denial(self):
        if self.viewer is None:
            return rx.redirect(f"/login?next={quote(self.path)}")
        return rx.toast.error(f"Your role ({self.viewer.role}) may not do this.")


def _viewer_row(session: Session, token: str | None) -> Viewer | None:
    row = session_viewer(session, token)
    return Viewer(*row) if row else None


def _lookup(session: Session, token: str | None) -> tuple[Viewer | None, bool, str, str, bool]:
    from l2c_app.core.twofactor import must_enrol

    user = user_for_token(session, token)
    org = get_organisation(session)
    viewer = Viewer(user.id, user.name, user.email, user.role) if user else None
    return (
        viewer,
        setup_needed(session),
        org.name if org else "l2c",
        org.timezone if org else "UTC",
        bool(user and must_enrol(session, user, org)),
    )


# Where a user whose role must have two-factor (and has not) is sent before any other page.
ENROL_PATH = "/account"


class AuthState(rx.State):
    """Base of every signed-in page's state: who is viewing, and what they may open."""

    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    org_name: str = "l2c"
    org_timezone: str = "UTC"
    allowed_sections: list[str] = []

    def _token(self) -> str | None:
        raw = self.router.headers.cookie or ""
        try:
            jar = SimpleCookie(raw)
        except CookieError:
            return None
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel else None

    def _path(self) -> str:
        url = urlparse(str(self.router.url))
        return url.path + (f"?{url.query}" if url.query else "")

    async def _viewer(self) -> Viewer | None:
        return await run_db(_viewer_row, self._token())

    async def _access(self, section: str) -> Access:
        """Re-check the session and the role on the server, for this one event (one query).

        Handlers use it through `ui.guard.guard(section)`."""
        return Access(await self._viewer(), section, self._path())

    def _actor(self) -> Actor:
        """The viewer checked by the guard of the event being handled, as the audit's actor."""
        access = current_access()
        if access is None or access.viewer is None:
            raise RuntimeError("_actor() outside a guarded event handler")
        return Actor("user", access.viewer.id)

    async def _call(self, fn, *args, **kwargs) -> Done:
        """Run a service call `fn(session, *args)` (ui.guard.call_service): a DomainError
        becomes `Done(ok=False, error=<ui message>, field=...)`, never an internal text."""
        return await call_service(fn, *args, **kwargs)

    @rx.event
    async def require(self, section: str):
        """on_load guard: signed in, and the role may open `section`."""
        viewer, needs_setup, org_name, tz, enrol = await run_db(_lookup, self._token())
        self.org_name, self.org_timezone = org_name, tz
        if needs_setup:
            return rx.redirect("/setup")
        if viewer is None:
            return rx.redirect(f"/login?next={quote(self._path())}")
        self.user_id, self.user_name, self.user_email, self.user_role = (
            viewer.id,
            viewer.name,
            viewer.email,
            viewer.role,
        )
        self.allowed_sections = [s for s, roles in SECTION_ROLES.items() if viewer.role in roles]
        if enrol and urlparse(str(self.router.url)).path.rstrip("/") != ENROL_PATH:
            return [
                rx.redirect(f"{ENROL_PATH}?two_factor=required"),
                rx.toast.info("Your organisation requires two-factor sign-in for your role: set it up first."),
            ]
        if not can(viewer.role, section):
            return [rx.redirect("/"), rx.toast.error(f"Your role ({viewer.role}) may not open {section}.")]
        return None
