"""The client page's Statement of account card: a period, its movements and balances, the PDF."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState
from l2c_app.ui.layout import error_callout, field_label


def statement_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Statement of account", size="3"),
            rx.form(
                rx.flex(
                    field_label(
                        "From",
                        rx.input(
                            name="start", type="date", default_value=ClientState.st_start, key=ClientState.st_start
                        ),
                    ),
                    field_label(
                        "To",
                        rx.input(name="end", type="date", default_value=ClientState.st_end, key=ClientState.st_end),
                    ),
                    rx.button("Show statement", type="submit"),
                    rx.link(
                        rx.button(
                            rx.icon("file-down", size=14), "Download statement PDF", variant="soft", type="button"
                        ),
                        href=ClientState.statement_pdf_href,
                        is_external=True,
                    ),
                    spacing="2",
                    align="end",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=ClientState.show_statement,
                reset_on_submit=False,
                width="100%",
            ),
            error_callout(ClientState.st_error),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Date"),
                            rx.table.column_header_cell("Document"),
                            rx.table.column_header_cell("Debit", text_align="right"),
                            rx.table.column_header_cell("Credit", text_align="right"),
                            rx.table.column_header_cell("Balance", text_align="right"),
                        )
                    ),
                    rx.table.body(
                        rx.table.row(
                            rx.table.cell(ClientState.st_start_text),
                            rx.table.cell("Opening balance"),
                            rx.table.cell(""),
                            rx.table.cell(""),
                            rx.table.cell(ClientState.st_opening, text_align="right", white_space="nowrap"),
                        ),
                        rx.foreach(
                            ClientState.st_rows,
                            lambda r: rx.table.row(
                                rx.table.cell(r["date"], white_space="nowrap"),
                                rx.table.cell(r["reference"]),
                                rx.table.cell(r["debit"], text_align="right", white_space="nowrap"),
                                rx.table.cell(r["credit"], text_align="right", white_space="nowrap"),
                                rx.table.cell(r["balance"], text_align="right", white_space="nowrap"),
                            ),
                        ),
                        rx.table.row(
                            rx.table.cell(ClientState.st_end_text),
                            rx.table.cell(rx.text("Closing balance", weight="bold")),
                            rx.table.cell(""),
                            rx.table.cell(""),
                            rx.table.cell(
                                rx.text(ClientState.st_closing, weight="bold"), text_align="right", white_space="nowrap"
                            ),
                        ),
                    ),
                    width="100%",
                    size="1",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.flex(
                rx.foreach(
                    ClientState.st_aged,
                    lambda a: rx.vstack(
                        rx.text(a["label"], size="1", color_scheme="gray"),
                        rx.text(a["amount"], size="2", weight="medium"),
                        spacing="0",
                        min_width="8em",
                    ),
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
