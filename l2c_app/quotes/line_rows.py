"""The builder's rows: a section heading, a line with its inputs and the reasons a figure is refused."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec

from l2c_app.quotes.builder_form import NO_TAX
from l2c_app.quotes.state import BILLING_KIND_OPTIONS, BuilderState
from l2c_app.ui.kit import native_select

# --- the builder ------------------------------------------------------------------------------


class DragDiv(rx.el.Div):
    """A div with the HTML5 drag-and-drop triggers (rx.el has none)."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


FIGURE_LABELS = {"quantity": "Quantity", "unit_price": "Unit price", "discount_percent": "Discount %"}


def error_id(ln: rx.Var, field: str) -> rx.Var:
    return "line-" + ln["id"].to(str) + "-" + field + "-error"


def line_input(ln: rx.Var, field: str, label: str, width: str, **props) -> rx.Component:
    if field in FIGURE_LABELS:  # checked as typed: a refused value is marked, with its reason tied to it
        bad = ln[f"err_{field}"].to(str) != ""
        props.update(
            aria_invalid=rx.cond(bad, "true", "false"),
            aria_describedby=rx.cond(bad, error_id(ln, field), ""),
            color_scheme=rx.cond(bad, "red", "indigo"),
        )
    return rx.input(
        value=ln[field].to(str),
        on_change=lambda v: BuilderState.set_line_field(ln["idx"], field, v),
        on_blur=lambda _v: BuilderState.save_line(ln["idx"]),
        aria_label=f"{label} of line " + ln["num"].to(str),
        disabled=~BuilderState.editable,
        width=width,
        size="1",
        **props,
    )


def field_errors(ln: rx.Var) -> rx.Component:
    """The reason of each refused figure, right under the line, named by the field's aria-describedby."""
    return rx.fragment(
        *[
            rx.cond(
                ln[f"err_{f}"].to(str) != "",
                rx.hstack(
                    rx.icon("circle-alert", size=12, color=rx.color("red", 11), flex_shrink="0"),
                    rx.text(label, " of line ", ln["num"].to(str), ": ", ln[f"err_{f}"], size="1", color_scheme="red"),
                    id=error_id(ln, f),
                    spacing="1",
                    align="center",
                    class_name="l2c-nowrap",
                ),
            )
            for f, label in FIGURE_LABELS.items()
        ]
    )


def heading_row(h: rx.Var) -> rx.Component:
    """A section heading: renamed in place; an empty one says so and offers a line or removal."""
    name = h["name"].to(str)
    return rx.hstack(
        rx.icon("heading", size=16, color=rx.color("accent", 10)),
        rx.input(
            default_value=name,
            key=name,
            on_blur=lambda v: BuilderState.rename_section(h["name"], v),
            aria_label="Section heading " + name,
            disabled=~BuilderState.editable,
            variant="soft",
            size="2",
            font_weight="bold",
            width="28em",
        ),
        rx.cond(
            h["empty"].to(bool),
            rx.hstack(
                rx.text("No lines yet", size="1", color_scheme="gray"),
                rx.cond(
                    BuilderState.editable,
                    rx.hstack(
                        rx.button(
                            rx.icon("plus", size=12),
                            "Add line",
                            size="1",
                            variant="soft",
                            aria_label="Add a line under " + name,
                            on_click=BuilderState.add_line_in(h["name"]),
                        ),
                        rx.button(
                            "Remove heading",
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            aria_label="Remove the heading " + name,
                            on_click=BuilderState.remove_section(h["name"]),
                        ),
                        spacing="2",
                    ),
                ),
                align="center",
                spacing="2",
            ),
        ),
        role="group",
        aria_label="Section " + name,
        align="center",
        padding_top="0.75em",
        flex_wrap="wrap",
        width="100%",
    )


def line_row(ln: rx.Var) -> rx.Component:
    n = ln["num"].to(str)
    return rx.fragment(
        rx.foreach(ln["headings"].to(list[dict]), heading_row),
        DragDiv.create(
            rx.vstack(
                rx.hstack(
                    rx.icon(
                        "grip-vertical", size=16, color=rx.color("gray", 9), cursor="grab", aria_label="Drag to reorder"
                    ),
                    line_input(
                        ln,
                        "description",
                        "Description",
                        "100%",
                        flex="1",
                        min_width=rx.breakpoints(initial="100%", md="10em"),
                    ),
                    line_input(ln, "quantity", "Quantity", "5.5em", input_mode="decimal", text_align="right"),
                    line_input(ln, "unit", "Unit", "5em"),
                    line_input(ln, "unit_price", "Unit price", "7em", input_mode="decimal", text_align="right"),
                    line_input(ln, "discount_percent", "Discount %", "4.5em", input_mode="decimal"),
                    native_select(
                        [(NO_TAX, "No tax")],
                        dynamic=BuilderState.taxes,
                        value=ln["tax_rate_id"].to(str),
                        on_change=lambda v: BuilderState.set_and_save(ln["idx"], "tax_rate_id", v),
                        aria_label="Tax of line " + n,
                        disabled=~BuilderState.editable,
                    ),
                    rx.text(
                        ln["amount"],
                        weight="bold",
                        width="7.5em",
                        text_align="right",
                        aria_label="Amount of line " + n,
                        color=rx.cond(ln["optional"], rx.color("gray", 10), rx.color("gray", 12)),
                    ),
                    rx.icon_button(
                        rx.icon("arrow-up", size=14),
                        size="1",
                        variant="ghost",
                        aria_label="Move line " + n + " up",
                        disabled=~BuilderState.editable,
                        on_click=BuilderState.move(ln["id"], -1),
                    ),
                    rx.icon_button(
                        rx.icon("arrow-down", size=14),
                        size="1",
                        variant="ghost",
                        aria_label="Move line " + n + " down",
                        disabled=~BuilderState.editable,
                        on_click=BuilderState.move(ln["id"], 1),
                    ),
                    rx.icon_button(
                        rx.icon("trash-2", size=14),
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        aria_label="Remove line " + n,
                        disabled=~BuilderState.editable,
                        on_click=BuilderState.remove_line(ln["id"]),
                    ),
                    align="center",
                    width="100%",
                    spacing="2",
                ),
                rx.hstack(
                    rx.text("Billed as", size="1", color_scheme="gray", padding_left="1.6em"),
                    native_select(
                        [
                            (
                                k,
                                {
                                    "fixed": "Fixed fee",
                                    "milestone": "Milestone",
                                    "hourly": "Hourly estimate",
                                    "recurring": "Recurring",
                                }[k],
                            )
                            for k in BILLING_KIND_OPTIONS
                        ],
                        value=ln["billing_kind"].to(str),
                        on_change=lambda v: BuilderState.set_and_save(ln["idx"], "billing_kind", v),
                        aria_label="Billing kind of line " + n,
                        disabled=~BuilderState.editable,
                    ),
                    rx.cond(
                        ln["billing_kind"] == "milestone",
                        rx.input(
                            type="date",
                            value=ln["due_date"].to(str),
                            size="1",
                            width="10em",
                            on_change=lambda v: BuilderState.set_and_save(ln["idx"], "due_date", v),
                            aria_label="Due date of line " + n,
                            disabled=~BuilderState.editable,
                        ),
                    ),
                    rx.cond(
                        ln["billing_kind"] == "hourly",
                        line_input(ln, "role", "Role", "12em", placeholder="Role, e.g. Designer"),
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                checked=ln["optional"].to(bool),
                                on_change=lambda v: BuilderState.set_and_save(ln["idx"], "optional", v),
                                disabled=~BuilderState.editable,
                                aria_label="Optional line " + n,
                            ),
                            rx.text("Optional (the client may tick it)", size="1"),
                            align="center",
                            spacing="1",
                        )
                    ),
                    rx.cond(ln["error"] != "", rx.text(ln["error"], size="1", color_scheme="red", role="alert")),
                    align="center",
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(field_errors(ln), spacing="0", padding_left="1.6em", aria_live="polite"),
                spacing="1",
                width="100%",
            ),
            draggable=BuilderState.editable,
            on_drag_start=BuilderState.set_dragging(ln["id"]),
            on_drag_over=rx.prevent_default,
            on_drop=BuilderState.drop_on(ln["id"]).prevent_default,
            role="group",
            aria_label="Line " + n,
            padding="0.5em",
            border_bottom="1px solid var(--gray-a4)",
            background=rx.cond(ln["optional"], rx.color("gray", 2), "transparent"),
            width="100%",
        ),
    )
