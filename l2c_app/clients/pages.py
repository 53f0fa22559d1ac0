"""The Clients list and the client page: details, contacts, every document, balance,
statement, portal links, one timeline, "New deal"."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.contacts_card import contacts_card
from l2c_app.clients.details_card import details_card
from l2c_app.clients.documents_card import documents_card
from l2c_app.clients.list_ui import client_filters, client_row

# board_new_deal stays importable from here: the pipeline board imports it from clients.pages.
from l2c_app.clients.new_deal import board_new_deal as board_new_deal
from l2c_app.clients.new_deal import client_new_deal
from l2c_app.clients.state import ClientsListState, ClientState
from l2c_app.clients.statement_card import statement_card
from l2c_app.clients.timeline_card import timeline_card
from l2c_app.ui.layout import app_page, empty_state


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
        client_filters(),
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
                    rx.table.body(rx.foreach(ClientsListState.rows, client_row)),
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


def _figure(label: str, value, color: str = "gray") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray"),
            rx.text(value, size="5", weight="bold", color_scheme=color),
            spacing="0",
        ),
        flex="1 1 9em",
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
                spacing="2",
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
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(f["others"] != "", rx.text("Other currencies: ", f["others"], size="2", color_scheme="gray")),
            rx.grid(
                rx.vstack(details_card(), contacts_card(), timeline_card(), spacing="4", width="100%"),
                rx.vstack(documents_card(), statement_card(), spacing="4", width="100%"),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
    )
