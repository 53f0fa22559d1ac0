"""Page pieces an invoice shows on the in-app page and the client's page /i/<token>: the
tax-by-rate table, the seller block and "Pay by bank transfer". Their figures come from
`billing.printed.page_extras` (the same function the PDF's figures come from)."""

from __future__ import annotations

import reflex as rx


def tax_table(rows) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.vstack(
            rx.text("Tax by rate", weight="bold", size="2"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Rate"),
                        rx.table.column_header_cell("Base", text_align="right"),
                        rx.table.column_header_cell("Tax", text_align="right"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["rate"]),
                            rx.table.cell(r["base"], text_align="right"),
                            rx.table.cell(r["tax"], text_align="right"),
                        ),
                    )
                ),
                size="1",
                width="100%",
                max_width="24em",
            ),
            align="end",
            width="100%",
            spacing="1",
        ),
    )


def seller_block(seller) -> rx.Component:
    """From (the seller profile) and the client's VAT id."""
    return rx.flex(
        rx.cond(
            seller["lines"] != "",
            rx.box(
                rx.text("From", size="1", weight="bold", color_scheme="gray"),
                rx.text(seller["lines"], size="2", white_space="pre-line"),
                min_width="12em",
            ),
        ),
        rx.cond(
            seller["client"] != "",
            rx.box(
                rx.text("Bill to", size="1", weight="bold", color_scheme="gray"),
                rx.text(seller["client"], size="2", white_space="pre-line"),
                rx.cond(seller["client_tax_id"] != "", rx.text("Client VAT id: ", seller["client_tax_id"], size="2")),
            ),
        ),
        direction={"initial": "column", "sm": "row"},
        spacing="5",
        width="100%",
    )


def bank_transfer_box(bank) -> rx.Component:
    """Bank details, the invoice number as the reference, and the SEPA QR code for EUR."""
    return rx.cond(
        bank["lines"] != "",
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.heading("Pay by bank transfer", size="3"),
                    rx.text(bank["lines"], size="2", white_space="pre-line", aria_label="Bank details"),
                    rx.text("Amount: ", rx.text.strong(bank["amount"]), size="2"),
                    rx.text("Reference: ", rx.code(bank["reference"]), size="2"),
                    rx.text(
                        "Please quote the reference so your payment is matched to this invoice.",
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="1",
                ),
                rx.cond(
                    bank["qr"] != "",
                    rx.vstack(
                        rx.image(
                            src=bank["qr"],
                            alt="SEPA payment QR code: scan it with your banking app",
                            width="9em",
                            height="9em",
                        ),
                        rx.text("Scan with your banking app", size="1", color_scheme="gray"),
                        align="center",
                        spacing="1",
                    ),
                ),
                direction={"initial": "column", "sm": "row"},
                justify="between",
                spacing="4",
                width="100%",
            ),
            width="100%",
        ),
    )
