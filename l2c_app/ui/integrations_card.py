"""Settings > Integrations: "Test connection" for Stripe and for DocuSign.

The checks are plain functions (integrations/checks.py, reached through the app-level
l2c_app/connection_checks.py: ui/ imports no adapter) that call the provider; they run in
a worker thread, never on the event loop, with the button showing it is working meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from l2c_app.connection_checks import CHECKS, failed
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

log = logging.getLogger(__name__)


class IntegrationsState(AuthState):
    checks: dict[str, dict] = {}
    testing: str = ""  # the provider being tested ("" when none)

    @rx.event
    @guard("settings")
    async def test_connection(self, provider: str):
        if provider not in CHECKS or self.testing:
            return
        self.testing = provider
        yield
        try:
            result = await asyncio.to_thread(CHECKS[provider])
        except Exception:  # an unexpected failure is logged; the person gets words, not a traceback
            log.exception("connection test of %s failed", provider)
            result = failed(provider)
        self.checks = {**self.checks, provider: result.as_dict()}
        self.testing = ""


def _result(provider: str) -> rx.Component:
    check = IntegrationsState.checks[provider]
    return rx.cond(
        IntegrationsState.checks.contains(provider),
        rx.callout(
            rx.vstack(
                rx.text(check["summary"].to(str), weight="bold"),
                rx.foreach(check["found"].to(list[str]), lambda f: rx.text(f, size="2")),
                rx.foreach(check["problems"].to(list[str]), lambda p: rx.text("• ", p, size="2")),
                rx.cond(
                    check["link"].to(str) != "",
                    rx.link("Open the DocuSign consent page", href=check["link"].to(str), is_external=True),
                ),
                spacing="1",
                width="100%",
            ),
            icon=rx.cond(check["ok"].to(bool), "circle-check", "triangle-alert"),
            color_scheme=rx.cond(check["ok"].to(bool), "green", "amber"),
            role="status",
            width="100%",
        ),
    )


def _provider(provider: str, title: str, hint: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.text(title, weight="bold"), rx.text(hint, size="2", color_scheme="gray"), spacing="1"),
            rx.spacer(),
            rx.button(
                rx.icon("plug-zap", size=14),
                f"Test {title} connection",
                on_click=IntegrationsState.test_connection(provider),
                loading=IntegrationsState.testing == provider,
                disabled=IntegrationsState.testing != "",
                variant="soft",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        _result(provider),
        width="100%",
        spacing="2",
    )


def integrations_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Integrations", size="3"),
            rx.text(
                "Set up in the server's environment (README: Connect Stripe, Connect DocuSign). A test calls the "
                "provider and says what is missing.",
                size="2",
                color_scheme="gray",
            ),
            _provider("stripe", "Stripe", "Payment links on invoices, payments, refunds, disputes, fees, payouts."),
            rx.divider(),
            _provider("docusign", "DocuSign", "Contracts and change orders signed through DocuSign."),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )
