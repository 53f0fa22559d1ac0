"""What the delivery pages share: a table header, a card with a heading (selects: ui.kit)."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.state import TimeState


def table_header(*names: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(n) for n in names]))


def section(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"),
        width="100%",
        role="region",
        aria_label=title,
        **props,
    )


def AuthState_allowed(section_name: str) -> rx.Var:  # noqa: N802 - reads like the condition it is
    return TimeState.allowed_sections.contains(section_name)
