"""The contract page's Signers card: each signer with status, and adding or changing them on a draft."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.state import ContractState
from l2c_app.contracts.ui_kit import field_label, status_badge


def signer_row(sg: rx.Var) -> rx.Component:
    s = ContractState
    return rx.table.row(
        rx.table.cell(sg["routing_order"]),
        rx.table.cell(rx.match(sg["kind"], ("signer", "Client signer"), ("countersigner", "Counter-signer"), "CC")),
        rx.table.cell(sg["name"]),
        rx.table.cell(sg["email"]),
        rx.table.cell(status_badge(sg["status"])),
        rx.table.cell(
            rx.cond(
                s.is_draft,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Remove " + sg["email"],
                    on_click=s.remove_signer(sg["id"]),
                ),
                rx.cond(
                    s.is_open & (sg["status"] != "signed") & (sg["status"] != "declined"),
                    rx.button(
                        "Re-send link",
                        size="1",
                        variant="soft",
                        aria_label="Re-send link to " + sg["email"],
                        on_click=s.resend(sg["id"]),
                    ),
                ),
            )
        ),
    )


def signers_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Signers", size="3"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(h) for h in ("Order", "Role", "Name", "E-mail", "Status", "")]
                    )
                ),
                rx.table.body(rx.foreach(s.signers, signer_row)),
                width="100%",
            ),
            rx.cond(
                s.is_draft,
                rx.vstack(
                    rx.form(
                        rx.hstack(
                            field_label("Signer name", rx.input(name="name", required=True)),
                            field_label("Signer e-mail", rx.input(name="email", type="email", required=True)),
                            field_label("Role", rx.select(["signer", "cc"], name="kind", default_value="signer")),
                            field_label(
                                "Routing order",
                                rx.input(
                                    name="routing_order",
                                    type="number",
                                    min="1",
                                    max="99",
                                    placeholder="auto",
                                    width="6em",
                                ),
                            ),
                            rx.button("Add signer", type="submit"),
                            align="end",
                            width="100%",
                        ),
                        on_submit=s.add_signer,
                        reset_on_submit=True,
                    ),
                    rx.hstack(
                        field_label(
                            "Counter-signer from the team",
                            rx.select.root(
                                rx.select.trigger(placeholder="Choose a team member"),
                                rx.select.content(
                                    rx.foreach(s.team, lambda u: rx.select.item(u["label"], value=u["id"]))
                                ),
                                value=s.counter_choice,
                                on_change=s.set_counter_choice,
                            ),
                        ),
                        rx.button("Add counter-signer", variant="soft", on_click=s.add_countersigner),
                        align="end",
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(
                s.is_open & (s.c["provider"] == "builtin"),
                rx.form(
                    rx.hstack(
                        field_label(
                            "Signer to change",
                            rx.select.root(
                                rx.select.trigger(placeholder="Choose a signer"),
                                rx.select.content(
                                    rx.foreach(
                                        s.signers,
                                        lambda sg: rx.select.item(
                                            sg["name"] + " <" + sg["email"] + ">", value=sg["id"].to(str)
                                        ),
                                    )
                                ),
                                name="signer_id",
                            ),
                        ),
                        field_label("New name", rx.input(name="name", required=True)),
                        field_label("New e-mail", rx.input(name="email", type="email", required=True)),
                        rx.button("Change signer and re-send", type="submit", variant="soft"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=s.change_signer,
                    reset_on_submit=True,
                ),
            ),
            width="100%",
        ),
        width="100%",
    )
