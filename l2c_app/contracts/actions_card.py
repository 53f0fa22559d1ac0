"""The contract page's Actions card: send for signature, void, and the counter-signature asked of the viewer."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.state import ContractState
from l2c_app.contracts.ui_kit import field_label
from l2c_app.projects.components import contract_panel
from l2c_app.ui.composer import composer_dialog


def actions_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Actions", size="3"),
            rx.cond(
                s.is_draft,
                rx.button(
                    rx.icon("send", size=14), "Send for signature", on_click=s.send, loading=s.busy, width="100%"
                ),
            ),
            rx.cond(
                s.is_draft | s.is_open,
                rx.vstack(
                    field_label(
                        "Reason for voiding",
                        rx.input(value=s.void_reason, on_change=s.set_void_reason, placeholder="e.g. scope changed"),
                    ),
                    rx.button("Void contract", color_scheme="red", variant="soft", on_click=s.void, width="100%"),
                    width="100%",
                ),
            ),
            rx.cond(
                s.my_signature,
                rx.card(
                    rx.vstack(
                        rx.text("Your signature is needed", weight="bold", size="2"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=s.sign_consent,
                                    on_change=s.set_sign_consent,
                                    aria_label="I agree to sign electronically",
                                ),
                                rx.text("I agree to sign electronically", size="2"),
                                align="center",
                            )
                        ),
                        field_label(
                            "Type your full name",
                            rx.input(value=s.sign_name, on_change=s.set_sign_name, auto_complete="name", width="100%"),
                        ),
                        rx.button(
                            rx.icon("signature", size=14), "Sign the contract", on_click=s.sign_here, width="100%"
                        ),
                        width="100%",
                        spacing="2",
                    ),
                    width="100%",
                    variant="surface",
                ),
            ),
            rx.cond(
                s.c["status"] == "completed",
                rx.vstack(
                    rx.text(
                        "Signed by everyone. The signed PDF is ready; it is on the deal and goes to the project.",
                        size="2",
                        color_scheme="green",
                        role="status",
                    ),
                    rx.link(
                        rx.button(rx.icon("download", size=14), "Download signed PDF", width="100%"),
                        href=s.pdf_url,
                        is_external=True,
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(s.c["void_reason"] != "", rx.callout("Voided: " + s.c["void_reason"], color_scheme="orange")),
            rx.cond(
                s.c["declined_reason"] != "", rx.callout("Declined: " + s.c["declined_reason"], color_scheme="red")
            ),
            contract_panel(),
            composer_dialog(),
            width="100%",
        ),
        width="100%",
    )
