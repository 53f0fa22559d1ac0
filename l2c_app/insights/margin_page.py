"""Insights > Margin: revenue, cost and margin per project, client or month; people's utilisation."""

from __future__ import annotations

import reflex as rx

from l2c_app.insights.margin_state import MarginState
from l2c_app.insights.page_kit import empty, intro, loading_state
from l2c_app.insights.tabs import insights_tabs
from l2c_app.ui import kit
from l2c_app.ui.layout import app_page, error_callout, field_label

S = MarginState

MONEY_COLUMNS = ("billed", "unbilled", "time_cost", "expenses", "margin", "percent")


def controls() -> rx.Component:
    return rx.hstack(
        rx.box(
            field_label("From", rx.input(type="date", value=S.date_from, on_change=S.set_from, id="margin-from")),
            width="11em",
        ),
        rx.box(
            field_label("To", rx.input(type="date", value=S.date_to, on_change=S.set_to, id="margin-to")), width="11em"
        ),
        rx.box(
            field_label(
                "Group by",
                rx.el.select(
                    rx.el.option("Project", value="project"),
                    rx.el.option("Client", value="client"),
                    rx.el.option("Month", value="month"),
                    value=S.group,
                    on_change=S.set_group,
                    id="margin-group",
                    style={
                        "height": "var(--space-6)",
                        "border_radius": "var(--radius-2)",
                        "border": "1px solid var(--gray-7)",
                        "padding": "0 0.5em",
                        "background": "var(--color-surface)",
                    },
                ),
            ),
            width="10em",
        ),
        align="end",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="label"),
        rx.recharts.y_axis(),
        rx.recharts.graphing_tooltip(),
        rx.recharts.bar(
            data_key="margin",
            name="Margin (" + S.chart_currency + ")",
            fill="var(--grass-9)",
            is_animation_active=False,
        ),
        data=S.chart,
        width="100%",
        height=300,
    )


def margin_table() -> rx.Component:
    def row(r):
        return rx.table.row(
            rx.table.row_header_cell(r["label"]),
            rx.table.cell(r["currency"]),
            *[
                rx.table.cell(
                    rx.cond(r["negative"] == "1", rx.text(r[k], color_scheme="tomato", weight="medium"), rx.text(r[k]))
                    if k in ("margin", "percent")
                    else r[k],
                    white_space="nowrap",
                )
                for k in MONEY_COLUMNS
            ],
        )

    return kit.list_table(
        (S.group_label, "Currency", "Revenue billed", "Unbilled", "Time cost", "Expenses", "Margin", "Margin %"),
        rx.foreach(S.rows, row),
    )


def utilisation_table() -> rx.Component:
    return kit.list_table(
        ("Person", "Billable hours", "Capacity", "Utilisation %"),
        rx.foreach(
            S.utilisation,
            lambda r: rx.table.row(
                rx.table.row_header_cell(r["name"]),
                rx.table.cell(r["billable"]),
                rx.table.cell(r["capacity"]),
                rx.table.cell(r["percent"]),
            ),
        ),
    )


def capacity_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.box(
                    field_label(
                        "Capacity, hours per week",
                        rx.input(
                            type="number",
                            name="capacity",
                            default_value=S.capacity,
                            key=S.capacity,
                            min=1,
                            max=168,
                            step=1,
                        ),
                    ),
                    width="14em",
                ),
                rx.button("Save capacity", type="submit", variant="soft"),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            error_callout(S.capacity_error),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_capacity,
        width="100%",
    )


def body() -> rx.Component:
    return rx.vstack(
        rx.el.section(
            rx.vstack(
                rx.heading("Margin", size="4"),
                rx.text(
                    S.range_text + ". Revenue = billed (net of tax) + unbilled work; cost = time at people's cost "
                    "rates + expenses. Each currency has its own rows.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    S.rows.length() > 0,
                    rx.vstack(
                        rx.box(chart(), width="100%", role="img", aria_label="Chart of margin per " + S.group_label),
                        margin_table(),
                        spacing="3",
                        width="100%",
                    ),
                    empty("No revenue, time or expenses in this range."),
                ),
                rx.foreach(S.notes, lambda n: rx.text(n, size="1", color_scheme="gray")),
                spacing="3",
                width="100%",
            ),
            aria_label="Margin",
            style={"width": "100%"},
        ),
        rx.el.section(
            rx.vstack(
                rx.heading("Utilisation", size="4"),
                rx.text(
                    "Billable hours / capacity (hours per week × days of the range / 7).", size="1", color_scheme="gray"
                ),
                rx.cond(S.utilisation.length() > 0, utilisation_table(), empty("Nobody logged time in this range.")),
                rx.cond(
                    S.allowed_sections.contains("settings"),
                    capacity_form(),
                    rx.text(
                        "Capacity: " + S.capacity + " hours per week (owners and admins change it here).",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            aria_label="Utilisation",
            style={"width": "100%"},
        ),
        spacing="5",
        width="100%",
    )


@app_page("/insights/margin", "Margin", "margin", on_load=MarginState.load)
def margin_page() -> rx.Component:
    return rx.vstack(
        insights_tabs("/insights/margin"),
        intro("What projects earn after the cost of time and expenses.", S.load, S.loading),
        rx.cond(
            (S.user_role != "") & ~S.allowed_sections.contains("margin"),
            rx.callout(
                "Margins are not available for your role: they show what people cost.", icon="lock", color_scheme="gray"
            ),
            rx.fragment(
                controls(),
                rx.cond(
                    S.error != "",
                    rx.callout(S.error, icon="triangle-alert", color_scheme="tomato", role="alert"),
                    rx.fragment(),
                ),
                rx.cond(S.loaded, body(), loading_state()),
            ),
        ),
        spacing="4",
        width="100%",
    )
