"""Settings > Contracts' Signing card: DocuSign configured or the built-in signer, and its settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.state import TemplateSettingsState
from l2c_app.contracts.ui_kit import field_label


def signing_card() -> rx.Component:
    s = TemplateSettingsState
    return rx.card(
        rx.vstack(
            rx.heading("Signing", size="3"),
            rx.cond(
                s.signing["docusign"] == "True",
                rx.vstack(
                    rx.badge("DocuSign configured", color_scheme="green"),
                    rx.text(
                        "Account ",
                        s.signing["docusign_account"],
                        ", ",
                        s.signing["hmac_keys"],
                        " Connect HMAC key(s). Connect URL:",
                        size="1",
                    ),
                    rx.code(s.signing["webhook_url"], size="1"),
                    spacing="1",
                ),
                rx.text(
                    "Built-in signer (DocuSign not configured: set the DOCUSIGN_* variables).",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.form(
                rx.hstack(
                    field_label(
                        "Signing links work for (days)",
                        rx.input(
                            name="link_days",
                            type="number",
                            min="1",
                            max="90",
                            default_value=s.signing["link_days"],
                            key=s.signing["link_days"],
                            width="100%",
                        ),
                    ),
                    rx.button("Save", type="submit", variant="soft"),
                    align="end",
                    width="100%",
                ),
                on_submit=s.save_link_days,
                reset_on_submit=False,
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
