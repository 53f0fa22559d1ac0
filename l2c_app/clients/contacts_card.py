"""The client page's Contacts card: the contacts, primary and billing flags, add and edit."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState
from l2c_app.ui.layout import error_callout, field_label


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
                spacing="1",
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
                                spacing="2",
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


def contacts_card() -> rx.Component:
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
                        spacing="2",
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
                            spacing="2",
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
