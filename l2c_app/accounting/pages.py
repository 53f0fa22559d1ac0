"""Settings > Accounting (where the journal posts) and Settings > Accounting > Export (batches).

Owner and admin change the accounts ("settings"); the Export page is also open to the billing
role ("accounting"). Downloads are plain routes (/api/v1/accounting/journal), authorised by the
session cookie. Pages are free of SQL (accounting/views.py)."""

from __future__ import annotations

import reflex as rx

from l2c_app.accounting import views
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import PHONE_HIDDEN, PHONE_ONLY, app_page, empty_state, error_callout, field_label
from l2c_app.ui.session import AuthState

PENDING_CSV = "/api/v1/accounting/journal?status=unexported&format=csv"


class AccountingState(AuthState):
    accounts: list[dict[str, str]] = []
    income: list[dict[str, str]] = []
    taxes: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        done = await self._call(views.settings_rows)
        if done.ok:
            self.accounts, self.income, self.taxes = done.value["accounts"], done.value["income"], done.value["tax"]
            self.error = ""
        else:
            self.error = done.error

    @rx.event
    @guard("settings")
    async def save(self, form: dict):
        done = await self._call(views.save_form, self._actor(), dict(form))
        if not done.ok:
            self.error = done.error
            return None
        self.error = ""
        return [AccountingState.load, rx.toast.success("Accounts saved. New entries post to them.")]


class AccountingExportState(AuthState):
    pending: int = 0
    batches: list[dict[str, str]] = []
    date_from: str = ""
    date_to: str = ""
    error: str = ""

    @rx.event
    @guard("accounting")
    async def load(self):
        done = await self._call(views.export_overview)
        if done.ok:
            self.pending, self.batches, self.error = done.value["pending"], done.value["batches"], ""
        else:
            self.error = done.error

    @rx.event
    @guard("accounting")
    async def set_dates(self, name: str, value: str):
        if name == "date_from":
            self.date_from = str(value or "")
        elif name == "date_to":
            self.date_to = str(value or "")

    @rx.event
    @guard("accounting")
    async def export(self):
        done = await self._call(views.export_batch, self._actor(), self.date_from, self.date_to)
        if not done.ok:
            self.error = done.error
            return None
        self.error = ""
        batch = done.value
        return [
            AccountingExportState.load,
            rx.toast.success(f"Batch {batch['id']}: {batch['entries']} entries."),
            rx.download(url=batch["csv"], filename=f"journal-batch-{batch['id']}.csv"),
        ]


def _account_row(r: rx.Var, with_tax: bool = False) -> rx.Component:
    inputs = [
        field_label(
            "Account code",
            rx.input(
                name=r["key"] + ".code",
                default_value=r["code"],
                key=r["code"],
                aria_label=r["label"] + " account code",
                max_length=40,
            ),
        ),
        field_label(
            "Account name",
            rx.input(
                name=r["key"] + ".name",
                default_value=r["name"],
                key=r["name"],
                aria_label=r["label"] + " account name",
                max_length=120,
            ),
        ),
    ]
    if with_tax:
        inputs.append(
            field_label(
                "Tax code",
                rx.input(
                    name=r["key"] + ".tax_code",
                    default_value=r["tax_code"],
                    key=r["tax_code"],
                    aria_label=r["label"] + " tax code",
                    max_length=40,
                ),
            )
        )
    return rx.box(
        rx.text(r["label"], weight="medium", size="2"),
        rx.grid(*inputs, columns={"initial": "1", "sm": "3" if with_tax else "2"}, spacing="2", width="100%"),
        width="100%",
        padding_y="0.4em",
        border_bottom="1px solid var(--gray-a4)",
    )


def _section(title: str, hint: str, rows, with_tax: bool = False) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3"),
        rx.text(hint, size="2", color_scheme="gray"),
        rx.foreach(rows, lambda r: _account_row(r, with_tax)),
        spacing="2",
        width="100%",
    )


def _tabs(active: str) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.button("Accounts", variant="solid" if active == "accounts" else "soft"), href="/settings/accounting"
        ),
        rx.link(
            rx.button("Export", variant="solid" if active == "export" else "soft"), href="/settings/accounting/export"
        ),
        spacing="2",
    )


@app_page("/settings/accounting", "Accounting", "settings", on_load=AccountingState.load)
def accounting_page() -> rx.Component:
    return rx.vstack(
        _tabs("accounts"),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.text(
                        "The journal posts every invoice, credit note, payment, Stripe fee, refund, dispute, "
                        "write-off, client credit and payout to these accounts. A change applies to new "
                        "entries; a correction goes where the first entry went.",
                        size="2",
                    ),
                    error_callout(AccountingState.error),
                    _section("Accounts", "Receivable, bank, Stripe and the rest.", AccountingState.accounts),
                    _section(
                        "Income per line kind",
                        "Where each kind of invoice line is posted (net of tax).",
                        AccountingState.income,
                    ),
                    _section(
                        "Tax per rate",
                        "Tax payable and the tax code each rate exports with.",
                        AccountingState.taxes,
                        with_tax=True,
                    ),
                    rx.button("Save accounts", type="submit"),
                    spacing="4",
                    width="100%",
                ),
                on_submit=AccountingState.save,
                reset_on_submit=False,
            ),
            width="100%",
            max_width="52em",
        ),
        spacing="3",
        width="100%",
    )


def _batch_row(b: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text("Batch ", b["id"], size="2", weight="medium")),
        rx.table.cell(rx.text(b["created"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(b["range"], size="2")),
        rx.table.cell(rx.text(b["entries"], size="2")),
        rx.table.cell(
            rx.button(
                rx.icon("download", size=14),
                "Download batch ",
                b["id"],
                variant="soft",
                size="1",
                on_click=rx.download(url=b["csv"], filename="journal-batch-" + b["id"] + ".csv"),
            )
        ),
    )


def _batch_card(b: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("Batch ", b["id"], " · ", b["entries"], " entries", weight="medium", size="2"),
            rx.text(b["created"], " · ", b["range"], size="1", color_scheme="gray"),
            rx.button(
                rx.icon("download", size=14),
                "Download batch ",
                b["id"],
                variant="soft",
                size="1",
                on_click=rx.download(url=b["csv"], filename="journal-batch-" + b["id"] + ".csv"),
            ),
            spacing="1",
            width="100%",
        ),
        role="listitem",
        width="100%",
    )


def _date(label: str, name: str, value) -> rx.Component:
    return rx.box(
        field_label(
            label,
            rx.input(
                type="date", value=value, aria_label=label, on_change=lambda v: AccountingExportState.set_dates(name, v)
            ),
        ),
        width=["100%", "11em", "11em"],
    )


@app_page("/settings/accounting/export", "Accounting export", "accounting", on_load=AccountingExportState.load)
def accounting_export_page() -> rx.Component:
    s = AccountingExportState
    return rx.vstack(
        _tabs("export"),
        rx.card(
            rx.vstack(
                rx.heading("Not yet exported", size="3"),
                rx.text(
                    s.pending,
                    " journal entries are not in a batch yet. An exported entry never changes; "
                    "a later correction is a new entry in the next batch.",
                    size="2",
                ),
                error_callout(s.error),
                rx.flex(
                    _date("From", "date_from", s.date_from),
                    _date("To", "date_to", s.date_to),
                    rx.button(
                        rx.icon("file-down", size=14),
                        "Export a new batch (CSV)",
                        on_click=s.export,
                        disabled=s.pending == 0,
                    ),
                    rx.button(
                        rx.icon("eye", size=14),
                        "Preview not yet exported (CSV)",
                        variant="soft",
                        on_click=rx.download(url=PENDING_CSV, filename="journal-not-exported.csv"),
                    ),
                    wrap="wrap",
                    spacing="3",
                    align="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="60em",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Past batches", size="3"),
                rx.cond(
                    s.batches.length() == 0,
                    empty_state("file-spreadsheet", "No batch exported yet", "Export a batch above."),
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell("Batch"),
                                    rx.table.column_header_cell("Exported"),
                                    rx.table.column_header_cell("Dates"),
                                    rx.table.column_header_cell("Entries"),
                                    rx.table.column_header_cell("File"),
                                )
                            ),
                            rx.table.body(rx.foreach(s.batches, _batch_row)),
                            width="100%",
                            display=PHONE_HIDDEN,
                        ),
                        rx.vstack(rx.foreach(s.batches, _batch_card), role="list", display=PHONE_ONLY, width="100%"),
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="60em",
        ),
        spacing="3",
        width="100%",
    )
