"""The Leads list's dialogs: a lead's details, disqualify (with a reason), convert to a deal."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.list_ui import lead_actions
from l2c_app.leads.state import LeadsState
from l2c_app.ui.layout import error_callout, field_label


def detail_dialog() -> rx.Component:
    d = LeadsState.detail
    line = lambda label, value: rx.hstack(rx.text(label, weight="medium", width="9em"), rx.text(value))  # noqa: E731
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(d["name"]),
            rx.vstack(
                line("E-mail", d["email"]),
                line("Company", d["company"]),
                line("Phone", d["phone"]),
                line("Source", d["source"]),
                line("Owner", d["owner"]),
                line("Status", d["status"]),
                line("Received", d["created"]),
                rx.cond(d["reason"] != "", line("Disqualified because", d["reason"])),
                rx.cond(
                    d["duplicate_of_lead_id"].to(int) > 0,
                    rx.callout(
                        rx.hstack(
                            rx.text("Possible duplicate of lead"),
                            rx.button(
                                f"#{d['duplicate_of_lead_id']}",
                                variant="ghost",
                                size="1",
                                on_click=LeadsState.show(d["duplicate_of_lead_id"]),
                            ),
                        ),
                        icon="copy",
                        color_scheme="orange",
                    ),
                ),
                rx.cond(
                    d["duplicate_of_contact_id"].to(int) > 0,
                    rx.callout("Same person or company as an existing contact.", icon="copy", color_scheme="orange"),
                ),
                rx.text("Message", weight="medium"),
                rx.text(d["message"], white_space="pre-wrap"),
                rx.cond(
                    (d["status"] == "new") | (d["status"] == "qualified"),
                    field_label(
                        "Assign to",
                        rx.select.root(
                            rx.select.trigger(placeholder="Pick a colleague", aria_label="Assign to"),
                            rx.select.content(
                                rx.foreach(LeadsState.owners, lambda o: rx.select.item(o["name"], value=o["id"]))
                            ),
                            on_change=lambda v: LeadsState.assign(d["id"], v),
                        ),
                    ),
                ),
                rx.hstack(
                    rx.spacer(),
                    rx.cond(d.contains("id"), lead_actions(d)),
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    width="100%",
                ),
                spacing="2",
            ),
            max_width="40em",
        ),
        open=LeadsState.detail_open,
        on_open_change=LeadsState.close_detail,
    )


def disqualify_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Disqualify lead"),
            rx.form(
                rx.vstack(
                    field_label("Reason", rx.input(name="reason", required=True, placeholder="No budget, spam…")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Disqualify", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=LeadsState.disqualify,
                reset_on_submit=True,
            ),
        ),
        open=LeadsState.disq_open,
        on_open_change=LeadsState.set_disq_open,
    )


def convert_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Convert ", LeadsState.conv_name, " to a deal"),
            rx.dialog.description(
                "Creates or links the account and the contact, and puts a deal in the first "
                "stage of the pipeline with everything the lead told us.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    error_callout(LeadsState.error),
                    field_label("Deal title", rx.input(name="title", placeholder="Defaults to the company name")),
                    field_label("Deal value", rx.input(name="value", placeholder="0", input_mode="decimal")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Create deal", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=LeadsState.convert,
                reset_on_submit=True,
            ),
        ),
        open=LeadsState.conv_open,
        on_open_change=LeadsState.set_conv_open,
    )
