"""Settings' API keys card: create (shown once) and revoke the REST API's keys."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui import admin_service as svc
from l2c_app.ui.admin_state import SettingsState
from l2c_app.ui.layout import field_label, native_select


def api_keys_card() -> rx.Component:
    """Create and revoke the REST API's keys; a new key is shown once."""
    return rx.card(
        rx.vstack(
            rx.heading("API keys", size="3"),
            rx.text(
                "Keys let other systems call the REST API (Authorization: Bearer …). A key is shown once.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                SettingsState.new_key != "",
                rx.callout(
                    rx.vstack(
                        rx.text("Copy this key now; it will not be shown again:"),
                        rx.code(SettingsState.new_key, aria_label="New API key"),
                    ),
                    icon="key",
                    color_scheme="amber",
                    width="100%",
                ),
            ),
            rx.form(
                rx.hstack(
                    field_label("Key name", rx.input(name="name", placeholder="e.g. website form", required=True)),
                    rx.vstack(
                        rx.text("Access", size="2", weight="medium"),
                        native_select(list(svc.ACCESS_CHOICES), "access", label="Access"),
                        spacing="1",
                    ),
                    rx.button("Create API key", type="submit"),
                    align="end",
                    wrap="wrap",
                ),
                on_submit=SettingsState.create_key,
                reset_on_submit=True,
            ),
            rx.cond(
                SettingsState.keys.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Name", "Key", "Access", "Created", "Last used", "Status", "")
                            ]
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            SettingsState.keys,
                            lambda k: rx.table.row(
                                rx.table.cell(k["name"]),
                                rx.table.cell(rx.code(k["prefix"])),
                                rx.table.cell(k["access"]),
                                rx.table.cell(k["created"]),
                                rx.table.cell(k["last_used"]),
                                rx.table.cell(rx.badge(k["status"])),
                                rx.table.cell(
                                    rx.cond(
                                        k["status"] == "active",
                                        rx.button(
                                            "Revoke",
                                            size="1",
                                            color_scheme="red",
                                            variant="soft",
                                            on_click=SettingsState.revoke_key(k["id"]),
                                        ),
                                    )
                                ),
                            ),
                        )
                    ),
                    width="100%",
                ),
                rx.text("No API keys yet.", size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        width="100%",
    )
