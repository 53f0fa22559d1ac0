"""Pieces every Insights page shows the same way: the intro line with its buttons, the loading
state and the empty note (one copy, so the pages cannot drift apart)."""

from __future__ import annotations

import reflex as rx


def intro(text: str, load, loading, *buttons: rx.Component) -> rx.Component:
    """What the page reads, then its own buttons, then "Refresh figures" (spinner while it reads)."""
    return rx.hstack(
        rx.text(text, color_scheme="gray"),
        rx.spacer(),
        *buttons,
        rx.button(rx.icon("refresh-cw", size=14), "Refresh figures", on_click=load, loading=loading, variant="soft"),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="2",
    )


def loading_state() -> rx.Component:
    return rx.center(
        rx.hstack(
            rx.spinner(size="3"), rx.text("Reading the records…", color_scheme="gray"), align="center", spacing="3"
        ),
        padding="4em",
        width="100%",
        role="status",
    )


def empty(text: str) -> rx.Component:
    return rx.callout(text, icon="info", color_scheme="gray", width="100%")
