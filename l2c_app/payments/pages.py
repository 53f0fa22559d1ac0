"""The Payments page: the ledger, unmatched payments with a manual match, Stripe sync."""

from __future__ import annotations

import reflex as rx

from l2c_app.payments.state import PaymentsState
from l2c_app.ui.kit import money_cell, native_select
from l2c_app.ui.layout import app_page, empty_state


def unmatched_row(p) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p["date"]),
        rx.table.cell(p["reference"]),
        money_cell(p["amount"]),
        rx.table.cell(
            native_select(
                [("", "Choose an invoice")],
                dynamic=PaymentsState.open_invoices,
                option_label="label",
                on_change=lambda v: PaymentsState.choose(p["id"], v),
                aria_label="Invoice for payment " + p["reference"],
            )
        ),
        rx.table.cell(rx.button("Match payment", size="1", on_click=PaymentsState.match(p["id"]))),
    )


def payouts_card() -> rx.Component:
    """Stripe payouts: what left the Stripe balance for the bank, and any that failed."""
    return rx.card(
        rx.vstack(
            rx.heading("Stripe payouts", size="3"),
            rx.text(
                "Money Stripe sent from your Stripe balance to your bank. A failed payout returns to the balance; "
                "check the bank details in Stripe.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                PaymentsState.payouts.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in ("Arrival", "Amount", "Status")])
                    ),
                    rx.table.body(
                        rx.foreach(
                            PaymentsState.payouts,
                            lambda p: rx.table.row(
                                rx.table.cell(
                                    rx.vstack(
                                        rx.text(p["arrival"]),
                                        rx.text(p["id"], size="1", color_scheme="gray", word_break="break-all"),
                                        spacing="1",
                                    )
                                ),
                                money_cell(p["amount"]),
                                rx.table.cell(
                                    rx.vstack(
                                        rx.badge(
                                            p["status"],
                                            color_scheme=rx.cond(
                                                p["status"] == "paid",
                                                "green",
                                                rx.cond(p["status"] == "failed", "red", "gray"),
                                            ),
                                        ),
                                        rx.cond(
                                            p["failure"] != "", rx.text(p["failure"], size="1", color_scheme="red")
                                        ),
                                        spacing="1",
                                    )
                                ),
                            ),
                        )
                    ),
                    width="100%",
                ),
                rx.text(
                    "No payouts yet. They appear here when Stripe pays out your balance (payout.paid and "
                    "payout.failed events, or Sync with Stripe).",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


@app_page("/payments", "Payments", "payments", on_load=PaymentsState.load)
def payments_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Payments recorded by hand or reconciled from Stripe webhooks.", color_scheme="gray"),
            rx.spacer(),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Sync with Stripe",
                on_click=PaymentsState.sync,
                loading=PaymentsState.syncing,
                variant="soft",
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            PaymentsState.unmatched.length() > 0,
            rx.card(
                rx.vstack(
                    rx.heading("Unmatched payments", size="3"),
                    rx.text(
                        "Money that arrived without a known invoice. Match it to the right one.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.table.root(rx.table.body(rx.foreach(PaymentsState.unmatched, unmatched_row)), width="100%"),
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            PaymentsState.unmatched_other.length() > 0,
            rx.vstack(
                rx.el.label(
                    rx.hstack(
                        rx.switch(checked=PaymentsState.show_other, on_change=PaymentsState.toggle_other, size="1"),
                        rx.text(
                            "Show payments from other apps on this Stripe account (",
                            PaymentsState.unmatched_other.length(),
                            ")",
                            size="2",
                        ),
                        align="center",
                    )
                ),
                rx.cond(
                    PaymentsState.show_other,
                    rx.card(
                        rx.vstack(
                            rx.text(
                                "These payments carry none of l2c's invoice details: another app or a link made in the "
                                "Stripe dashboard took them. Match one only if it pays one of your invoices.",
                                size="2",
                                color_scheme="gray",
                            ),
                            rx.table.root(
                                rx.table.body(rx.foreach(PaymentsState.unmatched_other, unmatched_row)), width="100%"
                            ),
                            width="100%",
                        ),
                        width="100%",
                    ),
                ),
                width="100%",
            ),
        ),
        rx.cond(
            PaymentsState.credits.length() > 0,
            rx.card(
                rx.vstack(
                    rx.heading("Overpayments and client credit", size="3"),
                    rx.text(
                        "Money received above what an invoice asks is kept as the client's credit: apply it to a later "
                        "invoice of the same client (on that invoice), or refund it.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ("Client", "From invoices", "Overpaid", "Applied", "Credit left")
                                ]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                PaymentsState.credits,
                                lambda c: rx.table.row(
                                    rx.table.cell(c["client"]),
                                    rx.table.cell(c["from"]),
                                    money_cell(c["held"]),
                                    money_cell(c["applied"]),
                                    rx.table.cell(rx.text(c["balance"], weight="bold"), text_align="right"),
                                ),
                            )
                        ),
                        width="100%",
                    ),
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            PaymentsState.ledger.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Date", "Invoice", "Client", "Method", "Status", "Reference", "Amount")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        PaymentsState.ledger,
                        lambda p: rx.table.row(
                            rx.table.cell(p["date"]),
                            rx.table.cell(rx.link(p["invoice"], href=p["invoice_href"])),
                            rx.table.cell(p["client"]),
                            rx.table.cell(p["method"]),
                            rx.table.cell(
                                rx.vstack(
                                    rx.badge(
                                        p["status"], color_scheme=rx.cond(p["status"] == "succeeded", "green", "gray")
                                    ),
                                    rx.cond(
                                        p["reversal_reason"] != "",
                                        rx.text(p["reversal_reason"], size="1", color_scheme="gray"),
                                    ),
                                    rx.cond(
                                        p["in_accounting"] != "",
                                        rx.text(p["in_accounting"], size="1", color_scheme="green"),
                                    ),
                                    spacing="1",
                                )
                            ),
                            rx.table.cell(p["reference"]),
                            money_cell(p["amount"]),
                        ),
                    )
                ),
                width="100%",
            ),
            empty_state(
                "credit-card", "No payments yet", "Payments recorded by hand or reconciled from Stripe appear here."
            ),
        ),
        payouts_card(),
        width="100%",
        spacing="4",
    )
