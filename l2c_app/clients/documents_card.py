"""The client page's Documents card: every deal, quote, contract, project, change order,
invoice, credit note, payment and credit of the client."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState
from l2c_app.ui import kit

_STATUS_COLORS = {
    "paid": "green",
    "accepted": "green",
    "completed": "green",
    "approved": "green",
    "won": "green",
    "succeeded": "green",
    "void": "gray",
    "lost": "red",
    "declined": "red",
    "reversed": "red",
}


def _status(value) -> rx.Component:
    return kit.status_badge(value, _STATUS_COLORS, default="blue")


DOC_SECTIONS = (
    ("Deals", "deals"),
    ("Quotes", "quotes"),
    ("Contracts", "contracts"),
    ("Projects", "projects"),
    ("Change orders", "change_orders"),
    ("Invoices", "invoices"),
    ("Credit notes", "credit_notes"),
    ("Payments", "payments"),
    ("Client credit", "credits"),
)


def _doc_table(title: str, key: str) -> rx.Component:
    rows = ClientState.docs[key]
    invoice = key == "invoices"
    return rx.vstack(
        rx.heading(title, size="2"),
        rx.cond(
            rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Document"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Amount", text_align="right"),
                            *(
                                [
                                    rx.table.column_header_cell("Open", text_align="right"),
                                    rx.table.column_header_cell("Due", class_name="l2c-hide-sm"),
                                ]
                                if invoice
                                else []
                            ),
                            rx.table.column_header_cell("Date", class_name="l2c-hide-sm"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            rows,
                            lambda r: rx.table.row(
                                rx.table.cell(rx.link(r["label"], href=r["href"])),
                                rx.table.cell(_status(r["status"])),
                                rx.table.cell(r["amount"], text_align="right", white_space="nowrap"),
                                *(
                                    [
                                        rx.table.cell(r["open"], text_align="right", white_space="nowrap"),
                                        rx.table.cell(r["due"], class_name="l2c-hide-sm"),
                                    ]
                                    if invoice
                                    else []
                                ),
                                rx.table.cell(r["date"], class_name="l2c-hide-sm"),
                            ),
                        )
                    ),
                    width="100%",
                    size="1",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.text("None.", size="2", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def documents_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Documents", size="3"), *[_doc_table(t, k) for t, k in DOC_SECTIONS], spacing="4", width="100%"
        ),
        width="100%",
    )
