"""Pages of the billing stage: invoices list, one invoice, the client's public link, settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.printed_ui import bank_transfer_box, seller_block, tax_table
from l2c_app.billing.state import BillingSettingsState, InvoicesState, InvoiceState, PublicInvoiceState
from l2c_app.ui.composer import ComposerState, composer_dialog
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, public_page

SELECT_STYLE = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
}


def status_badge(row) -> rx.Component:
    return rx.hstack(
        rx.badge(row["status_label"], color_scheme=row["color"]),
        rx.cond(row["flags"] != "", rx.badge(row["flags"], color_scheme="orange", variant="outline")),
        spacing="1",
    )


def invoice_table(rows) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in ("Number", "Client", "Status", "Issued", "Due", "Total", "Open")
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(
                    rx.table.cell(rx.link(r["number"], href=r["href"])),
                    rx.table.cell(r["client"]),
                    rx.table.cell(status_badge(r)),
                    rx.table.cell(r["issue_date"]),
                    rx.table.cell(r["due_date"]),
                    rx.table.cell(r["total"], text_align="right"),
                    rx.table.cell(r["open"], text_align="right"),
                ),
            )
        ),
        width="100%",
    )


def project_pick_row(p) -> rx.Component:
    """A project of the picked client: tick it for the one invoice, or invoice it on its own."""
    return rx.hstack(
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=InvoicesState.selected.contains(p["id"]),
                    on_change=lambda v: InvoicesState.toggle_project(p["id"], v),
                    aria_label=p["name"] + ", unbilled " + p["unbilled"],
                ),
                rx.text(p["name"], weight="medium"),
                align="center",
                spacing="2",
            )
        ),
        rx.spacer(),
        rx.text("Unbilled: ", p["unbilled"], size="2"),
        rx.button(
            "Create invoice for ",
            p["name"],
            size="1",
            variant="soft",
            disabled=p["has_unbilled"] == "",
            on_click=InvoicesState.create_for_project(p["id"]),
        ),
        width="100%",
        align="center",
    )


def create_across_client() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Create an invoice", size="3"),
            rx.text(
                "Pick a client and tick its projects: one invoice bills them all, its lines grouped by project. "
                "Each project shows what is ready to bill up to the date; a project's own button invoices it "
                "alone.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(InvoicesState.error),
            rx.hstack(
                field_label(
                    "Client",
                    rx.el.select(
                        rx.el.option("Choose a client", value=""),
                        rx.foreach(InvoicesState.clients, lambda c: rx.el.option(c["name"], value=c["id"])),
                        value=InvoicesState.client_id,
                        on_change=InvoicesState.pick_client,
                        style=SELECT_STYLE,
                    ),
                ),
                field_label(
                    "Bill work up to",
                    rx.input(type="date", value=InvoicesState.up_to, on_change=InvoicesState.set_up_to),
                ),
                width="100%",
                align="end",
            ),
            rx.foreach(InvoicesState.client_projects, project_pick_row),
            rx.cond(
                InvoicesState.client_projects.length() > 0,
                rx.hstack(
                    rx.button(
                        rx.icon("files", size=14),
                        "Create invoice for selected projects",
                        on_click=InvoicesState.create_for_selected,
                        loading=InvoicesState.creating,
                        disabled=InvoicesState.selection_hint != "",
                    ),
                    rx.cond(
                        InvoicesState.selected_total != "",
                        rx.text("Selected: ", InvoicesState.selected_total, size="2", weight="medium"),
                    ),
                    rx.cond(InvoicesState.creating, rx.text("Building the invoice...", size="2", color_scheme="gray")),
                    rx.cond(
                        InvoicesState.selection_hint != "",
                        rx.text(InvoicesState.selection_hint, size="2", color_scheme="gray"),
                    ),
                    align="center",
                    spacing="3",
                    width="100%",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


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
                    rx.el.select(
                        *[
                            rx.el.option(label, value=value)
                            for value, label in (
                                ("all", "All"),
                                ("draft", "Drafts"),
                                ("sent", "Issued, unpaid"),
                                ("partially_paid", "Partially paid"),
                                ("paid", "Paid"),
                                ("written_off", "Written off"),
                                ("void", "Void"),
                            )
                        ],
                        value=InvoicesState.status_filter,
                        on_change=InvoicesState.set_filter,
                        style=SELECT_STYLE,
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
                        rx.table.cell(ln["unit_price"], text_align="right"),
                        rx.table.cell(ln["tax"], text_align="right"),
                        rx.table.cell(ln["amount"], text_align="right"),
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
                        rx.el.select(
                            rx.el.option("Bank transfer", value="bank_transfer"),
                            rx.el.option("Check", value="check"),
                            rx.el.option("Cash", value="cash"),
                            rx.el.option("Other", value="other"),
                            name="method",
                            value=InvoiceState.pay_method,
                            on_change=lambda v: InvoiceState.set_pay_field("method", v),
                            style=SELECT_STYLE,
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
                    rx.table.cell(p["amount"], text_align="right"),
                    rx.table.cell(p["fee"], text_align="right"),
                    rx.table.cell(p["net"], text_align="right"),
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
                status_badge(inv),
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
                    rx.hstack(rx.heading("Invoice ", inv["number"], size="6"), status_badge(inv), align="center"),
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
                    rx.el.select(
                        *[
                            rx.el.option(label, value=value)
                            for value, label in (
                                ("due_on_receipt", "Due on receipt"),
                                ("net_15", "Net 15"),
                                ("net_30", "Net 30"),
                                ("net_45", "Net 45"),
                                ("net_60", "Net 60"),
                            )
                        ],
                        name="invoice_terms",
                        default_value=v["invoice_terms"],
                        key=v["invoice_terms"],
                        style=SELECT_STYLE,
                    ),
                ),
                field_label(
                    "Time on invoices",
                    rx.el.select(
                        rx.el.option("Grouped by role", value="no"),
                        rx.el.option("One line per entry", value="yes"),
                        name="itemise_time",
                        default_value=v["itemise_time"],
                        key=v["itemise_time"],
                        style=SELECT_STYLE,
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
