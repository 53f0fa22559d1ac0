"""Settings > Outbox: every outside effect (e-mail, Stripe, DocuSign) with its state, its
attempts and the last failure, and a Retry button for those that gave up (owner, admin)."""

from __future__ import annotations

import reflex as rx

from l2c_app.outbox import service as svc
from l2c_app.ui import kit
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label
from l2c_app.ui.session import AuthState

ALL = "all"
STATUS_LABEL = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed"}
STATUS_COLOR = {"queued": "amber", "sending": "blue", "sent": "green", "failed": "red"}


class OutboxEffectsState(AuthState):
    effects: list[dict] = []
    counts: dict[str, int] = {}
    status: str = ALL
    error: str = ""

    async def _reload(self):
        done = await self._call(svc.list_effects, "" if self.status == ALL else self.status)
        counts = await self._call(svc.counts)
        if not done.ok:
            self.error = done.error
            return
        self.error = ""
        self.effects = [{k: str(v) for k, v in e.items()} for e in done.value]
        got = counts.value if counts.ok else {}
        self.counts = {k: int(got.get(k, 0)) for k in STATUS_LABEL}

    @rx.event
    @guard("settings")
    async def load(self):
        await self._reload()

    @rx.event
    @guard("settings")
    async def set_status(self, value: str):
        self.status = value if value in (ALL, *STATUS_LABEL) else ALL
        await self._reload()

    @rx.event
    @guard("settings")
    async def retry(self, effect_id: str):
        done = await self._call(svc.retry, self._actor(), int(effect_id))
        await self._reload()
        return done.toast("Queued again: the worker delivers it now.")


def _badge(status: rx.Var) -> rx.Component:
    return kit.status_badge(status, STATUS_COLOR, STATUS_LABEL)


def effect_card(e: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                _badge(e["status"]),
                rx.code(e["kind"], size="1"),
                rx.spacer(),
                rx.text(e["created"], size="1", color_scheme="gray"),
                width="100%",
                wrap="wrap",
            ),
            rx.text(e["summary"], weight="medium", size="2", style={"overflow_wrap": "anywhere"}),
            rx.hstack(
                rx.text("Attempts: ", e["attempts"], size="1"),
                rx.cond(e["sent"] != "", rx.text("Sent ", e["sent"], size="1", color_scheme="gray")),
                rx.cond(e["next"] != "", rx.text("Next try ", e["next"], size="1", color_scheme="gray")),
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                e["error"] != "",
                rx.callout(
                    e["error"],
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    style={"overflow_wrap": "anywhere"},
                ),
            ),
            rx.cond(
                e["can_retry"] == "True",
                rx.button(
                    rx.icon("rotate-cw", size=14),
                    "Retry now",
                    size="1",
                    variant="soft",
                    aria_label=rx.Var.create("Retry delivering: ") + e["summary"].to(str),
                    on_click=OutboxEffectsState.retry(e["id"]),
                ),
            ),
            width="100%",
            align="start",
        ),
        width="100%",
    )


@app_page("/settings/outbox", "Outbox deliveries", "settings", on_load=OutboxEffectsState.load)
def outbox_effects_page() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Every outside effect l2c asks for (e-mail, Stripe payment links, DocuSign envelopes) is written "
            "with the change that needs it and delivered right after, with retries.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            field_label(
                "Show",
                rx.select.root(
                    rx.select.trigger(aria_label="Show deliveries by state"),
                    rx.select.content(
                        rx.select.item("All", value=ALL), *[rx.select.item(v, value=k) for k, v in STATUS_LABEL.items()]
                    ),
                    value=OutboxEffectsState.status,
                    on_change=OutboxEffectsState.set_status,
                ),
            ),
            rx.hstack(
                *[
                    rx.badge(v, ": ", OutboxEffectsState.counts[k], variant="outline", color_scheme=STATUS_COLOR[k])
                    for k, v in STATUS_LABEL.items()
                ],
                wrap="wrap",
                spacing="2",
            ),
            align="end",
            wrap="wrap",
            spacing="4",
            width="100%",
        ),
        error_callout(OutboxEffectsState.error),
        rx.cond(
            OutboxEffectsState.effects.length() > 0,
            rx.vstack(rx.foreach(OutboxEffectsState.effects, effect_card), width="100%"),
            empty_state(
                "send",
                "Nothing to deliver",
                "E-mails, payment links and envelopes appear here once something asks for them.",
            ),
        ),
        width="100%",
        spacing="4",
    )
