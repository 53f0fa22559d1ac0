"""Pages of the pipeline: the kanban board, the deal page, the stage settings."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec

from l2c_app.billing import components as billing
from l2c_app.clients.pages import board_new_deal
from l2c_app.contracts import components as contracts
from l2c_app.pipeline.account_panel import client_details_panel
from l2c_app.pipeline.state import ALL, BoardState, DealState, StageSettingsState
from l2c_app.projects import components as projects
from l2c_app.quotes import components as quotes
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label

BOARD_POLL_MS = 15000  # the fallback: changes are pushed (board_follow.py); the poll catches what was not


class DragDiv(rx.el.Div):
    """A div with the HTML5 drag-and-drop triggers (rx.el has none)."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


def move_menu(card: rx.Var) -> rx.Component:
    """Keyboard alternative to dragging: a menu of the other open stages."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                "Move to",
                rx.icon("chevron-down", size=12),
                size="1",
                variant="soft",
                aria_label=f"Move {card['title']} to",
                id=f"move-deal-{card['id']}",
            )
        ),
        rx.menu.content(
            rx.foreach(
                BoardState.stages,
                lambda s: rx.menu.item(s["name"], on_click=BoardState.move(card["id"], s["id"].to(str))),
            ),
            rx.menu.separator(),
            rx.menu.item("Won", on_click=BoardState.won(card["id"])),
            rx.menu.item("Lost…", color="red", on_click=BoardState.ask_lost(card["id"], card["title"])),
        ),
    )


def deal_card(card: rx.Var) -> rx.Component:
    return DragDiv.create(
        rx.card(
            rx.vstack(
                rx.link(card["title"], href=f"/deals/{card['id']}", weight="bold", size="2"),
                rx.cond(card["account"] != "", rx.text(card["account"], size="1", color_scheme="gray")),
                rx.hstack(
                    rx.text(card["value"], " excl. tax", size="2", weight="medium"),
                    rx.spacer(),
                    rx.text(card["age"], size="1", color_scheme="gray"),
                    width="100%",
                ),
                rx.hstack(rx.icon("user", size=12), rx.text(card["owner"], size="1"), align="center", spacing="1"),
                rx.cond(
                    card["next"] != "",
                    rx.hstack(
                        rx.icon("list-todo", size=12),
                        rx.text(card["next"], size="1", color_scheme="gray"),
                        align="center",
                        spacing="1",
                    ),
                ),
                rx.hstack(
                    move_menu(card),
                    rx.button(
                        "Won",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=BoardState.won(card["id"]),
                        aria_label=f"Mark {card['title']} won",
                    ),
                    rx.button(
                        "Lost",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=BoardState.ask_lost(card["id"], card["title"]),
                        aria_label=f"Mark {card['title']} lost",
                    ),
                    spacing="1",
                ),
                spacing="1",
                width="100%",
            ),
            size="1",
            width="100%",
        ),
        draggable=True,
        key=card["id"],  # React keeps each card by deal id (not by position): a move re-mounts one card
        on_drag_start=BoardState.start_drag(card["id"]),
        data_testid="deal-card",
        aria_label=card["title"],
        role="article",
        cursor="grab",
        width="100%",
    )


def column(col: rx.Var) -> rx.Component:
    return DragDiv.create(
        rx.vstack(
            rx.vstack(
                rx.hstack(rx.heading(col["name"], size="3"), rx.badge(col["count"]), align="center"),
                rx.text("Total ", col["total_text"], size="1", color_scheme="gray"),
                rx.text(
                    "Weighted ", col["weighted_text"], " (", col["probability"], " %)", size="1", color_scheme="gray"
                ),
                spacing="0",
            ),
            rx.foreach(col["cards"].to(list[dict]), deal_card),
            rx.cond(
                col["more"].to(int) > 0,
                rx.button("Show ", col["more"], " more", size="1", variant="ghost", on_click=BoardState.show_more),
            ),
            spacing="2",
            width="100%",
        ),
        on_drag_over=rx.prevent_default,
        key=col["id"],
        on_drop=BoardState.drop(col["id"]).prevent_default,
        role="region",
        aria_label=f"Stage {col['name']}",
        min_width="15em",
        width="15em",
        min_height="70vh",
        padding="0.5em",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 3),
    )


def lost_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Mark ", BoardState.lost_title, " lost"),
            rx.form(
                rx.vstack(
                    field_label(
                        "Reason",
                        rx.input(name="reason", required=True, placeholder="Price, timing, went with a competitor…"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Mark lost", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=BoardState.lost,
                reset_on_submit=True,
            ),
        ),
        open=BoardState.lost_open,
        on_open_change=BoardState.set_lost_open,
    )


@app_page("/pipeline", "Pipeline", "pipeline", on_load=BoardState.load)
def pipeline_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            field_label(
                "Owner",
                rx.select.root(
                    rx.select.trigger(aria_label="Owner"),
                    rx.select.content(
                        rx.select.item("Everyone", value=ALL),
                        rx.foreach(BoardState.team, lambda u: rx.select.item(u["name"], value=u["id"])),
                    ),
                    value=BoardState.owner,
                    on_change=BoardState.set_owner,
                ),
            ),
            rx.form(
                rx.hstack(
                    field_label("Expected close from", rx.input(name="close_from", type="date")),
                    field_label("to", rx.input(name="close_to", type="date")),
                    rx.button("Filter", type="submit", variant="soft"),
                    align="end",
                ),
                on_submit=BoardState.set_close,
                reset_on_submit=False,
            ),
            rx.spacer(),
            rx.cond(
                BoardState.live,
                rx.badge(
                    rx.icon("radio", size=12),
                    "Live",
                    color_scheme="green",
                    variant="soft",
                    title="Changes by others appear here at once",
                    aria_label="Live updates on",
                    role="status",
                ),
            ),
            board_new_deal(),
            align="end",
            spacing="4",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            BoardState.columns.length() > 0,
            rx.hstack(
                rx.foreach(BoardState.columns, column),
                align="start",
                spacing="3",
                overflow_x="auto",
                width="100%",
                padding_bottom="1em",
                class_name="l2c-board",
                custom_attrs={"data-scroll-region": "Deal board"},
            ),  # assets/a11y.js: Tab reaches it
            empty_state("kanban", "No stages yet", "Loading the board…"),
        ),
        lost_dialog(),
        # Other users' moves are pushed (BoardState.follow); a cheap version check is the fallback.
        rx.moment(interval=BOARD_POLL_MS, on_change=BoardState.tick, display="none"),
        width="100%",
        spacing="4",
    )


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


# --- settings -----------------------------------------------------------------------------------


def stage_row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.input(
                value=row["name"],
                on_change=lambda v: StageSettingsState.set_cell(index, "name", v),
                aria_label="Stage name",
                disabled=row["delete"].to(bool),
            )
        ),
        rx.table.cell(
            rx.input(
                value=row["position"],
                width="5em",
                input_mode="numeric",
                aria_label="Order",
                on_change=lambda v: StageSettingsState.set_cell(index, "position", v),
            )
        ),
        rx.table.cell(
            rx.input(
                value=row["probability"],
                width="5em",
                input_mode="numeric",
                aria_label="Win probability %",
                on_change=lambda v: StageSettingsState.set_cell(index, "probability", v),
            )
        ),
        rx.table.cell(rx.badge(row["kind"])),
        rx.table.cell(
            rx.cond(
                row["kind"] == "open",
                rx.button(
                    rx.cond(row["delete"].to(bool), "Keep stage", "Delete stage"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    type="button",
                    on_click=StageSettingsState.mark_delete(index),
                ),
            )
        ),
    )


@app_page("/settings/pipeline", "Pipeline settings", "settings", on_load=StageSettingsState.load)
def pipeline_settings_page() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Stages", size="3"),
                rx.text(
                    "The board shows the open stages in this order. Won and Lost close a deal.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Name", "Order", "Win probability %", "Kind", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(StageSettingsState.rows, stage_row)),
                    width="100%",
                ),
                rx.button("Add a stage", type="button", variant="soft", on_click=StageSettingsState.add_row),
                rx.separator(),
                field_label(
                    "Stale after (days without activity)",
                    rx.input(
                        name="stale_days",
                        default_value=StageSettingsState.stale_days,
                        key=StageSettingsState.stale_days,
                        input_mode="numeric",
                        width="8em",
                    ),
                    "My day lists your open deals with no activity for this long.",
                ),
                error_callout(StageSettingsState.error),
                rx.button("Save pipeline settings", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=StageSettingsState.save,
            reset_on_submit=False,
        ),
        width="100%",
        max_width="56em",
    )
