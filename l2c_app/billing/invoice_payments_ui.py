"""The invoice page's payments: record a payment, the payments table, reverse a payment."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.state import InvoiceState
from l2c_app.ui.kit import money_cell, native_select
from l2c_app.ui.layout import error_callout, field_label


def payment_form() -> rx.Component:
    """Record a manual payment: the amount starts at what is open and the date at the
    organisation's today; an amount above the open amount asks to confirm the credit it creates."""
    inv = InvoiceState.invoice
    return rx.card(
        rx.vstack(
            rx.heading("Record a payment", size="3"),
            error_callout(InvoiceState.pay_error),
            rx.form(
                rx.flex(
                    field_label(
                        "Amount",
                        rx.input(
                            name="amount",
                            required=True,
                            value=InvoiceState.pay_amount,
                            on_change=lambda v: InvoiceState.set_pay_field("amount", v),
                            input_mode="decimal",
                        ),
                        hint="Open: " + inv["open"],
                    ),
                    field_label(
                        "Method",
                        native_select(
                            [
                                ("bank_transfer", "Bank transfer"),
                                ("check", "Check"),
                                ("cash", "Cash"),
                                ("other", "Other"),
                            ],
                            name="method",
                            value=InvoiceState.pay_method,
                            on_change=lambda v: InvoiceState.set_pay_field("method", v),
                        ),
                    ),
                    field_label(
                        "Received on",
                        rx.input(
                            name="received_on",
                            type="date",
                            value=InvoiceState.pay_date,
                            on_change=lambda v: InvoiceState.set_pay_field("date", v),
                        ),
                    ),
                    field_label(
                        "Reference",
                        rx.input(
                            name="reference",
                            placeholder="Bank reference, check no.",
                            value=InvoiceState.pay_reference,
                            on_change=lambda v: InvoiceState.set_pay_field("reference", v),
                        ),
                    ),
                    rx.button("Record payment", type="submit", disabled=InvoiceState.overpay_warning != ""),
                    align=rx.breakpoints(initial="stretch", md="end"),
                    width="100%",
                    spacing="3",
                    direction=rx.breakpoints(initial="column", md="row"),
                ),
                on_submit=InvoiceState.record_payment,
                reset_on_submit=False,
            ),
            rx.cond(
                InvoiceState.overpay_warning != "",
                rx.callout(
                    rx.vstack(
                        rx.text(InvoiceState.overpay_warning),
                        rx.hstack(
                            rx.button(
                                "Record overpayment as client credit",
                                color_scheme="amber",
                                on_click=InvoiceState.confirm_overpayment,
                            ),
                            rx.button(
                                "Change the amount",
                                variant="soft",
                                color_scheme="gray",
                                on_click=InvoiceState.cancel_overpayment,
                            ),
                            spacing="2",
                            wrap="wrap",
                        ),
                        spacing="2",
                    ),
                    icon="triangle-alert",
                    color_scheme="amber",
                    role="alert",
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def payments_table() -> rx.Component:
    """The invoice's payments; one that stands can be reversed with a reason (never deleted)."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in ("Date", "Method", "Status", "Reference", "Amount", "Stripe fee", "Net", "")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                InvoiceState.payments,
                lambda p: rx.table.row(
                    rx.table.cell(p["date"]),
                    rx.table.cell(p["method"]),
                    rx.table.cell(
                        rx.vstack(
                            rx.badge(p["status"], color_scheme=rx.cond(p["status"] == "succeeded", "green", "gray")),
                            rx.cond(
                                p["reversal_reason"] != "", rx.text(p["reversal_reason"], size="1", color_scheme="gray")
                            ),
                            rx.cond(
                                p["in_accounting"] != "", rx.text(p["in_accounting"], size="1", color_scheme="green")
                            ),
                            spacing="1",
                        )
                    ),
                    rx.table.cell(p["reference"]),
                    money_cell(p["amount"]),
                    money_cell(p["fee"]),
                    money_cell(p["net"]),
                    rx.table.cell(
                        rx.cond(
                            p["can_reverse"] != "",
                            rx.button(
                                "Reverse",
                                size="1",
                                variant="soft",
                                color_scheme="red",
                                aria_label="Reverse payment of " + p["amount"],
                                on_click=InvoiceState.start_reverse(p["id"]),
                            ),
                        )
                    ),
                ),
            )
        ),
        width="100%",
    )


def reverse_form() -> rx.Component:
    return rx.cond(
        InvoiceState.reversing_id != "",
        rx.card(
            rx.vstack(
                rx.heading("Reverse a payment", size="3"),
                rx.text(
                    "The payment stays on the ledger marked reversed; the invoice and any client credit it created are "
                    "recomputed.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.flex(
                    field_label(
                        "Reason for the reversal",
                        rx.input(
                            value=InvoiceState.reverse_reason,
                            placeholder="Typed twice, check bounced ...",
                            on_change=lambda v: InvoiceState.set_ledger_field("reverse_reason", v),
                        ),
                    ),
                    rx.button(
                        "Reverse payment",
                        color_scheme="red",
                        on_click=InvoiceState.reverse,
                        loading=InvoiceState.busy,
                        disabled=InvoiceState.reverse_reason.strip() == "",
                    ),
                    rx.button("Cancel", variant="soft", color_scheme="gray", on_click=InvoiceState.start_reverse("")),
                    align=rx.breakpoints(initial="stretch", md="end"),
                    spacing="2",
                    width="100%",
                    direction=rx.breakpoints(initial="column", md="row"),
                ),
                width="100%",
            ),
            width="100%",
        ),
    )
