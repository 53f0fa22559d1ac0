"""Settings > Audit: who did what to which record, when (organisation's time zone), with
the before/after of every changed field, filters, pages and a CSV export. Owner and admin
only (the "settings" section); the page is free of SQL (l2c_app/audit/service.py)."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from l2c_app.audit import service as svc
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import PHONE_HIDDEN, PHONE_ONLY, app_page, empty_state, error_callout, field_label
from l2c_app.ui.session import AuthState

ALL = "all"
FILTERS = ("entity", "action", "actor", "date_from", "date_to")


class AuditState(AuthState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    timezone: str = "UTC"
    entities: list[str] = []
    actions: list[str] = []
    actors: list[dict[str, str]] = []
    entity: str = ALL
    action: str = ALL
    actor: str = ALL
    date_from: str = ""
    date_to: str = ""
    error: str = ""
    loading: bool = True  # until the first load answers: the page shows a spinner, not "empty"

    def _filters(self) -> dict[str, str]:
        # Named one by one, not getattr: Reflex recomputes `export_url` from the fields it sees.
        values = {
            "entity": self.entity,
            "action": self.action,
            "actor": self.actor,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }
        return {k: v for k, v in values.items() if v and v != ALL}

    @rx.var
    def export_url(self) -> str:
        return "/api/v1/audit.csv?" + urlencode(self._filters())

    async def _reload(self):
        self.loading = True
        done = await self._call(svc.list_audit, svc.AuditFilters.of(self._filters()), self.page)
        self.loading = False
        if not done.ok:
            self.error = done.error
            return
        self.error = ""
        res = done.value
        self.rows = [{k: str(v) for k, v in r.items()} for r in res["rows"]]
        self.total, self.page, self.pages, self.timezone = res["total"], res["page"], res["pages"], res["timezone"]

    @rx.event
    @guard("settings")
    async def load(self):
        done = await self._call(svc.filter_options)
        if done.ok:
            self.entities, self.actions, self.actors = (
                done.value["entities"],
                done.value["actions"],
                done.value["actors"],
            )
        self.page = 1
        await self._reload()

    @rx.event
    @guard("settings")
    async def set_filter(self, name: str, value: str):
        if name in FILTERS:
            setattr(self, name, str(value or ""))
            self.page = 1
            await self._reload()

    @rx.event
    @guard("settings")
    async def clear_filters(self):
        self.entity = self.action = self.actor = ALL
        self.date_from = self.date_to = ""
        self.page = 1
        await self._reload()

    @rx.event
    @guard("settings")
    async def go_page(self, delta: int):
        self.page = max(1, min(self.pages, self.page + int(delta)))
        await self._reload()


def _select(label: str, name: str, value, all_text: str, items) -> rx.Component:
    return rx.box(
        field_label(
            label,
            rx.select.root(
                rx.select.trigger(aria_label=label),
                rx.select.content(rx.select.item(all_text, value=ALL), items),
                value=value,
                on_change=lambda v: AuditState.set_filter(name, v),
            ),
        ),
        width=["100%", "11em", "11em"],
    )


def _date(label: str, name: str, value) -> rx.Component:
    return rx.box(
        field_label(
            label,
            rx.input(type="date", value=value, aria_label=label, on_change=lambda v: AuditState.set_filter(name, v)),
        ),
        width=["100%", "10em", "10em"],
    )


def filters_bar() -> rx.Component:
    return rx.flex(
        _select(
            "Record type",
            "entity",
            AuditState.entity,
            "All record types",
            rx.foreach(AuditState.entities, lambda e: rx.select.item(e, value=e)),
        ),
        _select(
            "Action",
            "action",
            AuditState.action,
            "All actions",
            rx.foreach(AuditState.actions, lambda a: rx.select.item(a, value=a)),
        ),
        _select(
            "Who",
            "actor",
            AuditState.actor,
            "Everyone",
            rx.foreach(AuditState.actors, lambda a: rx.select.item(a["label"], value=a["value"])),
        ),
        _date("From", "date_from", AuditState.date_from),
        _date("To", "date_to", AuditState.date_to),
        rx.button("Clear filters", variant="soft", color_scheme="gray", on_click=AuditState.clear_filters),
        rx.spacer(),
        # A download of our own route (the session cookie authorises it), filtered like the page.
        rx.button(
            rx.icon("download", size=14),
            "Export CSV",
            variant="soft",
            on_click=rx.download(url=AuditState.export_url, filename="audit-log.csv"),
        ),
        align="end",
        width="100%",
        wrap="wrap",
        spacing="3",
    )


def audit_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["when"], white_space="nowrap", size="2")),
        rx.table.cell(rx.text(r["who"], size="2", weight="medium"), rx.text(r["actor"], size="1", color_scheme="gray")),
        rx.table.cell(rx.badge(r["action"], variant="soft")),
        rx.table.cell(rx.text(r["entity"], " #", r["entity_id"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.text(
                r["changes"],
                size="1",
                white_space="pre-wrap",
                word_break="break-word",
                font_family="var(--code-font-family)",
            )
        ),
        vertical_align="top",
    )


def audit_card(r: rx.Var) -> rx.Component:
    """The same entry on a phone: stacked, full width (a five-column table does not fit)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(r["action"], variant="soft"),
                rx.text(r["entity"], " #", r["entity_id"], size="2", weight="medium"),
                wrap="wrap",
                align="center",
            ),
            rx.text(r["who"], " · ", r["when"], size="2"),
            rx.text(r["actor"], size="1", color_scheme="gray"),
            rx.text(
                r["changes"],
                size="1",
                white_space="pre-wrap",
                word_break="break-word",
                font_family="var(--code-font-family)",
            ),
            spacing="1",
            width="100%",
        ),
        role="listitem",
        width="100%",
    )


def pager() -> rx.Component:
    return rx.flex(
        rx.text(
            AuditState.total,
            rx.cond(AuditState.total == 1, " entry", " entries"),
            " · page ",
            AuditState.page,
            " of ",
            AuditState.pages,
            size="2",
            color_scheme="gray",
        ),
        rx.spacer(),
        rx.button(
            "Previous page", variant="soft", size="1", disabled=AuditState.page <= 1, on_click=AuditState.go_page(-1)
        ),
        rx.button(
            "Next page",
            variant="soft",
            size="1",
            disabled=AuditState.page >= AuditState.pages,
            on_click=AuditState.go_page(1),
        ),
        width="100%",
        align="center",
        spacing="2",
        wrap="wrap",
    )


@app_page("/settings/audit", "Audit log", "settings", on_load=AuditState.load)
def audit_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link("Settings", href="/settings"), rx.text("/"), rx.text("Audit log"), spacing="2", align="center"
        ),
        rx.text(
            "Every change of a business record: who made it, when (times in ",
            AuditState.timezone,
            "), and each field before and after.",
            size="2",
            color_scheme="gray",
        ),
        filters_bar(),
        error_callout(AuditState.error),
        rx.cond(
            AuditState.loading & (AuditState.total == 0),
            rx.hstack(rx.spinner(), rx.text("Loading the audit log…"), align="center"),
            rx.cond(
                AuditState.total > 0,
                rx.vstack(
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    *[
                                        rx.table.column_header_cell(h)
                                        for h in ("When", "Who", "Action", "Record", "Before → after")
                                    ]
                                )
                            ),
                            rx.table.body(rx.foreach(AuditState.rows, audit_row)),
                            width="100%",
                            size="1",
                        ),
                        width="100%",
                        overflow_x="auto",
                        display=PHONE_HIDDEN,
                    ),
                    rx.flex(
                        rx.foreach(AuditState.rows, audit_card),
                        role="list",
                        aria_label="Audit entries",
                        direction="column",
                        spacing="2",
                        width="100%",
                        display=PHONE_ONLY,
                    ),
                    pager(),
                    width="100%",
                ),
                empty_state(
                    "scroll-text",
                    "No audit entries",
                    "Nothing matches these filters. Changes to leads, deals, quotes, contracts, projects, "
                    "invoices and settings appear here as they happen.",
                    rx.button("Clear filters", variant="soft", on_click=AuditState.clear_filters),
                ),
            ),
        ),
        width="100%",
        spacing="4",
    )
