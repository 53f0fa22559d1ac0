"""Lead capture settings' assignment rule row: a source and the user its leads go to."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.state import LeadSettingsState
from l2c_app.ui.layout import field_label


def rule_row(rule: rx.Var, index: rx.Var) -> rx.Component:
    return rx.hstack(
        field_label(
            "Source",
            rx.input(
                value=rule["source"],
                on_change=lambda v: LeadSettingsState.set_rule(index, "source", v),
                placeholder="web, ads, partner…",
            ),
        ),
        field_label(
            "Goes to",
            rx.select.root(
                rx.select.trigger(aria_label="Goes to"),
                rx.select.content(
                    rx.foreach(LeadSettingsState.team, lambda u: rx.select.item(u["name"], value=u["id"]))
                ),
                value=rule["user"],
                on_change=lambda v: LeadSettingsState.set_rule(index, "user", v),
            ),
        ),
        rx.button(
            "Remove rule",
            size="1",
            variant="soft",
            color_scheme="red",
            type="button",
            on_click=LeadSettingsState.remove_rule(index),
        ),
        align="end",
        width="100%",
    )
