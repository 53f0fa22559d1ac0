"""Settings' Seller profile card: what quotes, invoices and credit notes print about us, and the logo."""

from __future__ import annotations

import reflex as rx

from l2c_app.ui.admin_state import SELLER_LABELS, SettingsState
from l2c_app.ui.layout import error_callout, field_label


def _seller_input(field: str, hint: str | None = None, **props) -> rx.Component:
    value = SettingsState.seller[field]
    return field_label(SELLER_LABELS[field], rx.input(name=field, default_value=value, key=value, **props), hint)


def seller_card() -> rx.Component:
    """Who issues the documents and where clients pay: printed on quotes, invoices, credit notes."""
    two = {"initial": "1", "sm": "2"}
    return rx.card(
        rx.vstack(
            rx.heading("Seller profile", size="3"),
            rx.text(
                "Printed on every quote, invoice and credit note and on their client pages.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(SettingsState.seller_error),
            rx.form(
                rx.vstack(
                    rx.grid(
                        _seller_input("legal_name", "Leave empty to print the organisation's name."),
                        _seller_input("tax_id", None, placeholder="e.g. FR40303265045"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.grid(
                        _seller_input("address_line1"),
                        _seller_input("address_line2"),
                        _seller_input("postcode"),
                        _seller_input("city"),
                        _seller_input("country"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.heading("Bank account", size="2"),
                    rx.text(
                        "An IBAN with its BIC, or an account number with its routing number or sort code. "
                        'Shown under "Pay by bank transfer" with the invoice number as the reference; EUR '
                        "invoices also get a SEPA QR code.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.grid(
                        _seller_input("iban", None, placeholder="e.g. DE89 3704 0044 0532 0130 00"),
                        _seller_input("bic", None, placeholder="e.g. COBADEFFXXX"),
                        _seller_input("account_number"),
                        _seller_input("routing_code"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.button("Save seller profile", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SettingsState.save_seller,
                reset_on_submit=False,
                width="100%",
            ),
            rx.heading("Logo", size="2"),
            error_callout(SettingsState.logo_error),
            rx.flex(
                rx.cond(
                    SettingsState.logo_uri != "",
                    rx.image(src=SettingsState.logo_uri, alt="Current logo", max_height="4em", max_width="12em"),
                    rx.text("No logo yet.", size="2", color_scheme="gray"),
                ),
                rx.upload(
                    rx.vstack(
                        rx.icon("image-up", size=20),
                        rx.text("Drop a PNG or JPEG here or click to choose one (at most 512 KB)", size="2"),
                        align="center",
                    ),
                    id="logo_upload",
                    accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
                    max_files=1,
                    border="1px dashed var(--gray-a7)",
                    padding="1em",
                    width="100%",
                    max_width="26em",
                ),
                rx.vstack(
                    rx.foreach(rx.selected_files("logo_upload"), lambda f: rx.badge(f)),
                    rx.button(
                        "Upload logo", on_click=SettingsState.upload_logo(rx.upload_files(upload_id="logo_upload"))
                    ),
                    rx.cond(
                        SettingsState.logo_uri != "",
                        rx.button(
                            "Remove logo", variant="soft", color_scheme="red", on_click=SettingsState.remove_logo
                        ),
                    ),
                    spacing="2",
                ),
                direction={"initial": "column", "sm": "row"},
                spacing="4",
                align={"initial": "start", "sm": "center"},
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )
