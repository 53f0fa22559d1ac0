""" "New deal" for a client: the form, on the client page and on the pipeline board."""

from __future__ import annotations

import reflex as rx

from l2c_app.clients.state import ClientState, NewDealState
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import error_callout, field_label


def deal_form(on_submit, error, with_client: bool, clients=None, on_cancel=None) -> rx.Component:
    return rx.form(
        rx.vstack(
            error_callout(error),
            field_label("Deal title", rx.input(name="title", required=True, placeholder="e.g. Website relaunch")),
            field_label("Value excl. tax", rx.input(name="value", placeholder="e.g. 12000", input_mode="decimal")),
            *(
                [
                    rx.el.label(
                        rx.text("Client", size="2", weight="medium"),
                        native_select([("", "No client yet")], name="client_id", dynamic=clients, width="100%"),
                        width="100%",
                    ),
                    field_label("Or a new client", rx.input(name="new_client", placeholder="New client's name")),
                ]
                if with_client
                else []
            ),
            rx.hstack(
                rx.dialog.close(
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=on_cancel)
                ),
                rx.button("Create deal", type="submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def client_new_deal() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=14), "New deal")),
        rx.dialog.content(
            rx.dialog.title("New deal for ", ClientState.details["name"]),
            deal_form(ClientState.create_deal, ClientState.deal_error, False, on_cancel=ClientState.open_deal(False)),
            max_width="28em",
        ),
        open=ClientState.deal_open,
        on_open_change=ClientState.open_deal,
    )


def board_new_deal() -> rx.Component:
    """The pipeline board's "New deal" (an existing client or a new one)."""
    return rx.dialog.root(
        rx.button(rx.icon("plus", size=14), "New deal", on_click=NewDealState.show),
        rx.dialog.content(
            rx.dialog.title("New deal"),
            deal_form(
                NewDealState.create, NewDealState.error, True, NewDealState.clients, on_cancel=NewDealState.close(False)
            ),
            max_width="28em",
        ),
        open=NewDealState.open,
        on_open_change=NewDealState.close,
    )
