"""The Clients list's pieces: the filter bar and one client's row."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientsListState
from l2c_app.clients.ui_kit import SELECT_STYLE
from l2c_app.ui.layout import field_label


def client_filters() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(
                field_label(
                    "Search clients",
                    rx.input(name="q", placeholder="Name, domain or contact", default_value=ClientsListState.q),
                ),
                min_width="14em",
                flex="2",
            ),
            rx.box(
                rx.el.label(
                    rx.text("Owner", size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option("Anyone", value=""),
                        rx.foreach(ClientsListState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                        name="owner",
                        style=SELECT_STYLE,
                    ),
                ),
                min_width="10em",
                flex="1",
            ),
            rx.box(
                rx.el.label(
                    rx.text("Sort by", size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option("Name", value="name"),
                        rx.el.option("Newest", value="newest"),
                        rx.el.option("Open balance", value="open_balance"),
                        name="sort",
                        style=SELECT_STYLE,
                    ),
                ),
                min_width="9em",
                flex="1",
            ),
            rx.vstack(
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(name="open_only", aria_label="Has an open balance"),
                        rx.text("Has an open balance", size="2"),
                        align="center",
                    )
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(name="active_only", aria_label="Has an active project"),
                        rx.text("Has an active project", size="2"),
                        align="center",
                    )
                ),
                spacing="1",
                min_width="13em",
            ),
            rx.button("Apply filters", type="submit"),
            gap="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        on_submit=ClientsListState.apply,
        reset_on_submit=False,
        width="100%",
    )


def client_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(r["name"], href="/clients/" + r["id"], weight="medium"),
                rx.text(r["domain"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(r["owner"], class_name="l2c-hide-sm"),
        rx.table.cell(r["open"], text_align="right", white_space="nowrap"),
        rx.table.cell(
            rx.cond(r["overdue"] != "", rx.text(r["overdue"], color_scheme="red"), ""),
            text_align="right",
            white_space="nowrap",
        ),
        rx.table.cell(rx.cond(r["active"] != "", rx.badge("active"), ""), class_name="l2c-hide-sm"),
    )
