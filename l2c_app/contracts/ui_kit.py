"""What the contract pages share: the status badge, a block field label, the unknown merge fields flag."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui import kit

STATUS_COLORS = {
    "draft": "gray",
    "sent": "blue",
    "delivered": "cyan",
    "completed": "green",
    "declined": "red",
    "voided": "orange",
    "signed": "green",
    "viewed": "cyan",
    "created": "gray",
}


def field_label(text: str, control: rx.Component, hint: str | None = None) -> rx.Component:
    """The kit's field with the label a block, so wide controls (the template text) fill the card."""
    return kit.field(text, control, hint, block=True)


def status_badge(status) -> rx.Component:
    return kit.status_badge(status, STATUS_COLORS)


def unknown_flag(unknown: rx.Var) -> rx.Component:
    return rx.cond(
        unknown.length() > 0,
        rx.callout(
            rx.hstack(
                rx.text("Unknown merge fields (they would print as typed):"),
                rx.foreach(unknown, lambda n: rx.code(n, color_scheme="red")),
                wrap="wrap",
            ),
            icon="triangle-alert",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.text("All merge fields are known.", size="1", color_scheme="green", role="status"),
    )
