"""The Clients list's pieces: the filter bar and one client's row."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientsListState
from l2c_app.ui.kit import filter_bar, filter_item, money_cell, native_select, search_input


def client_filters() -> rx.Component:
    return rx.form(
        filter_bar(
            search_input("Search clients", placeholder="Name, domain or contact", default_value=ClientsListState.q),
            filter_item(
                rx.el.label(
                    rx.text("Owner", size="2", weight="medium"),
                    native_select([("", "Anyone")], name="owner", dynamic=ClientsListState.owners, width="100%"),
                ),
            ),
            filter_item(
                rx.el.label(
                    rx.text("Sort by", size="2", weight="medium"),
                    native_select(
                        [("name", "Name"), ("newest", "Newest"), ("open_balance", "Open balance")],
                        name="sort",
                        width="100%",
                    ),
                ),
                min_width="9em",
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
        money_cell(r["open"]),
        money_cell(rx.cond(r["overdue"] != "", rx.text(r["overdue"], color_scheme="red"), "")),
        rx.table.cell(rx.cond(r["active"] != "", rx.badge("active"), ""), class_name="l2c-hide-sm"),
    )
