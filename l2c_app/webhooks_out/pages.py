"""Settings > Webhooks: add an endpoint (its signing secret shown once, with a copy button),
send a test event, rotate the secret, disable/enable, delete, and each endpoint's delivery
log with Replay. Owner and admin only (the "settings" section); no SQL here (service.py,
views.py). A test event or a replay is sent right after its commit, off the event loop."""

from __future__ import annotations

import asyncio

import reflex as rx

from l2c_app.ui import kit
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import PHONE_HIDDEN, PHONE_ONLY, app_page, empty_state, error_callout, field_label
from l2c_app.ui.session import AuthState
from l2c_app.webhooks_out import service as svc
from l2c_app.webhooks_out import views


def _types(text: str) -> list[str]:
    return [t.strip() for t in (text or "").replace("\n", ",").split(",") if t.strip()]


class WebhooksState(AuthState):
    endpoints: list[dict[str, str]] = []
    deliveries: list[dict[str, str]] = []
    selected_id: str = ""
    selected_url: str = ""
    new_secret: str = ""
    new_secret_url: str = ""
    error: str = ""
    working: str = ""  # what is being sent ("" when nothing)

    async def _reload(self):
        done = await self._call(views.endpoint_rows)
        if done.ok:
            self.endpoints = done.value
        if self.selected_id:
            await self._load_log()

    async def _load_log(self):
        done = await self._call(views.delivery_rows, int(self.selected_id))
        if done.ok:
            self.deliveries = done.value
        else:  # the endpoint was deleted meanwhile
            self.selected_id, self.selected_url, self.deliveries = "", "", []

    @rx.event
    @guard("settings")
    async def load(self):
        self.new_secret = self.new_secret_url = self.error = ""
        await self._reload()

    @rx.event
    @guard("settings")
    async def create(self, form: dict):
        done = await self._call(
            svc.create_endpoint,
            self._actor(),
            url=form.get("url", ""),
            event_types=_types(form.get("event_types", "")),
            description=form.get("description", ""),
        )
        if not done.ok:
            self.error = done.error
            return None
        endpoint, secret = done.value
        self.error = ""
        self.new_secret, self.new_secret_url = secret, endpoint.url
        await self._reload()
        return rx.toast.success("Endpoint added. Copy its signing secret now: it is shown once.")

    @rx.event
    @guard("settings")
    async def rotate(self, endpoint_id: str):
        done = await self._call(svc.rotate_secret, self._actor(), int(endpoint_id))
        if not done.ok:
            return done.toast()
        endpoint, secret = done.value
        self.new_secret, self.new_secret_url = secret, endpoint.url
        await self._reload()
        return rx.toast.success("New secret made. The old one keeps signing for 24 hours, beside the new one.")

    @rx.event
    @guard("settings")
    async def set_enabled(self, endpoint_id: str, enabled: bool):
        done = await self._call(svc.update_endpoint, self._actor(), int(endpoint_id), enabled=bool(enabled))
        await self._reload()
        return done.toast("Endpoint enabled." if enabled else "Endpoint disabled: no events are sent to it.")

    @rx.event
    @guard("settings")
    async def remove(self, endpoint_id: str):
        done = await self._call(svc.delete_endpoint, self._actor(), int(endpoint_id))
        if done.ok and self.selected_id == endpoint_id:
            self.selected_id, self.selected_url, self.deliveries = "", "", []
        await self._reload()
        return done.toast("Endpoint deleted with its delivery log.")

    @rx.event
    @guard("settings")
    async def show_log(self, endpoint_id: str):
        self.selected_id = endpoint_id
        self.selected_url = next((e["url"] for e in self.endpoints if e["id"] == endpoint_id), "")
        await self._load_log()

    @rx.event
    @guard("settings")
    async def refresh_log(self):
        await self._reload()

    @rx.event
    @guard("settings")
    async def send_test(self, endpoint_id: str):
        done = await self._call(svc.send_test, self._actor(), int(endpoint_id))
        if not done.ok:
            yield done.toast()
            return
        self.working = "test"
        self.selected_id = endpoint_id
        self.selected_url = next((e["url"] for e in self.endpoints if e["id"] == endpoint_id), "")
        yield
        # Committed: now send it (a worker thread; no transaction is open during the request).
        await asyncio.to_thread(svc.deliver_due, None, 1, [done.value.id])
        self.working = ""
        await self._reload()
        yield rx.toast.info("Test event sent; its outcome is in the delivery log.")

    @rx.event
    @guard("settings")
    async def replay(self, delivery_id: str):
        if not self.selected_id:
            return
        done = await self._call(svc.replay, self._actor(), int(self.selected_id), int(delivery_id))
        if not done.ok:
            yield done.toast()
            return
        self.working = delivery_id
        yield
        await asyncio.to_thread(svc.deliver_due, None, 1, [int(delivery_id)])
        self.working = ""
        await self._reload()
        yield rx.toast.info("Delivery replayed; its outcome is in the log.")

    @rx.event
    def dismiss_secret(self):
        self.new_secret = self.new_secret_url = ""


def secret_callout() -> rx.Component:
    return rx.cond(
        WebhooksState.new_secret != "",
        rx.callout(
            rx.vstack(
                rx.text(
                    "Signing secret for ",
                    rx.text.strong(WebhooksState.new_secret_url),
                    ". Copy it now: it will not be shown again.",
                    size="2",
                ),
                rx.code(WebhooksState.new_secret, aria_label="Signing secret", word_break="break-all"),
                rx.hstack(
                    rx.button(
                        rx.icon("copy", size=14),
                        "Copy secret",
                        size="2",
                        variant="soft",
                        on_click=[rx.set_clipboard(WebhooksState.new_secret), rx.toast.success("Secret copied.")],
                    ),
                    rx.button(
                        "I have saved it",
                        size="2",
                        variant="ghost",
                        color_scheme="gray",
                        on_click=WebhooksState.dismiss_secret,
                    ),
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            icon="key",
            color_scheme="amber",
            width="100%",
            role="status",
        ),
    )


def add_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Add an endpoint", size="3"),
            rx.text(
                "l2c POSTs each event as JSON, signed per the Standard Webhooks specification "
                "(webhook-id, webhook-timestamp, webhook-signature headers). A failed delivery is retried "
                "for 3 days.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(WebhooksState.error),
            rx.form(
                rx.vstack(
                    field_label(
                        "Endpoint URL",
                        rx.input(name="url", placeholder="https://example.com/hooks/l2c", required=True, type="url"),
                    ),
                    field_label("Description", rx.input(name="description", placeholder="e.g. accounting sync")),
                    field_label(
                        "Event types",
                        rx.input(name="event_types", placeholder="e.g. invoice.paid, payment.received"),
                        "Comma-separated; leave empty for every event. Known: " + ", ".join(svc.EVENT_TYPES) + ".",
                    ),
                    rx.button(rx.icon("plus", size=14), "Add endpoint", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=WebhooksState.create,
                reset_on_submit=True,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def endpoint_card(e: rx.Var) -> rx.Component:
    enabled = e["status"] == "Enabled"
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(e["url"], weight="bold", word_break="break-all"),
                rx.spacer(),
                rx.badge(e["status"], color_scheme=rx.cond(enabled, "green", "red")),
                width="100%",
                spacing="2",
                align="center",
            ),
            rx.cond(e["description"] != "", rx.text(e["description"], size="2", color_scheme="gray")),
            rx.text("Events: ", e["events"], size="2"),
            rx.cond(
                e["reason"] != "",
                rx.callout(e["reason"], icon="triangle-alert", color_scheme="red", size="1", width="100%"),
            ),
            rx.cond(
                e["rotated_until"] != "",
                rx.text(
                    "The previous secret also signs until ", e["rotated_until"], ".", size="1", color_scheme="gray"
                ),
            ),
            rx.flex(
                rx.button(
                    rx.icon("list", size=14),
                    "Show deliveries",
                    size="1",
                    variant="soft",
                    on_click=WebhooksState.show_log(e["id"]),
                ),
                rx.button(
                    rx.icon("send", size=14),
                    "Send test event",
                    size="1",
                    variant="soft",
                    disabled=~enabled,
                    loading=WebhooksState.working == "test",
                    on_click=WebhooksState.send_test(e["id"]),
                ),
                rx.button(
                    rx.icon("refresh-cw", size=14),
                    "Rotate secret",
                    size="1",
                    variant="soft",
                    on_click=WebhooksState.rotate(e["id"]),
                ),
                rx.cond(
                    enabled,
                    rx.button(
                        "Disable",
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        on_click=WebhooksState.set_enabled(e["id"], False),
                    ),
                    rx.button(
                        "Enable",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=WebhooksState.set_enabled(e["id"], True),
                    ),
                ),
                rx.button(
                    rx.icon("trash-2", size=14),
                    "Delete endpoint",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=WebhooksState.remove(e["id"]),
                ),
                wrap="wrap",
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _status_badge(d: rx.Var) -> rx.Component:
    return kit.status_badge(d["status"], {"Delivered": "green", "Failed": "red"}, default="amber")


def _replay_button(d: rx.Var) -> rx.Component:
    return rx.cond(
        d["can_replay"] != "",
        rx.button(
            "Replay",
            size="1",
            variant="soft",
            loading=WebhooksState.working == d["id"],
            aria_label="Replay delivery " + d["id"],
            on_click=WebhooksState.replay(d["id"]),
        ),
    )


def delivery_item(d: rx.Var) -> rx.Component:
    """One delivery on a phone: the table's columns stacked."""
    return rx.vstack(
        rx.hstack(rx.code(d["event"]), _status_badge(d), rx.spacer(), _replay_button(d), width="100%", align="center"),
        rx.text("Code ", d["code"], " · ", d["attempts"], " attempt(s) · ", d["time"], size="1"),
        rx.cond(d["next"] != "", rx.text("Next attempt ", d["next"], size="1", color_scheme="gray")),
        rx.cond(d["excerpt"] != "", rx.text(d["excerpt"], size="1", color_scheme="gray", word_break="break-all")),
        spacing="1",
        width="100%",
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
    )


def delivery_log() -> rx.Component:
    head = ("Event", "Status", "Code", "Attempts", "Last attempt", "Answer", "")
    return rx.cond(
        WebhooksState.selected_id != "",
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading("Delivery log", size="3"),
                    rx.text(WebhooksState.selected_url, size="2", color_scheme="gray", word_break="break-all"),
                    rx.spacer(),
                    rx.button(
                        rx.icon("rotate-cw", size=14),
                        "Refresh log",
                        size="1",
                        variant="soft",
                        on_click=WebhooksState.refresh_log,
                    ),
                    wrap="wrap",
                    spacing="2",
                    align="center",
                    width="100%",
                ),
                rx.cond(
                    WebhooksState.deliveries.length() > 0,
                    rx.fragment(
                        rx.box(
                            rx.table.root(
                                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in head])),
                                rx.table.body(
                                    rx.foreach(
                                        WebhooksState.deliveries,
                                        lambda d: rx.table.row(
                                            rx.table.cell(rx.code(d["event"])),
                                            rx.table.cell(_status_badge(d)),
                                            rx.table.cell(d["code"]),
                                            rx.table.cell(d["attempts"]),
                                            rx.table.cell(
                                                d["time"],
                                                rx.cond(
                                                    d["next"] != "",
                                                    rx.text("next ", d["next"], size="1", color_scheme="gray"),
                                                ),
                                            ),
                                            rx.table.cell(
                                                rx.text(
                                                    d["excerpt"], size="1", max_width="22em", word_break="break-all"
                                                )
                                            ),
                                            rx.table.cell(_replay_button(d)),
                                        ),
                                    )
                                ),
                                width="100%",
                                size="1",
                            ),
                            overflow_x="auto",
                            width="100%",
                            display=PHONE_HIDDEN,
                        ),
                        rx.vstack(
                            rx.foreach(WebhooksState.deliveries, delivery_item),
                            spacing="0",
                            width="100%",
                            display=PHONE_ONLY,
                        ),
                    ),
                    rx.text(
                        "No deliveries yet: events this endpoint subscribes to appear here.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


@app_page("/settings/webhooks", "Webhooks", "settings", on_load=WebhooksState.load)
def webhooks_page() -> rx.Component:
    return rx.vstack(
        rx.link("← Settings", href="/settings", size="2"),
        secret_callout(),
        rx.cond(
            WebhooksState.endpoints.length() > 0,
            rx.vstack(rx.foreach(WebhooksState.endpoints, endpoint_card), width="100%", spacing="3"),
            empty_state(
                "webhook",
                "No webhook endpoints yet",
                "Add a URL below and l2c will POST signed events to it (an invoice paid, a contract "
                "signed, ...) as they happen.",
            ),
        ),
        delivery_log(),
        add_form(),
        spacing="4",
        width="100%",
    )
