"""The Leads list's pieces: a filter, a sortable header, one lead's row and its actions."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.state import ALL, LeadsState
from l2c_app.ui import kit
from l2c_app.ui.layout import field_label

STATUS_COLORS = {"new": "blue", "qualified": "green", "disqualified": "gray", "converted": "violet", "merged": "gray"}


def filter_select(
    label: str, name: str, value, options: list[tuple[str, str]] | None = None, dynamic=None
) -> rx.Component:
    if dynamic is not None:
        items = rx.select.content(rx.select.item(f"All {label.lower()}s", value=ALL), dynamic)
    else:
        items = rx.select.content(*[rx.select.item(text, value=v) for v, text in options])
    return rx.box(
        field_label(
            label,
            rx.select.root(
                rx.select.trigger(aria_label=label),
                items,
                value=value,
                on_change=lambda v: LeadsState.set_filter(name, v),
            ),
        ),
        width="11em",
    )


def sort_header(text: str, column: str) -> rx.Component:
    arrow = rx.cond(LeadsState.sort == column, rx.cond(LeadsState.desc, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.button(
            text,
            arrow,
            variant="ghost",
            size="1",
            on_click=LeadsState.sort_by(column),
            aria_label=f"Sort by {text.lower()}",
        )
    )


def lead_actions(row: rx.Var) -> rx.Component:
    is_open = (row["status"] == "new") | (row["status"] == "qualified")
    return rx.hstack(
        rx.cond(
            row["status"] == "new",
            rx.button(
                "Qualify",
                size="1",
                variant="soft",
                on_click=LeadsState.qualify(row["id"]),
                aria_label=f"Qualify {row['name']}",
            ),
        ),
        rx.cond(
            is_open,
            rx.button(
                "Convert",
                size="1",
                on_click=LeadsState.ask_convert(row["id"], row["name"]),
                aria_label=f"Convert {row['name']}",
            ),
        ),
        rx.cond(
            is_open,
            rx.button(
                "Disqualify",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=LeadsState.ask_disqualify(row["id"]),
                aria_label=f"Disqualify {row['name']}",
            ),
        ),
        rx.cond(
            (row["duplicate_of_lead_id"].to(int) > 0) & is_open,
            rx.button(
                "Merge",
                size="1",
                variant="soft",
                color_scheme="orange",
                on_click=LeadsState.merge(row["duplicate_of_lead_id"], row["id"]),
                aria_label=f"Merge {row['name']} into lead #{row['duplicate_of_lead_id']}",
            ),
        ),
        rx.cond(row["deal_id"].to(int) > 0, rx.link("Open deal", href=f"/deals/{row['deal_id']}", size="2")),
        spacing="2",
    )


def lead_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(
                row["name"],
                variant="ghost",
                size="1",
                on_click=LeadsState.show(row["id"]),
                aria_label=f"Details of {row['name']}",
            )
        ),
        rx.table.cell(row["company"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["source"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(
            rx.hstack(
                kit.status_badge(row["status"], STATUS_COLORS),
                rx.cond(row["duplicate"] != "", rx.badge("duplicate", color_scheme="orange")),
                spacing="1",
            )
        ),
        rx.table.cell(row["created"], white_space="nowrap"),
        rx.table.cell(lead_actions(row)),
    )
