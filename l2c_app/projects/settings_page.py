"""Settings > Delivery: time approval, projects on signature, the time rules."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.state import DeliverySettingsState

# --- /settings/delivery -------------------------------------------------------------------------------


def _setting_switch(checked: rx.Var, on_change, title: str, hint: str) -> rx.Component:
    """One on/off setting: the switch, its name and what it means (the label names the switch)."""
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change),
            rx.vstack(rx.text(title, weight="medium"), rx.text(hint, size="1", color_scheme="gray"), spacing="0"),
            align="center",
        )
    )


def delivery_settings_page() -> rx.Component:
    s = DeliverySettingsState
    return rx.card(
        rx.vstack(
            _setting_switch(
                s.approval_required,
                s.set_approval_required,
                "Time approval required",
                "Only time approved by the project lead (or billing) is invoiced.",
            ),
            _setting_switch(
                s.auto_project,
                s.set_auto_project,
                "Create the project automatically when a contract is signed",
                "Otherwise someone clicks “Create project” on the signed contract.",
            ),
            rx.heading("Time rules", size="3"),
            _setting_switch(
                s.allow_future,
                s.set_allow_future,
                "Allow logging future days",
                "Off: days after today are locked in the time grid (and the API refuses them).",
            ),
            _setting_switch(
                s.sole_self_approval,
                s.set_sole_self_approval,
                "The only approver may approve their own week",
                "Nobody else approves your own time; this lets a project's only approver do it.",
            ),
            rx.button("Save delivery settings", on_click=DeliverySettingsState.save),
            spacing="4",
        ),
        max_width="40em",
    )
