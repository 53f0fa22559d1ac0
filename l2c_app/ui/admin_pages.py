"""Shared pages: My day (home), Settings (organisation, API keys), Outbox, Search."""

from __future__ import annotations

import reflex as rx

from l2c_app.insights.settings_card import insights_settings_card
from l2c_app.pipeline.components import my_day_panel
from l2c_app.team.account_pages import two_factor_policy_card
from l2c_app.ui.accounting_sync_card import accounting_sync_card
from l2c_app.ui.admin_state import HomeState, OutboxState, SearchPageState, SettingsState
from l2c_app.ui.api_keys_card import api_keys_card
from l2c_app.ui.formats_card import formats_card
from l2c_app.ui.home_ui import getting_started, stat
from l2c_app.ui.integrations_card import integrations_card
from l2c_app.ui.layout import app_page, empty_state
from l2c_app.ui.organisation_card import organisation_card
from l2c_app.ui.outbox_message_card import message_card
from l2c_app.ui.seller_card import seller_card
from l2c_app.ui.session import AuthState
from l2c_app.ui.tax_rounding_card import tax_rounding_card


@app_page("/", "My day", "home", on_load=HomeState.load)
def home_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Hello, ", AuthState.user_name, size="6"),
        rx.text("What needs you today, across the whole cycle.", color_scheme="gray"),
        getting_started(),
        rx.hstack(
            stat("My open leads", HomeState.counts["open_leads"], "/leads"),
            stat("My open deals", HomeState.counts["open_deals"], "/pipeline"),
            stat("Unread notifications", HomeState.counts["unread"], "/"),
            spacing="4",
            wrap="wrap",
        ),
        my_day_panel(),
        spacing="4",
        width="100%",
    )


# Each stage registers its own settings page at these routes.
STAGE_SETTINGS = [
    ("Lead capture and assignment", "/settings/leads", "Contact form, consent text, assignment rules"),
    ("Pipeline stages", "/settings/pipeline", "Columns of the board, win probabilities, stale days"),
    ("Catalog and taxes", "/settings/catalog", "Services, hourly roles, recurring fees, tax rates"),
    ("Contract templates", "/settings/contracts", "Templates with merge fields"),
    ("Delivery", "/settings/delivery", "Time approval, automatic projects"),
    ("Invoicing", "/settings/billing", "Number pattern, terms, reminders"),
    ("Accounting", "/settings/accounting", "Accounts and tax codes the journal posts to; journal export batches"),
    ("Audit log", "/settings/audit", "Who changed what and when; filters and CSV export"),
    ("Outbox deliveries", "/settings/outbox", "E-mails, payment links, envelopes: queued, sent, failed; retry"),
    ("Webhooks", "/settings/webhooks", "Signed events to your URLs, delivery log, replay"),
]


@app_page("/settings", "Settings", "settings", on_load=SettingsState.load)
def settings_page() -> rx.Component:
    return rx.vstack(
        rx.grid(
            *[
                rx.link(
                    rx.card(
                        rx.vstack(
                            rx.text(title, weight="bold"), rx.text(hint, size="2", color_scheme="gray"), spacing="1"
                        )
                    ),
                    href=href,
                    underline="none",
                )
                for title, href, hint in STAGE_SETTINGS
            ],
            columns={"initial": "1", "sm": "2", "md": "3"},
            spacing="3",
            width="100%",
        ),
        organisation_card(),
        formats_card(),
        seller_card(),
        integrations_card(),
        accounting_sync_card(),
        two_factor_policy_card(),
        insights_settings_card(),
        tax_rounding_card(),
        api_keys_card(),
        width="100%",
        spacing="4",
    )


@app_page("/outbox", "Outbox", "outbox", on_load=OutboxState.load)
def outbox_page() -> rx.Component:
    return rx.cond(
        OutboxState.messages.length() > 0,
        rx.vstack(rx.foreach(OutboxState.messages, message_card), width="100%"),
        empty_state(
            "mail",
            "The outbox is empty",
            "Every e-mail l2c writes (quotes, signing links, invoices) "
            "is kept here; without SMTP settings it is not sent, so copy the link from here.",
        ),
    )


@app_page("/search", "Search", "home", on_load=SearchPageState.load)
def search_page() -> rx.Component:
    return rx.vstack(
        rx.text("Results for “", SearchPageState.q, "”", color_scheme="gray"),
        rx.cond(
            SearchPageState.results.length() > 0,
            rx.vstack(
                rx.foreach(
                    SearchPageState.results,
                    lambda r: rx.link(
                        rx.hstack(
                            rx.badge(r["kind"]),
                            rx.text(r["title"], weight="medium"),
                            rx.text(r["detail"], color_scheme="gray", size="2"),
                        ),
                        href=r["href"],
                    ),
                ),
                width="100%",
            ),
            empty_state("search", "Nothing found", "Try a name, an e-mail or a company."),
        ),
        width="100%",
    )
