"""The Cycle times page: how long each hand-off takes (median and 90th percentile, in days), the
deals behind each figure, the hand-offs still waiting, and the pipeline forecast with win rates."""

from __future__ import annotations

import reflex as rx

from l2c_app.insights.cycle_state import CycleState
from l2c_app.insights.cycle_times import STEPS
from l2c_app.insights.cycle_view import GROUP_LABELS
from l2c_app.insights.page_kit import loading_state
from l2c_app.insights.tabs import insights_tabs
from l2c_app.ui.kit import list_table
from l2c_app.ui.layout import app_page

PATH = "/insights/cycle-times"


def _select(label: str, value, options: list[tuple[str, str]], on_change, width: str = "14em") -> rx.Component:
    name = label.lower().replace(" ", "-")
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontSize": "var(--font-size-2)", "fontWeight": "500"}),
        rx.select.root(
            rx.select.trigger(id=name, aria_label=label, width=width),
            rx.select.content(*[rx.select.item(text, value=val) for val, text in options]),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
    )


def controls() -> rx.Component:
    return rx.hstack(
        _select("Group by", CycleState.group, list(GROUP_LABELS.items()), CycleState.set_group),
        _select(
            "Hand-off in the chart",
            CycleState.step_label,
            [(label, label) for _k, label, _a, _b in STEPS],
            CycleState.set_step,
            width="20em",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("refresh-cw", size=14),
            "Refresh figures",
            on_click=CycleState.load,
            loading=CycleState.loading,
            variant="soft",
        ),
        wrap="wrap",
        align="end",
        spacing="4",
        width="100%",
    )


def chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(CycleState.step_label, size="3"),
            rx.text(
                "Days, median and 90th percentile, by the month (owner, source) of the later event.",
                size="1",
                color_scheme="gray",
            ),
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="group"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.tooltip(),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="median", name="Median (days)", fill=rx.color("accent", 9)),
                rx.recharts.bar(data_key="p90", name="90th percentile (days)", fill=rx.color("amber", 9)),
                data=CycleState.chart,
                width="100%",
                height=280,
            ),
            rx.heading("Deals behind this figure", size="2"),
            list_table(
                ["Deal", "Group", "Days", "Done on"],
                rx.foreach(
                    CycleState.deals,
                    lambda d: rx.table.row(
                        rx.table.cell(rx.link(d["title"], href=d["href"])),
                        rx.table.cell(d["group"]),
                        rx.table.cell(d["days"]),
                        rx.table.cell(d["end"]),
                    ),
                ),
                size="1",
                aria_label="Deals behind the chart",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_label="Cycle time chart",
    )


def figures_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Every hand-off", size="3"),
            list_table(
                ["Hand-off", GROUP_LABELS["month"] + " / owner / source", "Deals", "Median days", "90th pct. days"],
                rx.foreach(
                    CycleState.figures,
                    lambda r: rx.table.row(
                        rx.table.cell(r["step"]),
                        rx.table.cell(r["group"]),
                        rx.table.cell(r["count"]),
                        rx.table.cell(r["median"]),
                        rx.table.cell(r["p90"]),
                    ),
                ),
                size="1",
                aria_label="Cycle time figures",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def waiting_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Hand-offs still waiting, oldest first", size="3"),
            rx.cond(
                CycleState.waiting.length() == 0,
                rx.text("Nothing is waiting: every open deal has moved on.", size="2"),
                list_table(
                    ["Deal", "Waiting for", "Since", "Days", "Owner"],
                    rx.foreach(
                        CycleState.waiting,
                        lambda r: rx.table.row(
                            rx.table.cell(rx.link(r["title"], href=r["href"])),
                            rx.table.cell(r["step"]),
                            rx.table.cell(r["since"]),
                            rx.table.cell(r["age"]),
                            rx.table.cell(r["owner"]),
                        ),
                    ),
                    size="1",
                    aria_label="Waiting hand-offs",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def forecast_section() -> rx.Component:
    def rate_table(title: str, rows) -> rx.Component:
        return list_table(
            [title, "Closed", "Win rate"],
            rx.foreach(
                rows,
                lambda r: rx.table.row(rx.table.cell(r["name"]), rx.table.cell(r["closed"]), rx.table.cell(r["rate"])),
            ),
            size="1",
            aria_label=f"Win rate by {title.lower()}",
        )

    return rx.card(
        rx.vstack(
            rx.heading("Pipeline forecast", size="3", id="forecast"),
            rx.text(
                "Open deals by expected close (or owner, source): value excl. tax, and weighted by the deal's "
                "win probability (else its stage's). Deals with no expected close: " + CycleState.no_date + ".",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                CycleState.forecast.length() == 0,
                rx.text("No open deals.", size="2"),
                list_table(
                    ["Group", "Deals", "Value", "Weighted"],
                    rx.foreach(
                        CycleState.forecast,
                        lambda r: rx.table.row(
                            rx.table.cell(r["group"]),
                            rx.table.cell(r["count"]),
                            rx.table.cell(r["value"]),
                            rx.table.cell(r["weighted"]),
                        ),
                    ),
                    size="1",
                    aria_label="Pipeline forecast",
                ),
            ),
            rx.text(
                "Win rate: won / (won + lost) of the closed deals that reached the stage or came from the source.",
                size="1",
                color_scheme="gray",
            ),
            rx.grid(
                rate_table("Stage", CycleState.stages),
                rate_table("Source", CycleState.sources),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def body() -> rx.Component:
    return rx.cond(
        CycleState.figures.length() == 0,
        rx.vstack(
            rx.callout(
                "No hand-off is finished yet: the figures appear once deals move through the cycle "
                "(a lead converted, a quote accepted, an invoice paid).",
                icon="info",
                width="100%",
            ),
            waiting_table(),
            forecast_section(),
            spacing="4",
            width="100%",
        ),
        rx.vstack(
            rx.grid(chart(), figures_table(), columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%"),
            waiting_table(),
            forecast_section(),
            spacing="4",
            width="100%",
        ),
    )


@app_page(PATH, "Cycle times", "insights", on_load=CycleState.load)
def cycle_times_page() -> rx.Component:
    return rx.vstack(
        insights_tabs(PATH),
        rx.text(
            "How long each hand-off of the cycle takes, from the records' own dates. Whole days; "
            "the median and 90th percentile are interpolated (as PostgreSQL's percentile_cont).",
            color_scheme="gray",
        ),
        controls(),
        rx.cond(CycleState.loaded, body(), loading_state()),
        spacing="4",
        width="100%",
    )
