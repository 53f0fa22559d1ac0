"""What a section shows when there is nothing yet: what goes here, and how to start."""

from __future__ import annotations

import reflex as rx


def empty_state(icon: str, title: str, text: str, *actions: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=36, color=rx.color("gray", 9)),
            rx.heading(title, size="4"),
            rx.text(text, color_scheme="gray", text_align="center", max_width="32em"),
            rx.hstack(*actions),
            align="center",
            spacing="3",
        ),
        padding=["1.5em", "2em", "4em"],
        width="100%",
        border="1px dashed var(--gray-a6)",
        border_radius="var(--radius-4)",
    )
