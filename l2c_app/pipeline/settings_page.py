"""The pipeline settings page (/settings/pipeline): stages and the stale-deal threshold."""

from __future__ import annotations

import reflex as rx

from l2c_app.pipeline.state import StageSettingsState
from l2c_app.ui.layout import app_page, error_callout, field_label

# --- settings -----------------------------------------------------------------------------------


def stage_row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.input(
                value=row["name"],
                on_change=lambda v: StageSettingsState.set_cell(index, "name", v),
                aria_label="Stage name",
                disabled=row["delete"].to(bool),
            )
        ),
        rx.table.cell(
            rx.input(
                value=row["position"],
                width="5em",
                input_mode="numeric",
                aria_label="Order",
                on_change=lambda v: StageSettingsState.set_cell(index, "position", v),
            )
        ),
        rx.table.cell(
            rx.input(
                value=row["probability"],
                width="5em",
                input_mode="numeric",
                aria_label="Win probability %",
                on_change=lambda v: StageSettingsState.set_cell(index, "probability", v),
            )
        ),
        rx.table.cell(rx.badge(row["kind"])),
        rx.table.cell(
            rx.cond(
                row["kind"] == "open",
                rx.button(
                    rx.cond(row["delete"].to(bool), "Keep stage", "Delete stage"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    type="button",
                    on_click=StageSettingsState.mark_delete(index),
                ),
            )
        ),
    )


@app_page("/settings/pipeline", "Pipeline settings", "settings", on_load=StageSettingsState.load)
def pipeline_settings_page() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Stages", size="3"),
                rx.text(
                    "The board shows the open stages in this order. Won and Lost close a deal.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Name", "Order", "Win probability %", "Kind", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(StageSettingsState.rows, stage_row)),
                    width="100%",
                ),
                rx.button("Add a stage", type="button", variant="soft", on_click=StageSettingsState.add_row),
                rx.separator(),
                field_label(
                    "Stale after (days without activity)",
                    rx.input(
                        name="stale_days",
                        default_value=StageSettingsState.stale_days,
                        key=StageSettingsState.stale_days,
                        input_mode="numeric",
                        width="8em",
                    ),
                    "My day lists your open deals with no activity for this long.",
                ),
                error_callout(StageSettingsState.error),
                rx.button("Save pipeline settings", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=StageSettingsState.save,
            reset_on_submit=False,
        ),
        width="100%",
        max_width="56em",
    )
