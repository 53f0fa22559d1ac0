"""Settings' Organisation card: name, currency, time zone."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui.admin_state import SettingsState
from l2c_app.ui.layout import error_callout, field_label


def organisation_card() -> rx.Component:
    """Name, currency and time zone of the organisation."""
    return rx.card(
        rx.vstack(
            rx.heading("Organisation", size="3"),
            error_callout(SettingsState.error),
            rx.form(
                rx.hstack(
                    field_label(
                        "Name",
                        rx.input(name="name", default_value=SettingsState.org["name"], key=SettingsState.org["name"]),
                    ),
                    field_label(
                        "Currency",
                        rx.input(
                            name="currency",
                            default_value=SettingsState.org["currency"],
                            key=SettingsState.org["currency"],
                            max_length=3,
                        ),
                    ),
                    field_label(
                        "Time zone",
                        rx.input(
                            name="timezone",
                            default_value=SettingsState.org["timezone"],
                            key=SettingsState.org["timezone"],
                        ),
                    ),
                    rx.button("Save organisation", type="submit"),
                    align="end",
                    width="100%",
                    wrap="wrap",
                ),
                on_submit=SettingsState.save_org,
                reset_on_submit=False,
            ),
            width="100%",
        ),
        width="100%",
    )
