"""Pages of the billing stage: invoices list, one invoice, the client's public link, settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.invoice_credit_ui import ledger_actions, partial_credit_form
from l2c_app.billing.invoice_lines_ui import line_table, section_row, totals
from l2c_app.billing.invoice_list_ui import create_across_client, invoice_table
from l2c_app.billing.invoice_payments_ui import payment_form, payments_table, reverse_form
from l2c_app.billing.printed_ui import bank_transfer_box, seller_block, tax_table
from l2c_app.billing.state import BillingSettingsState, InvoicesState, InvoiceState, PublicInvoiceState
from l2c_app.billing.ui_kit import invoice_badge
from l2c_app.ui.composer import ComposerState, composer_dialog
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, public_page


@app_page("/invoices", "Invoices", "invoices", on_load=InvoicesState.load)
def invoices_page() -> rx.Component:
    return rx.vstack(
        create_across_client(),
        rx.hstack(
            rx.heading("All invoices", size="4"),
            rx.spacer(),
            rx.box(
                field_label(
                    "Show",
                    native_select(
                        [
                            ("all", "All"),
                            ("draft", "Drafts"),
                            ("sent", "Issued, unpaid"),
                            ("partially_paid", "Partially paid"),
                            ("paid", "Paid"),
                            ("written_off", "Written off"),
                            ("void", "Void"),
                        ],
                        value=InvoicesState.status_filter,
                        on_change=InvoicesState.set_filter,
                    ),
                ),
                width="14em",
            ),
            width="100%",
            align="end",
        ),
        rx.cond(
            InvoicesState.invoices.length() > 0,
            invoice_table(InvoicesState.invoices),
            empty_state(
                "receipt",
                "No invoices yet",
                "Create an invoice from a project: approved time, milestones and change orders are proposed for you.",
            ),
        ),
        width="100%",
        spacing="4",
    )


@app_page("/invoices/[invoice_id]", "Invoice", "invoices", on_load=InvoiceState.load)
def invoice_page() -> rx.Component:
    inv = InvoiceState.invoice
    draft = inv["status"] == "draft"
    return rx.cond(
        InvoiceState.not_found,
        empty_state(
            "receipt",
            "No such invoice",
            "It may have been removed.",
            rx.link(rx.button("Back to invoices"), href="/invoices"),
        ),
        rx.vstack(
            rx.hstack(
                rx.heading(
                    rx.cond(
                        draft,
                        "Draft invoice",
                        rx.cond(inv["kind"] == "credit_note", "Credit note ", "Invoice ") + inv["number"],
                    ),
                    size="5",
                ),
                invoice_badge(inv),
                rx.spacer(),
                rx.link(
                    rx.button(rx.icon("file-down", size=14), "Download PDF", variant="soft"),
                    href=inv["pdf_url"],
                    is_external=True,
                ),
                rx.link(
                    rx.button(rx.icon("clock", size=14), "PDF with time detail", variant="soft", color_scheme="gray"),
                    href=inv["pdf_url"] + "?time_appendix=true",
                    is_external=True,
                ),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.text("Client: ", inv["client"], size="2"),
                rx.cond(
                    inv["project"] != "", rx.link("Project: " + inv["project"], href=inv["project_href"], size="2")
                ),
                rx.cond(inv["projects"] != "", rx.text("Projects: ", inv["projects"], size="2")),
                rx.cond(inv["due_date"] != "", rx.text("Due: ", inv["due_date"], size="2")),
                spacing="4",
            ),
            rx.hstack(
                rx.cond(draft, rx.button("Issue invoice", on_click=InvoiceState.issue, loading=InvoiceState.busy)),
                rx.cond(
                    (inv["status"] != "void") & (inv["status"] != "paid") & (inv["kind"] != "credit_note"),
                    rx.button(
                        rx.cond(inv["sent_at"] != "", "Send again", "Send invoice"),
                        on_click=ComposerState.open_for("invoice", inv["id"]),
                        loading=InvoiceState.busy,
                        variant="solid",
                    ),
                ),
                composer_dialog(),
                rx.cond(
                    (inv["status"] == "draft") | (inv["status"] == "sent"),
                    rx.button(
                        "Void invoice",
                        on_click=InvoiceState.void,
                        color_scheme="red",
                        variant="soft",
                        loading=InvoiceState.busy,
                    ),
                ),
                rx.cond(
                    (inv["status"] != "draft") & (inv["status"] != "void") & (inv["kind"] != "credit_note"),
                    rx.button(
                        "Issue credit note",
                        on_click=InvoiceState.credit,
                        color_scheme="red",
                        variant="outline",
                        loading=InvoiceState.busy,
                    ),
                ),
                spacing="2",
            ),
            rx.cond(
                inv["status"] != "draft",
                rx.callout(
                    rx.hstack(
                        rx.text("Client link: "),
                        rx.link(inv["public_url"], href=inv["public_path"], is_external=True),
                        rx.cond(
                            inv["payment_link_url"] != "",
                            rx.link("Stripe payment link", href=inv["payment_link_url"], is_external=True),
                        ),
                    ),
                    icon="link",
                    color_scheme="gray",
                    width="100%",
                ),
            ),
            seller_block(InvoiceState.seller),
            line_table(InvoiceState.lines, draft),
            rx.cond(
                draft,
                rx.text(
                    "Remove a line to leave its items unbilled for a later invoice.", size="1", color_scheme="gray"
                ),
            ),
            totals(inv),
            tax_table(InvoiceState.tax_rows),
            bank_transfer_box(InvoiceState.bank),
            rx.cond(
                inv["can_pay"] != "",
                rx.vstack(
                    rx.heading("Payments", size="3"),
                    error_callout(InvoiceState.ledger_error),
                    rx.cond(
                        InvoiceState.payments.length() > 0,
                        payments_table(),
                        rx.text("No payment yet.", color_scheme="gray", size="2"),
                    ),
                    reverse_form(),
                    rx.cond((inv["status"] == "sent") | (inv["status"] == "partially_paid"), payment_form()),
                    ledger_actions(),
                    width="100%",
                ),
            ),
            rx.cond(inv["can_credit"] != "", partial_credit_form()),
            width="100%",
            spacing="4",
        ),
    )


@public_page("/i/[token]", "Invoice", on_load=PublicInvoiceState.load, portal_link=True)
def public_invoice_page() -> rx.Component:
    """The client's view. Threat model: anyone holding the link (192-bit random token) sees this
    one issued invoice, its status, its PDF and its pay link; drafts and other records are never
    reachable through it, and nothing here changes data."""
    inv = PublicInvoiceState.pub
    return rx.center(
        rx.cond(
            PublicInvoiceState.missing,
            rx.card(
                rx.vstack(
                    rx.heading("This invoice link is not valid", size="4"),
                    rx.text("Ask the sender for a new link.", color_scheme="gray"),
                ),
                size="3",
            ),
            rx.card(
                rx.vstack(
                    rx.cond(
                        PublicInvoiceState.pub_seller["logo"] != "",
                        rx.image(
                            src=PublicInvoiceState.pub_seller["logo"],
                            alt=inv["org"] + " logo",
                            max_height="3.5em",
                            max_width="12em",
                        ),
                    ),
                    rx.text(inv["org"], weight="bold", color=rx.color("accent", 11)),
                    rx.hstack(rx.heading("Invoice ", inv["number"], size="6"), invoice_badge(inv), align="center"),
                    rx.cond(
                        PublicInvoiceState.just_paid & (inv["status"] != "paid"),
                        rx.callout(
                            "Thank you: your payment is being confirmed. This page shows Paid once it is.",
                            icon="info",
                            color_scheme="blue",
                        ),
                    ),
                    rx.text("Issued ", inv["issue_date"], " · due ", inv["due_date"], size="2", color_scheme="gray"),
                    seller_block(PublicInvoiceState.pub_seller),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(*[rx.table.column_header_cell(h) for h in ("Description", "Qty", "Amount")])
                        ),
                        rx.table.body(
                            rx.foreach(
                                PublicInvoiceState.pub_lines,
                                lambda ln: rx.fragment(
                                    section_row(ln, 3),
                                    rx.table.row(
                                        rx.table.cell(ln["description"]),
                                        rx.table.cell(ln["quantity"], text_align="right"),
                                        rx.table.cell(ln["amount"], text_align="right"),
                                    ),
                                ),
                            )
                        ),
                        width="100%",
                    ),
                    rx.vstack(
                        rx.hstack(rx.text("Total"), rx.spacer(), rx.text(inv["total"], weight="bold"), width="14em"),
                        rx.hstack(rx.text("Paid"), rx.spacer(), rx.text(inv["paid"]), width="14em"),
                        rx.hstack(
                            rx.text("Amount due"), rx.spacer(), rx.text(inv["open"], weight="bold"), width="14em"
                        ),
                        align="end",
                        width="100%",
                    ),
                    tax_table(PublicInvoiceState.pub_tax_rows),
                    rx.hstack(
                        rx.link(
                            rx.button(rx.icon("file-down", size=14), "Download PDF", variant="soft"),
                            href=inv["pdf_url"],
                            is_external=True,
                        ),
                        rx.cond(
                            inv["can_pay"] != "",
                            rx.link(
                                rx.button(rx.icon("credit-card", size=14), "Pay ", inv["open"], size="3"),
                                href=inv["payment_link_url"],
                            ),
                        ),
                        spacing="3",
                    ),
                    bank_transfer_box(PublicInvoiceState.pub_bank),
                    rx.cond(
                        (inv["is_open"] != "") & (inv["can_pay"] == "") & (PublicInvoiceState.pub_bank["lines"] == ""),
                        rx.callout(inv["instructions"], icon="landmark", color_scheme="gray"),
                    ),
                    spacing="4",
                    width="100%",
                ),
                size="3",
                width="100%",
                max_width="44em",
            ),
        ),
        min_height="100vh",
        padding="2em",
        background=rx.color("gray", 2),
    )


@app_page("/settings/billing", "Invoicing settings", "settings", on_load=BillingSettingsState.load)
def billing_settings_page() -> rx.Component:
    v = BillingSettingsState.values
    return rx.card(
        rx.form(
            rx.vstack(
                error_callout(BillingSettingsState.error),
                field_label(
                    "Invoice number pattern",
                    rx.input(
                        name="invoice_number_pattern",
                        default_value=v["invoice_number_pattern"],
                        key=v["invoice_number_pattern"],
                    ),
                    "{year}, {month} and {seq} (e.g. {seq:04d} pads to 4 digits). Numbers are given on issue.",
                ),
                field_label(
                    "Credit note number pattern",
                    rx.input(
                        name="credit_note_number_pattern",
                        default_value=v["credit_note_number_pattern"],
                        key=v["credit_note_number_pattern"],
                    ),
                ),
                field_label(
                    "Payment terms",
                    native_select(
                        [
                            ("due_on_receipt", "Due on receipt"),
                            ("net_15", "Net 15"),
                            ("net_30", "Net 30"),
                            ("net_45", "Net 45"),
                            ("net_60", "Net 60"),
                        ],
                        name="invoice_terms",
                        default_value=v["invoice_terms"],
                        key=v["invoice_terms"],
                    ),
                ),
                field_label(
                    "Time on invoices",
                    native_select(
                        [("no", "Grouped by role"), ("yes", "One line per entry")],
                        name="itemise_time",
                        default_value=v["itemise_time"],
                        key=v["itemise_time"],
                    ),
                ),
                field_label(
                    "Reminder days before the due date",
                    rx.input(
                        name="reminder_days_before",
                        default_value=v["reminder_days_before"],
                        key=v["reminder_days_before"],
                    ),
                ),
                field_label(
                    "Reminder days after the due date",
                    rx.input(
                        name="reminder_days_after", default_value=v["reminder_days_after"], key=v["reminder_days_after"]
                    ),
                    "Comma-separated, e.g. 1, 7, 14",
                ),
                field_label(
                    "Payment instructions (without Stripe)",
                    rx.text_area(
                        name="payment_instructions",
                        default_value=v["payment_instructions"],
                        key=v["payment_instructions"],
                    ),
                ),
                rx.button("Save billing settings", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=BillingSettingsState.save,
            reset_on_submit=False,
        ),
        max_width="44em",
    )
