"""/co/[token]: the client's change-order page (approve with a typed name, or decline)."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.state import ChangeOrderPublicState
from l2c_app.ui.layout import error_callout, field_label

# --- /co/[token] (public) -----------------------------------------------------------------------------


def change_order_public_page() -> rx.Component:
    """Threat model: anyone with the link (a 256-bit random token) sees this one change order
    and may approve or decline it once; nothing else of the project is shown, and the
    service refuses a second decision."""
    c = ChangeOrderPublicState.co
    return rx.center(
        rx.card(
            rx.cond(
                ChangeOrderPublicState.missing,
                rx.vstack(
                    rx.heading("This link is not valid", size="5"),
                    rx.text("Ask your contact for a new link.", color_scheme="gray"),
                ),
                rx.vstack(
                    rx.text(c["org"], size="2", color_scheme="gray"),
                    rx.heading("Change order ", c["number"], " · ", c["project"], size="5"),
                    rx.text("For ", c["client"], size="2"),
                    rx.box(
                        rx.text(c["description"], white_space="pre-wrap"),
                        padding="0.75em",
                        background=rx.color("gray", 2),
                        border_radius="var(--radius-3)",
                        width="100%",
                    ),
                    rx.text(c["detail"], size="2"),
                    rx.data_list.root(
                        rx.data_list.item(rx.data_list.label(c["net_label"]), rx.data_list.value(c["price"])),
                        rx.data_list.item(rx.data_list.label(c["tax_label"]), rx.data_list.value(c["tax"])),
                        rx.data_list.item(
                            rx.data_list.label(rx.text("Total", weight="bold")),
                            rx.data_list.value(rx.heading(c["total"], size="5")),
                        ),
                        width="100%",
                    ),
                    rx.separator(),
                    rx.match(
                        c["status"],
                        (
                            "approved",
                            rx.callout(
                                rx.text("Approved by ", c["approved_name"], " on ", c["approved_at"], "."),
                                icon="check",
                                color_scheme="green",
                                role="status",
                            ),
                        ),
                        (
                            "declined",
                            rx.callout("You declined this change order.", icon="x", color_scheme="gray", role="status"),
                        ),
                        rx.cond(
                            c["via"] == "docusign",
                            rx.callout(
                                "This change order is out for signature in DocuSign: "
                                "please sign it from DocuSign's e-mail.",
                                icon="info",
                                color_scheme="blue",
                                role="status",
                            ),
                            rx.form(
                                rx.vstack(
                                    error_callout(ChangeOrderPublicState.error),
                                    field_label(
                                        "Your full name",
                                        rx.input(name="typed_name", required=True, auto_complete="name"),
                                        "Typing your name approves the change and its total.",
                                    ),
                                    rx.hstack(
                                        rx.button(
                                            "Approve change order", type="submit", loading=ChangeOrderPublicState.busy
                                        ),
                                        rx.button(
                                            "Decline",
                                            type="button",
                                            variant="soft",
                                            color_scheme="red",
                                            on_click=ChangeOrderPublicState.decline,
                                        ),
                                    ),
                                    spacing="3",
                                    width="100%",
                                ),
                                on_submit=ChangeOrderPublicState.approve,
                                reset_on_submit=False,
                                width="100%",
                            ),
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            width="36em",
            size="3",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )
