"""/quotes: the list of quotes with its status filter."""

from __future__ import annotations

import reflex as rx

from l2c_app.quotes.page_kit import STATUS_COLORS, status_badge
from l2c_app.quotes.state import QuotesListState
from l2c_app.ui import kit
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import empty_state, field_label

# --- the list of quotes -----------------------------------------------------------------------


def quote_row(q: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(q["label"], href="/quotes/" + q["id"].to(str))),
        rx.table.cell(q["title"]),
        rx.table.cell(rx.link(q["deal_title"], href="/deals/" + q["deal_id"].to(str))),
        rx.table.cell(q["account"]),
        rx.table.cell(status_badge(q["status"])),
        rx.table.cell(q["total"], text_align="right"),
        rx.table.cell(q["expires_on"]),
    )


def quotes_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            field_label(
                "Status",
                native_select(
                    [("all", "All")] + [(s, s.capitalize()) for s in STATUS_COLORS],
                    value=QuotesListState.status_filter,
                    aria_label="Status",
                    on_change=QuotesListState.set_filter,
                ),
            ),
            width="14em",
        ),
        rx.cond(
            QuotesListState.quotes.length() > 0,
            kit.list_table(
                ("Quote", "Title", "Deal", "Client", "Status", "Total", "Expires"),
                rx.foreach(QuotesListState.quotes, quote_row),
            ),
            empty_state(
                "file-text", "No quotes yet", "Open a deal and choose New quote to build a proposal from the catalog."
            ),
        ),
        width="100%",
        spacing="4",
    )
