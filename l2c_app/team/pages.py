"""Setup (first run), login, and the Team page."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.models import ROLES
from l2c_app.team.cost_rates_ui import cost_rates_card
from l2c_app.team.state import InviteState, LoginState, SetupState, TeamState
from l2c_app.ui.layout import NativeForm, app_page, error_callout, field_label, native_select, public_page

COMMON_ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
]
COMMON_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK"]


def centered_card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(rx.vstack(*children, spacing="4", width="100%"), width="28em", size="3"),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("infinity", size=28, color=rx.color("accent", 10)), rx.heading("l2c", size="6"), align="center"
    )


@public_page("/setup", "Set up l2c", on_load=SetupState.check)
def setup_page() -> rx.Component:
    return centered_card(
        brand(),
        rx.heading("Set up your organisation", size="4"),
        rx.text("Create the owner account. You can invite your team afterwards.", color_scheme="gray", size="2"),
        error_callout(SetupState.error),
        rx.form(
            rx.vstack(
                field_label("Organisation name", rx.input(name="org_name", required=True, placeholder="Acme Studio")),
                rx.hstack(
                    field_label("Currency", native_select(COMMON_CURRENCIES, "currency", "EUR", label="Currency")),
                    field_label("Time zone", native_select(COMMON_ZONES, "timezone", "UTC", label="Time zone")),
                    width="100%",
                ),
                rx.separator(),
                field_label("Your name", rx.input(name="owner_name", required=True, auto_complete="name")),
                field_label(
                    "Your e-mail", rx.input(name="owner_email", type="email", required=True, auto_complete="email")
                ),
                field_label(
                    "Password",
                    rx.input(name="password", type="password", required=True, auto_complete="new-password"),
                    "At least 10 characters.",
                ),
                field_label(
                    "Repeat password",
                    rx.input(name="password_confirm", type="password", required=True, auto_complete="new-password"),
                ),
                rx.button("Create organisation", type="submit", loading=SetupState.busy, width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=SetupState.submit,
            reset_on_submit=False,
            width="100%",
        ),
    )


@public_page("/login", "Sign in", on_load=LoginState.load)
def login_page() -> rx.Component:
    return centered_card(
        brand(),
        rx.heading("Sign in", size="4"),
        rx.cond(LoginState.notice != "", rx.callout(LoginState.notice, icon="info", color_scheme="green")),
        error_callout(LoginState.message),
        rx.cond(
            LoginState.ready & (LoginState.step == "code"),
            NativeForm.create(
                rx.vstack(
                    rx.text(
                        "Enter the 6-digit code from your authenticator app, or one of your recovery codes.", size="2"
                    ),
                    field_label(
                        "Authentication code",
                        rx.input(
                            name="code", required=True, auto_focus=True, auto_complete="one-time-code", max_length=12
                        ),
                    ),
                    rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                    rx.button("Verify and sign in", type="submit", width="100%"),
                    rx.link("Start again with your password", href="/login", size="2"),
                    spacing="3",
                    width="100%",
                ),
                action="/api/auth/login/code",
                method="post",
                width="100%",
            ),
        ),
        rx.cond(
            LoginState.ready & (LoginState.step != "code"),
            NativeForm.create(
                rx.vstack(
                    field_label(
                        "E-mail",
                        rx.input(
                            name="email",
                            type="email",
                            required=True,
                            auto_complete="username",
                            default_value=LoginState.email,
                        ),
                    ),
                    field_label(
                        "Password",
                        rx.input(name="password", type="password", required=True, auto_complete="current-password"),
                    ),
                    rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                    rx.button("Sign in", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                action="/api/auth/login",
                method="post",
                width="100%",
            ),
        ),
        rx.cond(~LoginState.ready, rx.center(rx.spinner(size="3"), padding="2em")),
    )


def member_row(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m["name"]),
        rx.table.cell(m["email"]),
        rx.table.cell(
            rx.select(
                list(ROLES),
                value=m["role"],
                on_change=lambda r: TeamState.change_role(m["id"], r),
                custom_attrs={"aria-label": f"Role of {m['email']}"},
                size="1",
            ),
        ),
        rx.table.cell(rx.badge(m["active"], color_scheme=rx.cond(m["active"] == "active", "green", "gray"))),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    m["active"] == "active",
                    rx.button(
                        "Deactivate",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=TeamState.toggle_active(m["id"], False),
                    ),
                    rx.button("Reactivate", size="1", variant="soft", on_click=TeamState.toggle_active(m["id"], True)),
                ),
                rx.cond(
                    TeamState.user_role == "owner",
                    rx.button(
                        "Sign out everywhere",
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        aria_label=f"Sign {m['email']} out everywhere",
                        on_click=TeamState.sign_out_user(m["id"]),
                    ),
                ),
                spacing="2",
            )
        ),
    )


@app_page("/team", "Team", "team", on_load=TeamState.load)
def team_page() -> rx.Component:
    return rx.vstack(
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(h) for h in ("Name", "E-mail", "Role", "Status", "")])
            ),
            rx.table.body(rx.foreach(TeamState.members, member_row)),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Add a team member", size="3"),
                error_callout(TeamState.error),
                rx.form(
                    rx.hstack(
                        field_label("Name", rx.input(name="name", required=True)),
                        field_label("E-mail", rx.input(name="email", type="email", required=True)),
                        field_label("Role", native_select(list(ROLES), "role", "sales", label="Role")),
                        field_label(
                            "Initial password",
                            rx.input(name="password", type="password", placeholder="empty: send an invitation"),
                        ),
                        rx.button("Add member", type="submit"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=TeamState.add,
                    reset_on_submit=True,
                ),
                width="100%",
            ),
            width="100%",
        ),
        cost_rates_card(),
        width="100%",
        spacing="4",
    )


@public_page("/invite/[invite_token]", "Join the team", on_load=InviteState.load)
def invite_page() -> rx.Component:
    return centered_card(
        brand(),
        rx.heading("Choose your password", size="4"),
        rx.cond(InviteState.invitee != "", rx.text("Invitation for ", InviteState.invitee, size="2")),
        error_callout(InviteState.error),
        rx.cond(
            InviteState.invitee != "",
            rx.form(
                rx.vstack(
                    field_label(
                        "Password",
                        rx.input(name="password", type="password", required=True, auto_complete="new-password"),
                        "At least 10 characters.",
                    ),
                    field_label(
                        "Repeat password",
                        rx.input(name="password_confirm", type="password", required=True, auto_complete="new-password"),
                    ),
                    rx.button("Set password and continue", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=InviteState.submit,
                reset_on_submit=False,
                width="100%",
            ),
        ),
    )
