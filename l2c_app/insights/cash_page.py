"""Insights > Cash: the next 13 weeks of expected cash (chart and table), AR aging and DSO."""

from __future__ import annotations

import reflex as rx

from l2c_app.insights.ar_aging import BUCKET_LABELS, BUCKETS
from l2c_app.insights.cash_forecast import PART_LABELS, PARTS
from l2c_app.insights.cash_state import CashState
from l2c_app.insights.cash_view import CHART_COLORS
from l2c_app.insights.page_kit import empty, intro, loading_state
from l2c_app.insights.tabs import insights_tabs
from l2c_app.ui import kit
from l2c_app.ui.layout import app_page

S = CashState


def chart() -> rx.Component:
    """The weeks' parts stacked, in whole units of the chosen currency."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="week"),
        rx.recharts.y_axis(),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        *[rx.recharts.bar(data_key=p, name=PART_LABELS[p], stack_id="cash", fill=CHART_COLORS[p]) for p in PARTS],
        data=S.chart,
        width="100%",
        height=320,
    )


def currency_picker() -> rx.Component:
    return rx.cond(
        S.currencies.length() > 1,
        rx.hstack(
            rx.text("Chart currency", as_="label", size="2", html_for="cash-currency"),
            rx.select(
                S.currencies,
                value=S.currency,
                on_change=S.pick_currency,
                id="cash-currency",
                aria_label="Chart currency",
                size="2",
            ),
            align="center",
            spacing="2",
        ),
        rx.fragment(),
    )


def _money_cells(r, keys) -> list[rx.Component]:
    return [rx.table.cell(r[k], white_space="nowrap") for k in keys]


def forecast_table() -> rx.Component:
    def row(r):
        return rx.table.row(
            rx.table.row_header_cell(r["week"]), rx.table.cell(r["currency"]), *_money_cells(r, (*PARTS, "total"))
        )

    def total(r):
        return rx.table.row(
            rx.table.row_header_cell(rx.text(r["week"], weight="bold")),
            rx.table.cell(r["currency"]),
            *[rx.table.cell(rx.text(r[k], weight="bold"), white_space="nowrap") for k in (*PARTS, "total")],
        )

    return kit.list_table(
        ("Week of", "Currency", *[PART_LABELS[p] for p in PARTS], "Total"),
        rx.fragment(rx.foreach(S.rows, row), rx.foreach(S.totals, total)),
    )


def _aging_row(r, bold: bool) -> rx.Component:
    def t(v):
        return rx.text(v, weight="bold") if bold else v

    return rx.table.row(
        rx.table.row_header_cell(t(r["client"])),
        rx.table.cell(r["currency"]),
        rx.table.cell(r["invoices"]),
        *[rx.table.cell(t(r[k]), white_space="nowrap") for k in (*BUCKETS, "total")],
    )


def aging_table() -> rx.Component:
    return kit.list_table(
        ("Client", "Currency", "Invoices", *[BUCKET_LABELS[b] for b in BUCKETS], "Open"),
        rx.fragment(
            rx.foreach(S.aging, lambda r: _aging_row(r, False)),
            rx.foreach(S.aging_totals, lambda r: _aging_row(r, True)),
        ),
    )


def dso_cards() -> rx.Component:
    return rx.grid(
        rx.foreach(
            S.dso,
            lambda d: rx.card(
                rx.vstack(
                    rx.text("DSO (" + d["currency"] + ")", size="2", color_scheme="gray"),
                    rx.heading(d["days"] + " days", size="6"),
                    rx.text(d["detail"], size="1", color_scheme="gray"),
                    spacing="1",
                ),
                aria_label="DSO " + d["currency"],
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
        spacing="3",
        width="100%",
    )


def body() -> rx.Component:
    return rx.vstack(
        rx.el.section(
            rx.vstack(
                rx.hstack(
                    rx.heading("Expected cash, next 13 weeks", size="4"),
                    rx.spacer(),
                    currency_picker(),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    S.range_text + " · today " + S.today_text + ". Open invoices move by each client's usual "
                    "lateness (median days late of its paid invoices); milestones, retainer months and unbilled "
                    "work add the client's terms; deals count at value × probability on their expected close.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    S.rows.length() > 0,
                    rx.vstack(
                        rx.box(chart(), width="100%", role="img", aria_label="Chart of expected cash by week"),
                        forecast_table(),
                        spacing="3",
                        width="100%",
                    ),
                    empty(
                        "No cash expected in these weeks: no open invoices, planned milestones, retainers, "
                        "unbilled work or dated open deals."
                    ),
                ),
                rx.foreach(S.notes, lambda n: rx.text(n, size="1", color_scheme="gray")),
                spacing="3",
                width="100%",
            ),
            aria_label="Cash forecast",
            style={"width": "100%"},
        ),
        rx.el.section(
            rx.vstack(
                rx.heading("Receivables aging", size="4"),
                rx.text(
                    "What is still open on sent and partially paid invoices, by days past the due date. DSO = open "
                    "receivables / what was invoiced in the last 90 days × 90.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(S.dso.length() > 0, dso_cards(), rx.fragment()),
                rx.cond(S.aging.length() > 0, aging_table(), empty("Nothing is owed: every issued invoice is paid.")),
                spacing="3",
                width="100%",
            ),
            aria_label="Receivables aging",
            style={"width": "100%"},
        ),
        spacing="5",
        width="100%",
    )


@app_page("/insights/cash", "Cash", "insights", on_load=CashState.load)
def cash_page() -> rx.Component:
    return rx.vstack(
        insights_tabs("/insights/cash"),
        intro(
            "When the money should arrive, and what is late.",
            S.load,
            S.loading,
            rx.button(
                rx.icon("download", size=14),
                "Download CSV",
                variant="soft",
                on_click=rx.download(url=S.csv_url, filename="cash-forecast.csv"),
            ),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="tomato", role="alert"),
            rx.fragment(),
        ),
        rx.cond(S.loaded, body(), loading_state()),
        spacing="4",
        width="100%",
    )
