"""The client page's Details card: name, domain, billing defaults, edited in place."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.service import TERMS
from l2c_app.clients.state import ClientState
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import error_callout, field_label


def details_card() -> rx.Component:
    d = ClientState.details
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Details", size="3"),
                rx.spacer(),
                rx.cond(
                    ~ClientState.editing,
                    rx.button("Edit client details", size="1", variant="soft", on_click=ClientState.edit),
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                ClientState.editing,
                rx.form(
                    rx.vstack(
                        error_callout(ClientState.error),
                        field_label("Client name", rx.input(name="name", default_value=d["name"], required=True)),
                        rx.flex(
                            field_label("Domain", rx.input(name="domain", default_value=d["domain"])),
                            field_label("Phone", rx.input(name="phone", default_value=d["phone"])),
                            spacing="2",
                            direction=rx.breakpoints(initial="column", sm="row"),
                            width="100%",
                        ),
                        field_label(
                            "Billing address", rx.text_area(name="address", default_value=d["address"], rows="3")
                        ),
                        rx.flex(
                            field_label("Client VAT id", rx.input(name="tax_id", default_value=d["tax_id"])),
                            field_label(
                                "Billing e-mail",
                                rx.input(name="billing_email", type="email", default_value=d["billing_email"]),
                            ),
                            spacing="2",
                            direction=rx.breakpoints(initial="column", sm="row"),
                            width="100%",
                        ),
                        rx.flex(
                            rx.el.label(
                                rx.text("Payment terms", size="2", weight="medium"),
                                native_select(
                                    [("", "Organisation default"), *[(k, k.replace("_", " ")) for k in TERMS]],
                                    name="payment_terms",
                                    default_value=d["payment_terms"],
                                    width="100%",
                                ),
                                width="100%",
                            ),
                            field_label(
                                "Default currency",
                                rx.input(
                                    name="currency", default_value=d["currency"], placeholder="e.g. EUR", max_length=3
                                ),
                            ),
                            rx.el.label(
                                rx.text("Owner", size="2", weight="medium"),
                                native_select(
                                    [("", "Nobody")],
                                    name="owner_id",
                                    dynamic=ClientState.owners,
                                    default_value=d["owner_id"],
                                    width="100%",
                                ),
                                width="100%",
                            ),
                            spacing="2",
                            direction=rx.breakpoints(initial="column", sm="row"),
                            width="100%",
                        ),
                        rx.hstack(
                            rx.button(
                                "Cancel",
                                type="button",
                                variant="soft",
                                color_scheme="gray",
                                on_click=ClientState.cancel,
                            ),
                            rx.button("Save client details", type="submit"),
                            justify="end",
                            width="100%",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=ClientState.save,
                    reset_on_submit=False,
                    width="100%",
                ),
                rx.grid(
                    *[
                        rx.vstack(
                            rx.text(label, size="1", color_scheme="gray"),
                            rx.text(
                                rx.cond(d[key] != "", d[key], "-"),
                                size="2",
                                white_space="pre-line",
                                word_break="break-word",
                            ),
                            spacing="0",
                        )
                        for label, key in (
                            ("Domain", "domain"),
                            ("Phone", "phone"),
                            ("Billing address", "address"),
                            ("VAT id", "tax_id"),
                            ("Billing e-mail", "billing_email"),
                            ("Payment terms", "payment_terms"),
                            ("Currency", "currency"),
                        )
                    ],
                    columns=rx.breakpoints(initial="1", sm="2", md="3"),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
