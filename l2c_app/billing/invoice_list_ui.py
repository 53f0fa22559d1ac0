"""The invoices list: the table of invoices and the card that drafts one invoice across a client's projects."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing.state import InvoicesState
from l2c_app.billing.ui_kit import invoice_badge
from l2c_app.ui.kit import money_cell, native_select
from l2c_app.ui.layout import error_callout, field_label


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
                    rx.table.cell(invoice_badge(r)),
                    rx.table.cell(r["issue_date"]),
                    rx.table.cell(r["due_date"]),
                    money_cell(r["total"]),
                    money_cell(r["open"]),
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
                    native_select(
                        [("", "Choose a client")],
                        dynamic=InvoicesState.clients,
                        value=InvoicesState.client_id,
                        on_change=InvoicesState.pick_client,
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
