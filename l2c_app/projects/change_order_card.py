"""The project page's change orders: their rows and the form that drafts one."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.state import ProjectsState
from l2c_app.ui.composer import ComposerState
from l2c_app.ui.layout import error_callout, field_label


def co_row(c: rx.Var) -> rx.Component:
    color = rx.match(c["status"], ("approved", "green"), ("declined", "red"), ("sent", "blue"), "gray")
    return rx.table.row(
        rx.table.cell(c["number"]),
        rx.table.cell(c["description"]),
        rx.table.cell(c["kind"]),
        rx.table.cell(c["amount"]),
        rx.table.cell(c["tax"]),
        rx.table.cell(c["total"]),
        rx.table.cell(rx.badge(c["status"], color_scheme=color)),
        rx.table.cell(
            rx.cond(
                c["status"] == "approved",
                rx.text("Approved by ", c["approved"], size="1"),
                rx.hstack(
                    rx.cond(
                        c["status"] == "draft",
                        rx.button(
                            "Send to client",
                            size="1",
                            on_click=ComposerState.open_for("changeorder", c["id"]),
                            aria_label=f"Send change order {c['number']} to client",
                        ),
                    ),
                    rx.cond(
                        c["via"] == "docusign",
                        rx.badge("Sent via DocuSign", color_scheme="indigo", variant="soft"),
                        rx.cond(
                            c["status"] != "declined", rx.link("Client link", href=c["url"], size="1", is_external=True)
                        ),
                    ),
                ),
            )
        ),
    )


def change_order_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            error_callout(ProjectsState.co_error),
            field_label("Description of the change", rx.text_area(name="description", required=True, rows="2")),
            rx.radio_group.root(
                rx.hstack(
                    rx.el.label(rx.hstack(rx.radio_group.item(value="fixed"), rx.text("Fixed price", size="2"))),
                    rx.el.label(rx.hstack(rx.radio_group.item(value="hours"), rx.text("Hours x rate", size="2"))),
                    spacing="4",
                ),
                value=ProjectsState.co_kind,
                on_change=ProjectsState.set_co_kind,
                aria_label="Pricing",
            ),
            rx.cond(
                ProjectsState.co_kind == "fixed",
                field_label(
                    "Price",
                    rx.input(name="amount", placeholder="1500.00"),
                    "Excl. tax, in the project's currency. Taxed at the contract's rate for this work "
                    "(else the organisation's default); approved, it is billed as a fixed item.",
                ),
                rx.hstack(
                    field_label("Extra hours", rx.input(name="hours", placeholder="10h")),
                    field_label("Hourly rate", rx.input(name="rate", placeholder="120.00")),
                    field_label("Role", rx.input(name="role", placeholder="Senior developer")),
                    width="100%",
                ),
            ),
            rx.button("Create change order", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=ProjectsState.create_change_order,
        reset_on_submit=True,
        width="100%",
    )
