"""What the billing pages share: the select style and an invoice's status badge."""

from __future__ import annotations

import reflex as rx

SELECT_STYLE = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
}


def status_badge(row) -> rx.Component:
    return rx.hstack(
        rx.badge(row["status_label"], color_scheme=row["color"]),
        rx.cond(row["flags"] != "", rx.badge(row["flags"], color_scheme="orange", variant="outline")),
        spacing="1",
    )
