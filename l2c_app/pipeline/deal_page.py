"""The deal page (/deals/[deal_id]): details, timeline, activities, the documents of the deal."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing import components as billing
from l2c_app.contracts import components as contracts
from l2c_app.pipeline.account_panel import client_details_panel
from l2c_app.pipeline.state import DealState
from l2c_app.projects import components as projects
from l2c_app.quotes import components as quotes
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label

# --- the deal page ------------------------------------------------------------------------------

KIND_ICONS = {
    "note": "sticky-note",
    "call": "phone",
    "meeting": "users",
    "email": "mail",
    "task": "list-todo",
    "stage": "arrow-right-left",
    "system": "info",
}


def timeline_item(ev: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.match(ev["kind"], *KIND_ICONS.items(), "info"), size=16, color=rx.color("accent", 10)),
        rx.vstack(
            rx.hstack(
                rx.cond(
                    ev["kind"] == "task",
                    rx.checkbox(
                        checked=ev["done"] != "",
                        on_change=lambda c: DealState.toggle_task(ev["id"], c),
                        aria_label=f"Done: {ev['subject']}",
                    ),
                ),
                rx.text(
                    ev["subject"],
                    weight="medium",
                    size="2",
                    text_decoration=rx.cond(
                        ev["done"] != "", rx.cond(ev["kind"] == "task", "line-through", "none"), "none"
                    ),
                ),
                rx.cond(ev["overdue"] != "", rx.badge("overdue", color_scheme="red")),
                rx.cond(ev["due"] != "", rx.text("due ", ev["due"], size="1", color_scheme="gray")),
                align="center",
                spacing="2",
            ),
            rx.cond(ev["body"] != "", rx.text(ev["body"], size="2", white_space="pre-wrap")),
            rx.text(ev["kind"], " · ", ev["who"], " · ", ev["when"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        align="start",
        spacing="3",
        width="100%",
        padding_y="0.4em",
        border_bottom="1px solid var(--gray-a4)",
    )


def _text(value: rx.Var) -> rx.Var:
    """A nullable field as text for an input ("" for None)."""
    return rx.cond(value, value.to(str), "")


def deal_fields() -> rx.Component:
    d = DealState.deal
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Details", size="3"),
                error_callout(DealState.error),
                field_label("Title", rx.input(name="title", default_value=d["title"], key=d["updated_at"])),
                rx.hstack(
                    field_label(
                        "Value excl. tax (" + d["currency"].to(str) + ")",
                        rx.input(
                            name="value", default_value=d["value_major"], key=d["updated_at"], input_mode="decimal"
                        ),
                    ),
                    field_label(
                        "Probability %",
                        rx.input(
                            name="probability",
                            key=d["updated_at"],
                            default_value=_text(d["probability"]),
                            placeholder=d["effective_probability"].to(str),
                        ),
                    ),
                    width="100%",
                ),
                field_label(
                    "Expected close",
                    rx.input(
                        name="expected_close",
                        type="date",
                        key=d["updated_at"],
                        default_value=_text(d["expected_close"]),
                    ),
                ),
                field_label(
                    "Description",
                    rx.text_area(
                        name="description", rows="4", key=d["updated_at"], default_value=_text(d["description"])
                    ),
                ),
                rx.button("Save deal", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=DealState.save,
            reset_on_submit=False,
        ),
        width="100%",
    )


def add_activity_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Log an activity", size="3"),
                rx.hstack(
                    field_label(
                        "Kind",
                        rx.select(
                            ["note", "call", "meeting", "email", "task"],
                            value=DealState.activity_kind,
                            on_change=DealState.set_activity_kind,
                            custom_attrs={"aria-label": "Kind"},
                        ),
                    ),
                    field_label("Subject", rx.input(name="subject", required=True)),
                    rx.cond(
                        DealState.activity_kind == "task",
                        field_label("Due", rx.input(name="due", type="datetime-local")),
                    ),
                    width="100%",
                    align="end",
                ),
                field_label("Notes", rx.text_area(name="body", rows="2")),
                rx.button("Add to timeline", type="submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=DealState.add_activity,
            reset_on_submit=True,
        ),
        width="100%",
    )


def deal_sidebar() -> rx.Component:
    d = DealState.deal
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading("Status", size="3"),
                # An open deal shows its stage; a closed one only "Won" or "Lost" (its stage says the same).
                rx.hstack(
                    rx.cond(d["status"] == "open", rx.badge(d["stage_name"], size="2")),
                    rx.badge(
                        rx.match(d["status"], ("won", "Won"), ("lost", "Lost"), "Open"),
                        color_scheme=rx.match(d["status"], ("won", "green"), ("lost", "red"), "blue"),
                    ),
                    spacing="2",
                ),
                rx.cond(d["lost_reason"], rx.text("Lost because: ", d["lost_reason"].to(str), size="2")),
                field_label(
                    "Stage",
                    rx.select.root(
                        rx.select.trigger(aria_label="Stage"),
                        rx.select.content(
                            rx.foreach(
                                DealState.stages,
                                lambda s: rx.select.item(
                                    s["name"], value=s["id"].to(str), disabled=s["kind"] != "open"
                                ),
                            )
                        ),
                        value=d["stage_id"].to(str),
                        on_change=DealState.move,
                    ),
                ),
                rx.hstack(
                    rx.cond(
                        d["status"] != "won",
                        rx.button("Mark won", color_scheme="green", variant="soft", on_click=DealState.won),
                    ),
                    rx.cond(
                        d["status"] != "lost",
                        rx.button(
                            "Mark lost", color_scheme="red", variant="soft", on_click=DealState.set_lost_open(True)
                        ),
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Owner", size="3"),
                rx.text(d["owner_name"], size="2"),
                field_label(
                    "Reassign to",
                    rx.select.root(
                        rx.select.trigger(placeholder="Pick a colleague", aria_label="Reassign to"),
                        rx.select.content(
                            rx.foreach(DealState.team, lambda u: rx.select.item(u["name"], value=u["id"]))
                        ),
                        on_change=DealState.reassign,
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Contacts", size="3"),
                rx.cond(d["account_name"] != "", rx.text(d["account_name"], weight="medium", size="2")),
                rx.foreach(
                    d["contacts"].to(list[dict]),
                    lambda c: rx.vstack(
                        rx.hstack(
                            rx.text(c["name"], size="2", weight="medium"),
                            rx.cond(c["primary"] != "", rx.badge("primary", size="1")),
                        ),
                        rx.cond(c["email"] != "", rx.link(c["email"], href="mailto:" + c["email"].to(str), size="1")),
                        rx.cond(c["phone"] != "", rx.text(c["phone"], size="1")),
                        spacing="0",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        client_details_panel(),
        width="22em",
        min_width="22em",
        spacing="3",
    )


def deal_lost_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Mark this deal lost"),
            rx.form(
                rx.vstack(
                    field_label("Reason", rx.input(name="reason", required=True)),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Mark lost", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=DealState.lost,
                reset_on_submit=True,
            ),
        ),
        open=DealState.lost_open,
        on_open_change=DealState.set_lost_open,
    )


@app_page("/deals/[deal_id]", "Deal", "pipeline", on_load=DealState.load)
def deal_page() -> rx.Component:
    d = DealState.deal
    return rx.cond(
        DealState.not_found,
        empty_state(
            "search-x",
            "No such deal",
            "It may have been removed. Go back to the board.",
            rx.link(rx.button("Open the pipeline"), href="/pipeline"),
        ),
        rx.vstack(
            rx.hstack(
                rx.link("← Pipeline", href="/pipeline", size="2"),
                rx.heading(d["title"], size="6"),
                align="center",
                spacing="4",
            ),
            rx.hstack(
                rx.vstack(
                    deal_fields(),
                    quotes.deal_panel(),
                    contracts.deal_panel(),
                    projects.deal_panel(),
                    billing.deal_panel(),
                    add_activity_form(),
                    rx.card(
                        rx.vstack(
                            rx.heading("Timeline", size="3"),
                            rx.foreach(DealState.events, timeline_item),
                            spacing="1",
                            width="100%",
                        ),
                        width="100%",
                    ),
                    width="100%",
                    spacing="3",
                ),
                deal_sidebar(),
                align="start",
                width="100%",
                spacing="4",
            ),
            deal_lost_dialog(),
            width="100%",
            spacing="3",
        ),
    )
