"""The invoice page's credit actions: apply the client's credit, write off a small balance, a partial credit note."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.state import InvoiceState
from l2c_app.ui.layout import field_label


def ledger_actions() -> rx.Component:
    """Apply the client's credit, write off a small balance: each with what it does in words."""
    inv = InvoiceState.invoice
    return rx.vstack(
        rx.cond(
            inv["can_apply_credit"] != "",
            rx.callout(
                rx.flex(
                    rx.text("The client has " + inv["client_credit"] + " of credit.", size="2"),
                    rx.button(
                        rx.icon("piggy-bank", size=14),
                        "Apply client credit to this invoice",
                        size="1",
                        on_click=InvoiceState.apply_credit,
                        loading=InvoiceState.busy,
                    ),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                icon="wallet",
                color_scheme="green",
                width="100%",
            ),
        ),
        rx.cond(
            inv["can_write_off"] != "",
            rx.card(
                rx.vstack(
                    rx.heading("Write off the open balance", size="3"),
                    rx.text(
                        "For a small remainder that will not be paid (bank fees, rounding): the invoice then shows "
                        "Written off, not Paid.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.flex(
                        field_label(
                            "Reason for the write-off",
                            rx.input(
                                value=InvoiceState.write_off_reason,
                                placeholder="Bank fees",
                                on_change=lambda v: InvoiceState.set_ledger_field("write_off_reason", v),
                            ),
                        ),
                        rx.button(
                            "Write off " + inv["open"],
                            variant="soft",
                            color_scheme="violet",
                            on_click=InvoiceState.write_off,
                            loading=InvoiceState.busy,
                            disabled=InvoiceState.write_off_reason.strip() == "",
                        ),
                        align=rx.breakpoints(initial="stretch", md="end"),
                        spacing="2",
                        width="100%",
                        direction=rx.breakpoints(initial="column", md="row"),
                    ),
                    width="100%",
                ),
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
    )


def partial_credit_form() -> rx.Component:
    """Credit chosen lines (their work becomes unbilled again) or an amount off the invoice."""
    return rx.card(
        rx.vstack(
            rx.heading("Partial credit note", size="3"),
            rx.text(
                "Tick the lines to credit (only their work is released to bill again), or give an amount before "
                "tax for a price reduction.",
                size="2",
                color_scheme="gray",
            ),
            rx.foreach(
                InvoiceState.lines,
                lambda ln: rx.cond(
                    ln["can_credit"] != "",
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                checked=InvoiceState.credit_lines.contains(ln["id"]),
                                aria_label="Credit " + ln["description"],
                                on_change=lambda v: InvoiceState.toggle_credit_line(ln["id"], v),
                            ),
                            rx.text(ln["description"], " · ", ln["amount"], size="2"),
                            align="center",
                            spacing="2",
                        )
                    ),
                ),
            ),
            rx.flex(
                field_label(
                    "Or an amount (before tax)",
                    rx.input(
                        value=InvoiceState.credit_amount,
                        placeholder="50.00",
                        input_mode="decimal",
                        on_change=lambda v: InvoiceState.set_ledger_field("credit_amount", v),
                    ),
                ),
                field_label(
                    "Reason",
                    rx.input(
                        value=InvoiceState.credit_reason,
                        placeholder="Phase dropped",
                        on_change=lambda v: InvoiceState.set_ledger_field("credit_reason", v),
                    ),
                ),
                rx.button(
                    "Issue partial credit note",
                    variant="outline",
                    color_scheme="red",
                    on_click=InvoiceState.partial_credit,
                    loading=InvoiceState.busy,
                ),
                align=rx.breakpoints(initial="stretch", md="end"),
                spacing="2",
                width="100%",
                direction=rx.breakpoints(initial="column", md="row"),
            ),
            width="100%",
        ),
        width="100%",
    )
