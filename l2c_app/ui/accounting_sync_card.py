"""Settings > Accounting: the accounting connection, QuickBooks Online or Xero (connect /
disconnect; one at a time), the last sync, the records the system refused (with their error)
and "Retry failed records".

Connect stores the OAuth state and sends the browser to Intuit or Xero (the API has the same as
GET /api/accounting/qbo/connect and /api/accounting/xero/connect); the sync runs in a worker
thread with its own sessions.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from l2c_app.accounting.sync import connection as conn_service
from l2c_app.accounting.sync.engine import sync_pending
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

STATUS_TEXT = {
    "connected": "Connected",
    "disconnected": "Not connected",
    "pending": "Waiting for the consent page",
    "reconnect": "Access refused: connect again",
}


class AccountingSyncState(AuthState):
    qbo: dict[str, str] = {
        "status": "disconnected",
        "configured": "",
        "realm_id": "",
        "last_sync_at": "",
        "last_error": "",
        "label": "QuickBooks",
        "provider": "qbo",
        "qbo_configured": "",
        "xero_configured": "",
    }
    failed: list[dict[str, str]] = []
    syncing: bool = False

    async def _reload(self) -> None:
        done = await self._call(conn_service.status)
        if done.ok:
            st = done.value
            self.failed = st.pop("failed")
            self.qbo = {k: ("yes" if v is True else "" if v is False else str(v)) for k, v in st.items()}

    @rx.event
    @guard("settings")
    async def load(self):
        await self._reload()

    @rx.event
    @guard("settings")
    async def connect(self):
        """The one-time state is committed, then the browser leaves for Intuit's consent page
        (another host: a full page load); Intuit sends it back to /api/accounting/qbo/callback."""
        done = await self._call(conn_service.start_connect, self._actor(), "qbo")
        if not done.ok:
            return done.toast()
        return rx.redirect(done.value)

    @rx.event
    @guard("settings")
    async def connect_xero(self):
        """As `connect`, to Xero's consent page; back on /api/accounting/xero/callback."""
        done = await self._call(conn_service.start_connect, self._actor(), "xero")
        if not done.ok:
            return done.toast()
        return rx.redirect(done.value)

    @rx.event
    @guard("settings")
    async def disconnect(self):
        done = await self._call(conn_service.disconnect, self._actor())
        await self._reload()
        return done.toast("Accounting system disconnected")

    @rx.event
    @guard("settings")
    async def sync_now(self):
        if self.syncing:
            return
        self.syncing = True
        yield
        try:
            pushed = await asyncio.to_thread(sync_pending)
        finally:
            self.syncing = False
        await self._reload()
        label = self.qbo.get("label", "QuickBooks")
        yield (
            rx.toast.success(f"{pushed} record(s) sent to {label}")
            if not self.failed
            else rx.toast.warning(f"{pushed} record(s) sent; {len(self.failed)} refused by {label} (see below)")
        )


def _failed_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["label"], weight="medium")),
        rx.table.cell(rx.text(row["error"], size="2", style={"overflow_wrap": "anywhere"})),
        rx.table.cell(row["attempts"], display=rx.breakpoints(initial="none", sm="table-cell")),
    )


def accounting_sync_card() -> rx.Component:
    s = AccountingSyncState.qbo
    connected = s["status"] == "connected"
    return rx.card(
        rx.vstack(
            rx.heading("Accounting: ", rx.cond(connected, s["label"], "QuickBooks Online or Xero"), size="3"),
            rx.text(
                "Customers, invoices, credit notes, payments with their fees and refunds are sent to "
                "the connected system after each change and every hour. A record is sent once; an edit "
                "updates it.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.badge(
                    rx.match(s["status"], *STATUS_TEXT.items(), "Not connected"),
                    color_scheme=rx.match(s["status"], ("connected", "green"), ("reconnect", "red"), "gray"),
                    size="2",
                    aria_label=s["label"].to(str) + " connection status",
                ),
                rx.cond(
                    s["realm_id"] != "",
                    rx.text(s["label"], " organisation ", s["realm_id"], size="2", color_scheme="gray"),
                ),
                rx.cond(
                    s["last_sync_at"] != "",
                    rx.text("Last sync ", s["last_sync_at"], " UTC", size="2", color_scheme="gray"),
                ),
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            rx.cond(
                s["last_error"] != "",
                rx.callout(s["last_error"], icon="triangle-alert", color_scheme="amber", role="alert", width="100%"),
            ),
            rx.cond(
                (s["qbo_configured"] == "yes") | (s["xero_configured"] == "yes"),
                rx.flex(
                    rx.cond(
                        connected | (s["status"] == "reconnect"),
                        rx.fragment(
                            rx.cond(
                                connected,
                                rx.button(
                                    rx.icon("refresh-cw", size=14),
                                    "Sync with ",
                                    s["label"],
                                    " now",
                                    on_click=AccountingSyncState.sync_now,
                                    loading=AccountingSyncState.syncing,
                                ),
                                rx.button(
                                    rx.icon("plug", size=14),
                                    "Connect ",
                                    s["label"],
                                    " again",
                                    on_click=rx.cond(
                                        s["provider"] == "xero",
                                        AccountingSyncState.connect_xero,
                                        AccountingSyncState.connect,
                                    ),
                                ),
                            ),
                            rx.button(
                                "Disconnect ",
                                s["label"],
                                variant="soft",
                                color_scheme="red",
                                on_click=AccountingSyncState.disconnect,
                            ),
                        ),
                        rx.fragment(
                            rx.cond(
                                s["qbo_configured"] == "yes",
                                rx.button(
                                    rx.icon("plug", size=14), "Connect QuickBooks", on_click=AccountingSyncState.connect
                                ),
                            ),
                            rx.cond(
                                s["xero_configured"] == "yes",
                                rx.button(
                                    rx.icon("plug", size=14), "Connect Xero", on_click=AccountingSyncState.connect_xero
                                ),
                            ),
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text(
                    "Set QBO_CLIENT_ID and QBO_CLIENT_SECRET (QuickBooks) or XERO_CLIENT_ID and "
                    "XERO_CLIENT_SECRET (Xero) in the server's environment to connect "
                    "(README: Accounting).",
                    size="2",
                ),
            ),
            rx.cond(
                AccountingSyncState.failed.length() > 0,
                rx.vstack(
                    rx.hstack(
                        rx.text("Refused by ", s["label"], weight="bold"),
                        rx.spacer(),
                        rx.button(
                            "Retry failed records",
                            variant="soft",
                            size="1",
                            on_click=AccountingSyncState.sync_now,
                            loading=AccountingSyncState.syncing,
                            disabled=~connected,
                        ),
                        width="100%",
                        align="center",
                    ),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Record"),
                                rx.table.column_header_cell(s["label"], " said"),
                                rx.table.column_header_cell(
                                    "Attempts", display=rx.breakpoints(initial="none", sm="table-cell")
                                ),
                            )
                        ),
                        rx.table.body(rx.foreach(AccountingSyncState.failed, _failed_row)),
                        width="100%",
                        aria_label="Records the accounting system refused",
                    ),
                    width="100%",
                    spacing="2",
                ),
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
        on_mount=AccountingSyncState.load,
    )
