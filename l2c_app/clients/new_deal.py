""" "New deal" for a client: the form dialog, on the client page and on the pipeline board."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState, NewDealState
from l2c_app.ui import kit


def deal_fields(with_client: bool, clients=None) -> list[rx.Component]:
    fields = [
        kit.field("Deal title", rx.input(name="title", required=True, placeholder="e.g. Website relaunch")),
        kit.field("Value excl. tax", rx.input(name="value", placeholder="e.g. 12000", input_mode="decimal")),
    ]
    if with_client:
        fields += [
            rx.el.label(
                rx.text("Client", size="2", weight="medium"),
                kit.native_select([("", "No client yet")], name="client_id", dynamic=clients, width="100%"),
                width="100%",
            ),
            kit.field("Or a new client", rx.input(name="new_client", placeholder="New client's name")),
        ]
    return fields


def client_new_deal() -> rx.Component:
    return kit.form_dialog(
        ("New deal for ", ClientState.details["name"]),
        *deal_fields(False),
        trigger=rx.dialog.trigger(rx.button(rx.icon("plus", size=14), "New deal")),
        on_submit=ClientState.create_deal,
        submit_label="Create deal",
        error=ClientState.deal_error,
        on_cancel=ClientState.open_deal(False),
        open=ClientState.deal_open,
        on_open_change=ClientState.open_deal,
    )


def board_new_deal() -> rx.Component:
    """The pipeline board's "New deal" (an existing client or a new one)."""
    return kit.form_dialog(
        "New deal",
        *deal_fields(True, NewDealState.clients),
        trigger=rx.button(rx.icon("plus", size=14), "New deal", on_click=NewDealState.show),
        on_submit=NewDealState.create,
        submit_label="Create deal",
        error=NewDealState.error,
        on_cancel=NewDealState.close(False),
        open=NewDealState.open,
        on_open_change=NewDealState.close,
    )
