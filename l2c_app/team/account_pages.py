"""The account page (two-factor sign-in, active sessions) and the Settings policy card."""

from __future__ import annotations

import reflex as rx

from l2c_app.team.account_state import AccountState, TwoFactorPolicyState
from l2c_app.ui.layout import app_page, error_callout, field_label


def _code_form(label: str, button: str, handler, danger: bool = False) -> rx.Component:
    return rx.form(
        rx.hstack(
            field_label(
                label,
                rx.input(
                    name="code",
                    required=True,
                    auto_complete="one-time-code",
                    input_mode="text",
                    max_length=12,
                    placeholder="123456",
                ),
            ),
            rx.button(button, type="submit", **({"color_scheme": "red", "variant": "soft"} if danger else {})),
            align="end",
            wrap="wrap",
            width="100%",
        ),
        on_submit=handler,
        reset_on_submit=True,
        width="100%",
    )


def _recovery_codes() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(
                "Your recovery codes. Each works once if you lose your authenticator app. "
                "Save them now: they are not shown again.",
                weight="medium",
            ),
            rx.grid(
                rx.foreach(AccountState.new_codes, lambda c: rx.code(c, size="3")),
                columns={"initial": "2", "sm": "5"},
                spacing="2",
                aria_label="Recovery codes",
            ),
            rx.button("I have saved my recovery codes", on_click=AccountState.codes_saved, size="2"),
            spacing="3",
        ),
        icon="key-round",
        color_scheme="amber",
        width="100%",
    )


def _setup() -> rx.Component:
    return rx.vstack(
        rx.text("1. Scan this QR code with an authenticator app (or type the secret).", size="2"),
        rx.flex(
            rx.image(
                src=AccountState.setup_qr,
                alt="QR code of your two-factor secret",
                width="12em",
                height="12em",
                background="white",
                border_radius="6px",
            ),
            rx.vstack(
                rx.text("Secret", size="2", weight="medium"),
                rx.code(AccountState.setup_secret, size="3", aria_label="Two-factor secret", word_break="break-all"),
                spacing="1",
                max_width="100%",
            ),
            direction={"initial": "column", "sm": "row"},
            spacing="4",
            align="start",
        ),
        rx.text("2. Enter the 6-digit code the app shows to turn two-factor on.", size="2"),
        _code_form("Code from your app", "Turn on two-factor", AccountState.confirm_setup),
        rx.button("Cancel set-up", variant="ghost", color_scheme="gray", on_click=AccountState.cancel_setup),
        spacing="3",
        width="100%",
    )


def two_factor_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Two-factor sign-in", size="3"),
                rx.badge(
                    rx.cond(AccountState.tf_enabled, "on", "off"),
                    color_scheme=rx.cond(AccountState.tf_enabled, "green", "gray"),
                ),
                align="center",
            ),
            rx.cond(
                AccountState.required_notice,
                rx.callout(
                    "Your organisation requires two-factor sign-in for your role. Turn it on to continue.",
                    icon="shield-alert",
                    color_scheme="amber",
                    width="100%",
                ),
            ),
            error_callout(AccountState.tf_error),
            rx.cond(AccountState.new_codes.length() > 0, _recovery_codes()),
            rx.cond(
                AccountState.tf_enabled,
                rx.vstack(
                    rx.text(
                        "On since ",
                        AccountState.tf_since,
                        ". Recovery codes left: ",
                        AccountState.recovery_left,
                        ".",
                        size="2",
                    ),
                    _code_form(
                        "Code from your app or a recovery code",
                        "Turn off two-factor",
                        AccountState.turn_off,
                        danger=True,
                    ),
                    _code_form(
                        "Code to make new recovery codes", "Make new recovery codes", AccountState.regenerate_codes
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    AccountState.setup_secret != "",
                    _setup(),
                    rx.vstack(
                        rx.text(
                            "After your password, sign-in also asks for a code from an authenticator app "
                            "on your phone.",
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.button(
                            rx.icon("shield-check", size=16),
                            "Set up two-factor sign-in",
                            on_click=AccountState.start_setup,
                        ),
                        spacing="3",
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _session_row(s: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(s["created"]),
        rx.table.cell(s["last_seen"]),
        rx.table.cell(s["ip"]),
        rx.table.cell(rx.text(s["user_agent"], size="1", max_width="28em", style={"overflow_wrap": "anywhere"})),
        rx.table.cell(
            rx.hstack(
                rx.cond(s["current"], rx.badge("this device", color_scheme="green")),
                _sign_out_button(s),
                spacing="2",
                align="center",
            )
        ),
    )


def _sign_out_button(s: rx.Var) -> rx.Component:
    return rx.button(
        "Sign out",
        size="1",
        variant="soft",
        color_scheme="gray",
        aria_label=rx.cond(s["current"], "Sign out this session (this device)", "Sign out this session"),
        on_click=AccountState.sign_out_session(s["id"], s["current"]),
    )


def _session_card(s: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(s["ip"], weight="medium"),
            rx.cond(s["current"], rx.badge("this device", color_scheme="green")),
            rx.spacer(),
            _sign_out_button(s),
            align="center",
            width="100%",
        ),
        rx.text(s["user_agent"], size="1", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
        rx.text("Signed in ", s["created"], " · last seen ", s["last_seen"], size="1"),
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-3)",
        padding="0.6em",
        width="100%",
    )


def sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Where you are signed in", size="3"),
                rx.spacer(),
                rx.button(
                    rx.icon("log-out", size=14),
                    "Sign out everywhere",
                    color_scheme="red",
                    variant="soft",
                    on_click=AccountState.sign_out_everywhere,
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(
                AccountState.sessions.length() > 0,
                rx.box(
                    # Wide screens: a table; phones: one small card per session (a table of
                    # five columns does not fit 390 px).
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    *[
                                        rx.table.column_header_cell(h)
                                        for h in ("Signed in", "Last seen", "IP", "Browser", "")
                                    ]
                                )
                            ),
                            rx.table.body(rx.foreach(AccountState.sessions, _session_row)),
                            width="100%",
                        ),
                        display=rx.breakpoints(initial="none", md="block"),
                        width="100%",
                    ),
                    rx.vstack(
                        rx.foreach(AccountState.sessions, _session_card),
                        spacing="2",
                        width="100%",
                        display=rx.breakpoints(initial="flex", md="none"),
                    ),
                    width="100%",
                ),
                rx.text("No active sessions.", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


@app_page("/account", "Your account", "home", on_load=AccountState.load)
def account_page() -> rx.Component:
    return rx.vstack(
        rx.text(
            AccountState.user_name, " · ", AccountState.user_email, " · ", AccountState.user_role, color_scheme="gray"
        ),
        two_factor_card(),
        sessions_card(),
        width="100%",
        max_width="64em",
        spacing="4",
    )


def two_factor_policy_card() -> rx.Component:
    """On Settings: whether owners, admins and billing must use two-factor sign-in."""
    return rx.card(
        rx.vstack(
            rx.heading("Two-factor sign-in", size="3"),
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=TwoFactorPolicyState.required, on_change=TwoFactorPolicyState.save),
                    rx.text("Require two-factor sign-in for owners, admins and billing", size="2"),
                    align="center",
                ),
            ),
            rx.text(
                "Such a user without it is sent to set it up right after signing in, before any other page.",
                size="2",
                color_scheme="gray",
            ),
            width="100%",
        ),
        width="100%",
        on_mount=TwoFactorPolicyState.load,
    )
