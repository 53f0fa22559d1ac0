"""An invoice's lines (grouped in sections) and its totals; shared by the invoice page and the public link."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.state import InvoiceState
from l2c_app.ui.kit import money_cell


def line_table(lines, editable) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in ("Description", "Qty", "Unit", "Unit price", "Tax", "Amount", "")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                lines,
                lambda ln: rx.fragment(
                    section_row(ln, 7),
                    rx.table.row(
                        rx.table.cell(ln["description"]),
                        rx.table.cell(ln["quantity"], text_align="right"),
                        rx.table.cell(ln["unit"]),
                        money_cell(ln["unit_price"]),
                        money_cell(ln["tax"]),
                        money_cell(ln["amount"]),
                        rx.table.cell(
                            rx.cond(
                                editable,
                                rx.button(
                                    rx.icon("x", size=12),
                                    "Remove",
                                    size="1",
                                    variant="soft",
                                    color_scheme="gray",
                                    aria_label="Remove line " + ln["description"],
                                    on_click=InvoiceState.remove_line(ln["id"]),
                                ),
                            )
                        ),
                    ),
                ),
            )
        ),
        width="100%",
    )


def section_row(ln, columns: int) -> rx.Component:
    """An invoice spanning several projects: the project's name heads its lines."""
    return rx.cond(
        ln["section"] != "",
        rx.table.row(
            rx.table.row_header_cell(
                rx.text(ln["section"], weight="bold", size="2"), col_span=columns, background=rx.color("gray", 2)
            ),
        ),
    )


def totals(inv) -> rx.Component:
    def row(label: str, value, bold: bool = False) -> rx.Component:
        return rx.hstack(
            rx.text(label, weight="bold" if bold else "regular"),
            rx.spacer(),
            rx.text(value, weight="bold" if bold else "regular"),
            width="16em",
        )

    return rx.vstack(
        row("Subtotal", inv["subtotal"]),
        row("Tax", inv["tax"]),
        row("Total", inv["total"], True),
        rx.cond(inv["tax_included"] != "", row("Tax incl. in total", inv["tax_included"])),
        rx.cond(inv["credited"] != "", row("Credited (credit notes)", inv["credited"])),
        rx.cond(
            inv["status"] != "draft", rx.vstack(row("Paid", inv["paid"]), row("Open", inv["open"], True), align="end")
        ),
        rx.cond(
            inv["written_off"] != "",
            rx.text(
                "Written off: " + inv["written_off"] + " (" + inv["write_off_reason"] + ")",
                size="2",
                color_scheme="violet",
            ),
        ),
        rx.cond(
            inv["in_accounting"] != "",
            rx.badge(rx.icon("book-check", size=12), inv["in_accounting"], color_scheme="green", variant="soft"),
        ),
        rx.cond(
            inv["credit"] != "",
            rx.callout(
                "Overpaid: " + inv["credit"] + " kept as the client's credit (refund it or use it later).",
                icon="piggy-bank",
                color_scheme="amber",
            ),
        ),
        align="end",
        width="100%",
    )
