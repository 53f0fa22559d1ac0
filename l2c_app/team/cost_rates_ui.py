"""The Cost rates card of /team (owners and admins): each person's cost per hour now and its
history by date, and the form that sets a rate from a day on (team.cost_rates_view holds the text)."""

from __future__ import annotations

import reflex as rx

from l2c_app.team import cost_rates_view
from l2c_app.team.cost_rates_state import CostRatesState
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import error_callout, field_label

S = CostRatesState


def _history_item(h) -> rx.Component:
    return rx.hstack(
        rx.text("From ", h["from"], size="2", color_scheme="gray"),
        rx.text(h["amount"], size="2"),
        rx.badge(h["status"], color_scheme=rx.cond(h["status"] == "Upcoming", "blue", "gray"), size="1"),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _person(r) -> rx.Component:
    history = r["history"].to(list[dict[str, str]])
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(r["name"].to(str), weight="bold", size="2"),
                rx.spacer(),
                rx.text(r["current"], size="2", weight="medium", data_testid="current-rate"),
                rx.text(r["current_from"], size="1", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                history.length() > 0,
                rx.vstack(
                    rx.text("History", size="1", color_scheme="gray"),
                    rx.foreach(history, _history_item),
                    spacing="1",
                    padding_left="0.5em",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        role="listitem",
        aria_label="Cost rates of " + r["name"].to(str),
        padding="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.grid(
            field_label(
                "Person",
                native_select(
                    [("", "Choose…")],
                    name="user_id",
                    label="Person",
                    dynamic=S.people,
                    option_label="label",
                    required=True,
                ),
            ),
            field_label(
                "Effective from",
                rx.input(type="date", name="effective_from", default_value=S.today, key=S.today, required=True),
            ),
            field_label(
                "Amount per hour (" + S.currency + ")",
                rx.input(name="amount", placeholder="0.00", input_mode="decimal", required=True),
            ),
            rx.flex(
                rx.button(rx.icon("save", size=14), "Save cost rate", type="submit", loading=S.saving), align="end"
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="4"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
    )


def cost_rates_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Cost rates", size="3"),
            rx.text(cost_rates_view.HELP_TEXT, size="2", color_scheme="gray"),
            rx.cond(
                ~S.loaded,
                rx.hstack(rx.spinner(size="2"), rx.text("Loading cost rates…", size="2"), align="center"),
                rx.cond(
                    S.rates.length() > 0,  # type: ignore[attr-defined]
                    rx.box(rx.foreach(S.rates, _person), role="list", aria_label="Cost rates", width="100%"),
                    rx.callout(cost_rates_view.EMPTY_TEXT, icon="info", color_scheme="gray", width="100%"),
                ),
            ),
            rx.separator(),
            rx.heading("Set a cost rate", size="2"),
            error_callout(S.error),
            _form(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_label="Cost rates",
        on_mount=S.load,
    )
