"""Components of the quotes stage shown on other stages' pages (the deal page's panel)."""

import reflex as rx

from l2c_app.quotes.page_kit import status_badge as _status_badge
from l2c_app.quotes.state import DealQuotesState
from l2c_app.ui.kit import native_select


def deal_panel() -> rx.Component:
    """The quotes section of the deal page (`/deals/[deal_id]`): every version with its
    status and total, and "New quote" (pre-filled from the deal, opens the builder).
    Loads itself on mount: the deal page's own state knows nothing about quotes."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Quotes", size="3"),
                rx.spacer(),
                rx.cond(
                    DealQuotesState.templates.length() > 0,
                    rx.el.label(
                        rx.text("Start from", size="1", color_scheme="gray"),
                        native_select(
                            [("", "A blank quote")],
                            dynamic=DealQuotesState.templates,
                            value=DealQuotesState.template_pick,
                            on_change=DealQuotesState.set_template_pick,
                            aria_label="Start the new quote from",
                        ),
                        style={"display": "flex", "flex_direction": "column", "gap": "0.15em"},
                    ),
                ),
                rx.button(
                    rx.icon("file-plus", size=14),
                    "New quote",
                    size="2",
                    on_click=DealQuotesState.new_quote,
                    loading=DealQuotesState.creating,
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                DealQuotesState.deal_quotes.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(h) for h in ("Quote", "Title", "Version", "Status", "Total")]
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            DealQuotesState.deal_quotes,
                            lambda q: rx.table.row(
                                rx.table.cell(rx.link(q["label"], href="/quotes/" + q["id"].to(str))),
                                rx.table.cell(q["title"]),
                                rx.table.cell("v", q["version"].to(str)),
                                rx.table.cell(_status_badge(q["status"])),
                                rx.table.cell(q["total"], text_align="right"),
                            ),
                        )
                    ),
                    width="100%",
                    size="1",
                ),
                rx.text(
                    "No quote yet. New quote starts one from this deal's client, contact and currency.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
        on_mount=DealQuotesState.load_panel,
        width="100%",
        aria_label="Quotes of this deal",
    )
