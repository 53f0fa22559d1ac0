"""The kanban board page (/pipeline): columns, cards, the "Move to" menu, the lost dialog."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec
from reflex_base.vars.base import VarData

from l2c_app.clients.pages import board_new_deal
from l2c_app.pipeline.state import ALL, CARD_BUCKETS, BoardState
from l2c_app.ui.layout import app_page, empty_state, field_label

BOARD_POLL_MS = 15000  # the fallback: changes are pushed (board_follow.py); the poll catches what was not


class DragDiv(rx.el.Div):
    """A div with the HTML5 drag-and-drop triggers (rx.el has none)."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


def move_menu(card: rx.Var, stages: rx.Var) -> rx.Component:
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
                stages.to(list[dict]),
                lambda s: rx.menu.item(s["name"], on_click=BoardState.move(card["id"], s["id"].to(str))),
            ),
            rx.menu.separator(),
            rx.menu.item("Won", on_click=BoardState.won(card["id"])),
            rx.menu.item("Lost…", color="red", on_click=BoardState.ask_lost(card["id"], card["title"])),
        ),
    )


@rx.memo
def deal_card(card: rx.Var[dict], stages: rx.Var[list[dict]], rest: rx.RestProp) -> rx.Component:
    """One card, a React memo of its own: it reads no state var, only its props (the card and
    the stages of its menu). The client keeps an unchanged card's object (the cards_<n> buckets are
    keyed by deal id), so a move re-renders the moved card, not all of them."""
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
                    move_menu(card, stages),
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
        rest,  # forwards `key` (React keeps each card by deal id)
        draggable=True,
        on_drag_start=BoardState.start_drag(card["id"]),
        data_testid="deal-card",
        aria_label=card["title"],
        role="article",
        cursor="grab",
        width="100%",
    )


def card_of(deal_id: rx.Var) -> rx.Var:
    """The card of `deal_id` (a string) from its bucket, `BoardState.cards_<id % CARD_BUCKETS>`."""
    buckets = rx.Var.create([getattr(BoardState, f"cards_{n}") for n in range(CARD_BUCKETS)])
    return rx.Var(
        f"{buckets}[Number({deal_id}) % {CARD_BUCKETS}][{deal_id}]",
        _var_data=VarData.merge(buckets._get_all_var_data(), deal_id._get_all_var_data()),
    ).to(dict)


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
            rx.foreach(
                col["ids"].to(list[str]),
                # keyed by deal id (not by position): a move re-mounts one card
                lambda i: deal_card(card=card_of(i), stages=BoardState.stages, key=i),
            ),
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
