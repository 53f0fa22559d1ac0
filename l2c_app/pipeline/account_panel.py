"""The deal page's "Client details" card: the client's address and VAT id (thin state)."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.pipeline import accounts
from l2c_app.ui.layout import error_callout, field_label
from l2c_app.ui.session import AuthState, route_id


class ClientDetailsState(AuthState):
    client: dict[str, str] = {}
    client_error: str = ""
    client_editing: bool = False

    @rx.event
    async def load_client(self):
        access = await self._access("pipeline")
        if not access.allowed:
            return None
        self.client = await run_db(accounts.deal_account_details, route_id(self, "deals"))
        self.client_error, self.client_editing = "", False
        return None

    @rx.event
    def edit_client(self):
        self.client_editing = True

    @rx.event
    def cancel_client(self):
        self.client_editing, self.client_error = False, ""

    @rx.event
    async def save_client(self, form: dict):
        access = await self._access("pipeline")
        if not access.allowed:
            return access.denial()
        account_id = int(self.client.get("id") or 0)
        try:
            await run_db(
                accounts.update_account_details,
                Actor("user", access.viewer.id),
                account_id,
                name=form.get("name", ""),
                address=form.get("address", ""),
                tax_id=form.get("tax_id", ""),
            )
        except DomainError as exc:
            self.client_error = ui_message(exc)
            return None
        self.client = await run_db(accounts.account_details, account_id)
        self.client_error, self.client_editing = "", False
        return rx.toast.success("Client details saved.")


def client_details_card() -> rx.Component:
    c = ClientDetailsState.client
    return rx.cond(
        c["id"] != "",
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Client details", size="3"),
                    rx.spacer(),
                    rx.cond(
                        ~ClientDetailsState.client_editing,
                        rx.button(
                            "Edit client details", size="1", variant="soft", on_click=ClientDetailsState.edit_client
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    ClientDetailsState.client_editing,
                    rx.form(
                        rx.vstack(
                            error_callout(ClientDetailsState.client_error),
                            field_label("Client name", rx.input(name="name", default_value=c["name"], required=True)),
                            field_label(
                                "Billing address", rx.text_area(name="address", default_value=c["address"], rows="3")
                            ),
                            field_label(
                                "Client VAT id",
                                rx.input(name="tax_id", default_value=c["tax_id"], placeholder="e.g. DE123456789"),
                                "Printed on the client's invoices.",
                            ),
                            rx.hstack(
                                rx.button(
                                    "Cancel",
                                    type="button",
                                    variant="soft",
                                    color_scheme="gray",
                                    on_click=ClientDetailsState.cancel_client,
                                ),
                                rx.button("Save client details", type="submit"),
                                justify="end",
                                width="100%",
                            ),
                            spacing="2",
                            width="100%",
                        ),
                        on_submit=ClientDetailsState.save_client,
                        reset_on_submit=False,
                        width="100%",
                    ),
                    rx.vstack(
                        rx.text(c["name"], weight="medium", size="2"),
                        rx.cond(
                            c["address"] != "",
                            rx.text(c["address"], size="2", white_space="pre-line"),
                            rx.text("No billing address yet.", size="2", color_scheme="gray"),
                        ),
                        rx.cond(
                            c["tax_id"] != "",
                            rx.text("VAT id: ", c["tax_id"], size="2"),
                            rx.text("No VAT id yet.", size="2", color_scheme="gray"),
                        ),
                        spacing="1",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.fragment(),
    )


def client_details_panel() -> rx.Component:
    """Mounted on the deal page; loads the deal's client when the page shows."""
    return rx.box(client_details_card(), width="100%", on_mount=ClientDetailsState.load_client)
