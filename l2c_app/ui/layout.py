"""The app shell (left navigation in the order of the cycle, top bar with search and the
user menu) and the page registry. The shared components are in ui/kit (re-exported here).

A stage registers its pages with `@app_page(route, title, section)`; `l2c_app.py`
imports every stage's `pages` module and adds what is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML

from l2c_app.leads.components import notification_bell
from l2c_app.projects.components import timer_widget
from l2c_app.ui.kit.empty import empty_state as empty_state
from l2c_app.ui.kit.field import field_label as field_label
from l2c_app.ui.kit.form_dialog import error_callout as error_callout
from l2c_app.ui.kit.select import native_select as native_select
from l2c_app.ui.session import AuthState

# label, route, icon, section (the role check of core.auth.SECTION_ROLES)
NAV: list[tuple[str, str, str, str]] = [
    ("My day", "/", "sun", "home"),
    ("Leads", "/leads", "inbox", "leads"),
    ("Pipeline", "/pipeline", "kanban", "pipeline"),
    ("Clients", "/clients", "building-2", "clients"),
    ("Quotes", "/quotes", "file-text", "quotes"),
    ("Contracts", "/contracts", "signature", "contracts"),
    ("Projects", "/projects", "folder-kanban", "projects"),
    ("Time", "/time", "clock", "time"),
    ("Invoices", "/invoices", "receipt", "invoices"),
    ("Payments", "/payments", "credit-card", "payments"),
    ("Insights", "/insights", "chart-line", "insights"),
    ("Settings", "/settings", "settings", "settings"),
]


class NativeForm(BaseHTML):
    """A real HTML form that posts to a URL (login, logout): Reflex's own form always
    prevents the browser's submit, but an HttpOnly cookie needs a real request."""

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


@dataclass
class PageSpec:
    route: str
    title: str
    component: Callable[[], rx.Component]
    on_load: Any = None
    public: bool = False
    extra_on_load: list[Any] = field(default_factory=list)


PAGES: list[PageSpec] = []


def _own_module(wrapped: Callable, fn: Callable) -> None:
    """Name the page's own module on its wrapper: Reflex compiles a page's auto-memoized parts
    into `.web/app_components/<the page function's module>.jsx`. Without this every page's parts
    land in one `ui/layout.jsx` that each page imports, so /pipeline downloaded and parsed the
    insights charts (recharts), the markdown and upload libraries too (1.4 MB of JS)."""
    wrapped.__module__ = fn.__module__


def app_page(route: str, title: str, section: str, on_load: Any = None):
    """Register a signed-in page: shell around it, login and role checked on load."""

    def deco(fn: Callable[[], rx.Component]):
        def wrapped() -> rx.Component:
            return shell(fn(), title)

        _own_module(wrapped, fn)

        loads = [AuthState.require(section)]
        if on_load is not None:
            loads.extend(on_load if isinstance(on_load, list) else [on_load])
        PAGES.append(PageSpec(route, title, wrapped, loads))
        return fn

    return deco


def portal_footer() -> rx.Component:
    """On a client's document page: the way to all of that client's documents (the portal)."""
    return rx.center(
        rx.link(
            rx.hstack(rx.icon("folder-open", size=14), rx.text("See all your documents"), align="center", spacing="1"),
            href="/portal/",
            is_external=True,
            size="2",
        ),
        padding="1.5em",
        width="100%",
    )


def public_page(route: str, title: str, on_load: Any = None, portal_link: bool = False):
    """Register a page anyone may open (setup, login, the client's public links). `portal_link`:
    a client's document page, which offers "See all your documents" (the client portal)."""

    def deco(fn: Callable[[], rx.Component]):
        def wrapped() -> rx.Component:
            # The class carries the phone rules of assets/responsive.css (rows wrap, words break).
            if portal_link:
                return rx.el.main(fn(), portal_footer(), class_name="l2c-public", width="100%", id="main")
            return rx.el.main(fn(), class_name="l2c-public", width="100%", id="main")

        _own_module(wrapped, fn)
        PAGES.append(PageSpec(route, title, wrapped, on_load, public=True))
        return fn

    return deco


def nav_item(label: str, route: str, icon: str, section: str) -> rx.Component:
    return rx.cond(
        AuthState.allowed_sections.contains(section),
        rx.link(
            rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), align="center", spacing="2"),
            href=route,
            underline="none",
            color_scheme="gray",
            high_contrast=True,
            padding_x="0.75em",
            padding_y="0.4em",
            border_radius="var(--radius-2)",
            _hover={"background": "var(--gray-a3)"},
            width="100%",
        ),
    )


# Below this width (Radix's third breakpoint, 48em = 768 px) the left navigation folds into
# a menu button; the lists are [<30em, 30-48em, >=48em] (Reflex's responsive props).
PHONE_HIDDEN = ["none", "none", "flex"]
PHONE_ONLY = ["flex", "flex", "none"]


def nav_links() -> rx.Component:
    return rx.el.nav(
        rx.vstack(*[nav_item(*item) for item in NAV], spacing="1", width="100%"),
        aria_label="Main navigation",
        width="100%",
    )


def mobile_nav() -> rx.Component:
    """The same links in a Radix dialog drawn as a left drawer, behind a menu button (phones)."""
    return rx.box(
        rx.dialog.root(
            rx.dialog.trigger(
                rx.icon_button(
                    rx.icon("menu", size=18), variant="ghost", color_scheme="gray", aria_label="Open navigation"
                )
            ),
            rx.dialog.content(
                rx.hstack(
                    rx.icon("infinity", size=22, color=rx.color("accent", 10)),
                    rx.dialog.title("l2c", size="5", margin="0"),
                    rx.spacer(),
                    rx.dialog.close(
                        rx.icon_button(
                            rx.icon("x", size=16), variant="ghost", color_scheme="gray", aria_label="Close navigation"
                        )
                    ),
                    align="center",
                    width="100%",
                ),
                rx.dialog.description(AuthState.org_name, size="1", color_scheme="gray", margin_y="0.5em"),
                # A link click navigates inside the app; closing the dialog with it keeps the
                # next page uncovered.
                rx.dialog.close(rx.box(nav_links(), width="100%")),
                class_name="l2c-drawer",
                padding="0.75em",
            ),
        ),
        display=PHONE_ONLY,
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("infinity", size=22, color=rx.color("accent", 10)),
            rx.heading("l2c", size="5"),
            align="center",
            padding="0.75em",
        ),
        rx.text(AuthState.org_name, size="1", color_scheme="gray", padding_x="0.75em"),
        nav_links(),
        display=PHONE_HIDDEN,
        width="13em",
        min_width="13em",
        height="100vh",
        position="sticky",
        top="0",
        padding="0.5em",
        border_right="1px solid var(--gray-a5)",
        background=rx.color("gray", 2),
        spacing="2",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(rx.icon("circle-user", size=16), AuthState.user_name, variant="ghost", aria_label="User menu"),
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.user_email, size="2"),
                rx.text("Role: ", AuthState.user_role, size="1", color_scheme="gray"),
                padding="0.5em",
            ),
            rx.menu.separator(),
            rx.cond(AuthState.allowed_sections.contains("team"), rx.menu.item("Team", on_click=rx.redirect("/team"))),
            rx.menu.item("Outbox", on_click=rx.redirect("/outbox")),
            rx.menu.item("Your account (two-factor, sessions)", on_click=rx.redirect("/account")),
            rx.menu.item("Toggle light / dark", on_click=rx.toggle_color_mode),
        ),
    )


def top_bar(title: str) -> rx.Component:
    # On phones the bar wraps: menu, title and the icons on the first line, search below.
    return rx.hstack(
        mobile_nav(),
        rx.heading(title, size="5"),
        rx.spacer(),
        rx.el.form(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                name="q",
                placeholder="Search leads, deals, clients…",
                aria_label="Search",
                width=["100%", "100%", "20em"],
            ),
            on_submit=SearchState.go,
            reset_on_submit=False,
            class_name="l2c-search",
        ),
        timer_widget(),
        notification_bell(),
        user_menu(),
        NativeForm.create(
            rx.button(rx.icon("log-out", size=14), "Sign out", type="submit", variant="soft", color_scheme="gray"),
            action="/api/auth/logout",
            method="post",
        ),
        align="center",
        width="100%",
        padding_y="0.75em",
        padding_x=["0.75em", "1em", "1.5em"],
        border_bottom="1px solid var(--gray-a5)",
        spacing=rx.breakpoints(initial="2", sm="4"),
        class_name="l2c-topbar",
    )


class SearchState(AuthState):
    @rx.event
    def go(self, form: dict):
        q = (form.get("q") or "").strip()
        return rx.redirect(f"/search?q={q}") if q else None


def shell(content: rx.Component, title: str) -> rx.Component:
    return rx.hstack(
        # The first Tab of a page: past the navigation and the top bar, to the page itself.
        rx.el.a("Skip to content", href="#main", class_name="l2c-skip"),
        sidebar(),
        rx.vstack(
            top_bar(title),
            # min_width 0: a flex child may shrink below its content, so a wide table
            # scrolls inside its own box instead of widening the page.
            rx.el.main(
                content,
                padding=["0.75em", "1em", "1.5em"],
                width="100%",
                min_width="0",
                class_name="l2c-main",
                id="main",
                tab_index=-1,
            ),
            width="100%",
            min_width="0",
            spacing="0",
            min_height="100vh",
        ),
        spacing="0",
        width="100%",
        align="start",
    )
