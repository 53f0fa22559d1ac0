"""The Clients list and the client page: details, contacts, every document, balance,
statement, portal links, one timeline, "New deal"."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.service import TERMS
from l2c_app.clients.state import ClientsListState, ClientState, NewDealState
from l2c_app.ui import kit
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label

SELECT_STYLE = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "min_height": "2em",
    "width": "100%",
}


_STATUS_COLORS = {
    "paid": "green",
    "accepted": "green",
    "completed": "green",
    "approved": "green",
    "won": "green",
    "succeeded": "green",
    "void": "gray",
    "lost": "red",
    "declined": "red",
    "reversed": "red",
}


def _status(value) -> rx.Component:
    return kit.status_badge(value, _STATUS_COLORS, default="blue")


# --- the list --------------------------------------------------------------------------------


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(
                field_label(
                    "Search clients",
                    rx.input(name="q", placeholder="Name, domain or contact", default_value=ClientsListState.q),
                ),
                min_width="14em",
                flex="2",
            ),
            rx.box(
                rx.el.label(
                    rx.text("Owner", size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option("Anyone", value=""),
                        rx.foreach(ClientsListState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                        name="owner",
                        style=SELECT_STYLE,
                    ),
                ),
                min_width="10em",
                flex="1",
            ),
            rx.box(
                rx.el.label(
                    rx.text("Sort by", size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option("Name", value="name"),
                        rx.el.option("Newest", value="newest"),
                        rx.el.option("Open balance", value="open_balance"),
                        name="sort",
                        style=SELECT_STYLE,
                    ),
                ),
                min_width="9em",
                flex="1",
            ),
            rx.vstack(
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(name="open_only", aria_label="Has an open balance"),
                        rx.text("Has an open balance", size="2"),
                        align="center",
                    )
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(name="active_only", aria_label="Has an active project"),
                        rx.text("Has an active project", size="2"),
                        align="center",
                    )
                ),
                spacing="1",
                min_width="13em",
            ),
            rx.button("Apply filters", type="submit"),
            gap="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        on_submit=ClientsListState.apply,
        reset_on_submit=False,
        width="100%",
    )


def _client_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(r["name"], href="/clients/" + r["id"], weight="medium"),
                rx.text(r["domain"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(r["owner"], class_name="l2c-hide-sm"),
        rx.table.cell(r["open"], text_align="right", white_space="nowrap"),
        rx.table.cell(
            rx.cond(r["overdue"] != "", rx.text(r["overdue"], color_scheme="red"), ""),
            text_align="right",
            white_space="nowrap",
        ),
        rx.table.cell(rx.cond(r["active"] != "", rx.badge("active"), ""), class_name="l2c-hide-sm"),
    )


@app_page("/clients", "Clients", "clients", on_load=ClientsListState.load)
def clients_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "Every client with its balance; open one for its documents, statement and portal.", color_scheme="gray"
            ),
            rx.spacer(),
            rx.link(
                rx.button(rx.icon("download", size=14), "Export CSV", variant="soft"),
                href=ClientsListState.csv_href,
                is_external=True,
            ),
            width="100%",
            wrap="wrap",
            align="center",
        ),
        _filters(),
        rx.cond(
            ClientsListState.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Client"),
                            rx.table.column_header_cell("Owner", class_name="l2c-hide-sm"),
                            rx.table.column_header_cell("Open balance", text_align="right"),
                            rx.table.column_header_cell("Overdue", text_align="right"),
                            rx.table.column_header_cell("Project", class_name="l2c-hide-sm"),
                        )
                    ),
                    rx.table.body(rx.foreach(ClientsListState.rows, _client_row)),
                    width="100%",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.cond(
                ClientsListState.loaded,
                empty_state(
                    "building-2",
                    "No clients match",
                    "Clients come from converted leads, the API or “New deal”. Clear the filters to see them all.",
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


# --- the client page --------------------------------------------------------------------------


def _figure(label: str, value, color: str = "gray") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray"),
            rx.text(value, size="5", weight="bold", color_scheme=color),
            spacing="0",
        ),
        flex="1 1 9em",
    )


def _details_card() -> rx.Component:
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
                            gap="2",
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
                            gap="2",
                            direction=rx.breakpoints(initial="column", sm="row"),
                            width="100%",
                        ),
                        rx.flex(
                            rx.el.label(
                                rx.text("Payment terms", size="2", weight="medium"),
                                rx.el.select(
                                    rx.el.option("Organisation default", value=""),
                                    *[rx.el.option(k.replace("_", " "), value=k) for k in TERMS],
                                    name="payment_terms",
                                    default_value=d["payment_terms"],
                                    style=SELECT_STYLE,
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
                                rx.el.select(
                                    rx.el.option("Nobody", value=""),
                                    rx.foreach(ClientState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                    name="owner_id",
                                    default_value=d["owner_id"],
                                    style=SELECT_STYLE,
                                ),
                                width="100%",
                            ),
                            gap="2",
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


def _contact_row(c) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(c["name"], weight="medium"),
                rx.hstack(
                    rx.cond(c["is_primary"] == "yes", rx.badge("primary", color_scheme="green")),
                    rx.cond(c["is_billing"] == "yes", rx.badge("billing", color_scheme="blue")),
                    spacing="1",
                ),
                rx.text(c["title"], size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(c["email"], size="2", word_break="break-all"),
                rx.text(c["phone"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.flex(
                rx.button(
                    "Send portal link",
                    size="1",
                    on_click=ClientState.send_portal_link(c["id"]),
                    aria_label="Send portal link to " + c["name"],
                ),
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    on_click=ClientState.edit_contact(c["id"]),
                    aria_label="Edit " + c["name"],
                ),
                rx.menu.root(
                    rx.menu.trigger(
                        rx.button(
                            "More",
                            rx.icon("chevron-down", size=12),
                            size="1",
                            variant="soft",
                            aria_label="More for " + c["name"],
                        )
                    ),
                    rx.menu.content(
                        rx.menu.item("Make primary contact", on_click=ClientState.set_contact(c["id"], "is_primary")),
                        rx.menu.item("Make billing contact", on_click=ClientState.set_contact(c["id"], "is_billing")),
                        rx.menu.separator(),
                        rx.menu.item(
                            "Archive contact", color="red", on_click=ClientState.set_contact(c["id"], "archived")
                        ),
                    ),
                ),
                gap="1",
                wrap="wrap",
            )
        ),
    )


def _contact_editor() -> rx.Component:
    return rx.cond(
        ClientState.editing_contact != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Edit contact", size="2"),
                    error_callout(ClientState.contact_error),
                    rx.foreach(
                        ClientState.contacts,
                        lambda c: rx.cond(
                            c["id"] == ClientState.editing_contact,
                            rx.flex(
                                field_label("Name", rx.input(name="name", default_value=c["name"], required=True)),
                                field_label("E-mail", rx.input(name="email", type="email", default_value=c["email"])),
                                field_label("Phone", rx.input(name="phone", default_value=c["phone"])),
                                field_label("Job title", rx.input(name="title", default_value=c["title"])),
                                gap="2",
                                wrap="wrap",
                                width="100%",
                            ),
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=ClientState.cancel_contact,
                        ),
                        rx.button("Save contact", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ClientState.save_contact,
                reset_on_submit=False,
            ),
            width="100%",
        ),
    )


def _contacts_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Contacts", size="3"),
            rx.cond(
                ClientState.contacts.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[rx.table.column_header_cell(h) for h in ("Contact", "E-mail / phone", "Actions")]
                            )
                        ),
                        rx.table.body(rx.foreach(ClientState.contacts, _contact_row)),
                        width="100%",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                rx.text("No contacts yet.", size="2", color_scheme="gray"),
            ),
            _contact_editor(),
            rx.form(
                rx.vstack(
                    rx.text("Add a contact", size="2", weight="bold"),
                    rx.cond(ClientState.editing_contact == "", error_callout(ClientState.contact_error)),
                    rx.flex(
                        field_label("Contact name", rx.input(name="name", required=True)),
                        field_label("Contact e-mail", rx.input(name="email", type="email")),
                        field_label("Contact phone", rx.input(name="phone")),
                        field_label("Contact job title", rx.input(name="title")),
                        gap="2",
                        wrap="wrap",
                        width="100%",
                    ),
                    rx.button("Add contact", type="submit", variant="soft"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ClientState.add_contact,
                reset_on_submit=True,
                width="100%",
            ),
            rx.cond(
                ClientState.links.length() > 0,
                rx.vstack(
                    rx.text("Portal links", size="2", weight="bold"),
                    rx.foreach(
                        ClientState.links,
                        lambda lk: rx.flex(
                            rx.text(
                                lk["contact"],
                                " · ",
                                lk["status"],
                                " · until ",
                                lk["expires"],
                                " · last used ",
                                lk["last_used"],
                                size="2",
                            ),
                            rx.cond(
                                lk["status"] == "active",
                                rx.button(
                                    "Revoke link",
                                    size="1",
                                    variant="soft",
                                    color_scheme="red",
                                    on_click=ClientState.revoke_link(lk["id"]),
                                    aria_label="Revoke portal link of " + lk["contact"],
                                ),
                            ),
                            gap="2",
                            align="center",
                            wrap="wrap",
                        ),
                    ),
                    spacing="1",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


DOC_SECTIONS = (
    ("Deals", "deals"),
    ("Quotes", "quotes"),
    ("Contracts", "contracts"),
    ("Projects", "projects"),
    ("Change orders", "change_orders"),
    ("Invoices", "invoices"),
    ("Credit notes", "credit_notes"),
    ("Payments", "payments"),
    ("Client credit", "credits"),
)


def _doc_table(title: str, key: str) -> rx.Component:
    rows = ClientState.docs[key]
    invoice = key == "invoices"
    return rx.vstack(
        rx.heading(title, size="2"),
        rx.cond(
            rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Document"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Amount", text_align="right"),
                            *(
                                [
                                    rx.table.column_header_cell("Open", text_align="right"),
                                    rx.table.column_header_cell("Due", class_name="l2c-hide-sm"),
                                ]
                                if invoice
                                else []
                            ),
                            rx.table.column_header_cell("Date", class_name="l2c-hide-sm"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            rows,
                            lambda r: rx.table.row(
                                rx.table.cell(rx.link(r["label"], href=r["href"])),
                                rx.table.cell(_status(r["status"])),
                                rx.table.cell(r["amount"], text_align="right", white_space="nowrap"),
                                *(
                                    [
                                        rx.table.cell(r["open"], text_align="right", white_space="nowrap"),
                                        rx.table.cell(r["due"], class_name="l2c-hide-sm"),
                                    ]
                                    if invoice
                                    else []
                                ),
                                rx.table.cell(r["date"], class_name="l2c-hide-sm"),
                            ),
                        )
                    ),
                    width="100%",
                    size="1",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.text("None.", size="2", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
    )


def _documents_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Documents", size="3"), *[_doc_table(t, k) for t, k in DOC_SECTIONS], spacing="4", width="100%"
        ),
        width="100%",
    )


def _statement_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Statement of account", size="3"),
            rx.form(
                rx.flex(
                    field_label(
                        "From",
                        rx.input(
                            name="start", type="date", default_value=ClientState.st_start, key=ClientState.st_start
                        ),
                    ),
                    field_label(
                        "To",
                        rx.input(name="end", type="date", default_value=ClientState.st_end, key=ClientState.st_end),
                    ),
                    rx.button("Show statement", type="submit"),
                    rx.link(
                        rx.button(
                            rx.icon("file-down", size=14), "Download statement PDF", variant="soft", type="button"
                        ),
                        href=ClientState.statement_pdf_href,
                        is_external=True,
                    ),
                    gap="2",
                    align="end",
                    wrap="wrap",
                    width="100%",
                ),
                on_submit=ClientState.show_statement,
                reset_on_submit=False,
                width="100%",
            ),
            error_callout(ClientState.st_error),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Date"),
                            rx.table.column_header_cell("Document"),
                            rx.table.column_header_cell("Debit", text_align="right"),
                            rx.table.column_header_cell("Credit", text_align="right"),
                            rx.table.column_header_cell("Balance", text_align="right"),
                        )
                    ),
                    rx.table.body(
                        rx.table.row(
                            rx.table.cell(ClientState.st_start_text),
                            rx.table.cell("Opening balance"),
                            rx.table.cell(""),
                            rx.table.cell(""),
                            rx.table.cell(ClientState.st_opening, text_align="right", white_space="nowrap"),
                        ),
                        rx.foreach(
                            ClientState.st_rows,
                            lambda r: rx.table.row(
                                rx.table.cell(r["date"], white_space="nowrap"),
                                rx.table.cell(r["reference"]),
                                rx.table.cell(r["debit"], text_align="right", white_space="nowrap"),
                                rx.table.cell(r["credit"], text_align="right", white_space="nowrap"),
                                rx.table.cell(r["balance"], text_align="right", white_space="nowrap"),
                            ),
                        ),
                        rx.table.row(
                            rx.table.cell(ClientState.st_end_text),
                            rx.table.cell(rx.text("Closing balance", weight="bold")),
                            rx.table.cell(""),
                            rx.table.cell(""),
                            rx.table.cell(
                                rx.text(ClientState.st_closing, weight="bold"), text_align="right", white_space="nowrap"
                            ),
                        ),
                    ),
                    width="100%",
                    size="1",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.flex(
                rx.foreach(
                    ClientState.st_aged,
                    lambda a: rx.vstack(
                        rx.text(a["label"], size="1", color_scheme="gray"),
                        rx.text(a["amount"], size="2", weight="medium"),
                        spacing="0",
                        min_width="8em",
                    ),
                ),
                gap="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _timeline_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Timeline", size="3"),
            rx.cond(
                ClientState.timeline.length() > 0,
                # the when above the event on a phone, in its own column from sm up (locale date and time)
                rx.vstack(
                    rx.foreach(
                        ClientState.timeline,
                        lambda e: rx.flex(
                            rx.text(
                                e["when"],
                                size="1",
                                color_scheme="gray",
                                white_space="nowrap",
                                min_width="11em",
                                flex_shrink="0",
                            ),
                            rx.vstack(
                                rx.text(e["subject"], size="2"),
                                rx.link(e["deal"], href=e["href"], size="1", color_scheme="gray"),
                                spacing="0",
                            ),
                            direction=rx.breakpoints(initial="column", sm="row"),
                            gap=rx.breakpoints(initial="0", sm="3"),
                            align="start",
                            width="100%",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.text("Nothing happened yet.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def deal_form(on_submit, error, with_client: bool, clients=None, on_cancel=None) -> rx.Component:
    return rx.form(
        rx.vstack(
            error_callout(error),
            field_label("Deal title", rx.input(name="title", required=True, placeholder="e.g. Website relaunch")),
            field_label("Value excl. tax", rx.input(name="value", placeholder="e.g. 12000", input_mode="decimal")),
            *(
                [
                    rx.el.label(
                        rx.text("Client", size="2", weight="medium"),
                        rx.el.select(
                            rx.el.option("No client yet", value=""),
                            rx.foreach(clients, lambda c: rx.el.option(c["name"], value=c["id"])),
                            name="client_id",
                            style=SELECT_STYLE,
                        ),
                        width="100%",
                    ),
                    field_label("Or a new client", rx.input(name="new_client", placeholder="New client's name")),
                ]
                if with_client
                else []
            ),
            rx.hstack(
                rx.dialog.close(
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=on_cancel)
                ),
                rx.button("Create deal", type="submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def client_new_deal() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=14), "New deal")),
        rx.dialog.content(
            rx.dialog.title("New deal for ", ClientState.details["name"]),
            deal_form(ClientState.create_deal, ClientState.deal_error, False, on_cancel=ClientState.open_deal(False)),
            max_width="28em",
        ),
        open=ClientState.deal_open,
        on_open_change=ClientState.open_deal,
    )


def board_new_deal() -> rx.Component:
    """The pipeline board's "New deal" (an existing client or a new one)."""
    return rx.dialog.root(
        rx.button(rx.icon("plus", size=14), "New deal", on_click=NewDealState.show),
        rx.dialog.content(
            rx.dialog.title("New deal"),
            deal_form(
                NewDealState.create, NewDealState.error, True, NewDealState.clients, on_cancel=NewDealState.close(False)
            ),
            max_width="28em",
        ),
        open=NewDealState.open,
        on_open_change=NewDealState.close,
    )


@app_page("/clients/[client_id]", "Client", "clients", on_load=ClientState.load)
def client_page() -> rx.Component:
    f = ClientState.figures
    return rx.cond(
        ClientState.not_found,
        empty_state(
            "building-2",
            "No such client",
            "This client does not exist (or was merged).",
            rx.link(rx.button("All clients"), href="/clients"),
        ),
        rx.vstack(
            rx.flex(
                rx.heading(ClientState.details["name"], size="6"),
                rx.spacer(),
                client_new_deal(),
                rx.link(rx.button("All clients", variant="soft"), href="/clients"),
                gap="2",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.flex(
                _figure("Open balance", f["open"]),
                _figure("Overdue", f["overdue"], "red"),
                _figure("Client credit", f["credit"], "green"),
                _figure("Invoices", f["invoices"]),
                _figure("Deals", f["deals"]),
                gap="3",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(f["others"] != "", rx.text("Other currencies: ", f["others"], size="2", color_scheme="gray")),
            rx.grid(
                rx.vstack(_details_card(), _contacts_card(), _timeline_card(), spacing="4", width="100%"),
                rx.vstack(_documents_card(), _statement_card(), spacing="4", width="100%"),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
    )
