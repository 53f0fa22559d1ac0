"""Pages of the quotes stage: Settings > Catalog, the list of quotes, the builder, and the
client's public page `/q/<token>`."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec

from l2c_app.quotes.state import (
    BILLING_KIND_OPTIONS,
    NO_TAX,
    BuilderState,
    CatalogState,
    PublicQuoteState,
    QuotesListState,
)
from l2c_app.ui import kit
from l2c_app.ui.composer import ComposerState, composer_dialog
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, public_page

STATUS_COLORS = {
    "draft": "gray",
    "sent": "blue",
    "accepted": "green",
    "declined": "red",
    "superseded": "orange",
    "expired": "amber",
}


def status_badge(status) -> rx.Component:
    return kit.status_badge(status, STATUS_COLORS)


def native_select(options: list[tuple[str, str]], dynamic: rx.Var | None = None, **props) -> rx.Component:
    """A plain <select>: static (value, label) options, then `dynamic` [{id, name}] ones from the state."""
    style = {
        "padding": "0.35em",
        "border_radius": "var(--radius-2)",
        "border": "1px solid var(--gray-a7)",
        "background": "var(--color-surface)",
        "color": "var(--gray-12)",
        "min_height": "2em",
        "font_size": "0.875rem",
    }
    children = [rx.el.option(label, value=value) for value, label in options]
    if dynamic is not None:
        children.append(rx.foreach(dynamic, lambda o: rx.el.option(o["name"], value=o["id"])))
    return rx.el.select(*children, style=style, **props)


# --- Settings > Catalog ---------------------------------------------------------------------------


def tax_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["name"]),
        rx.table.cell(r["percent"], "%"),
        rx.table.cell(rx.cond(r["inclusive"], "Included in prices", "Added on top")),
        rx.table.cell(
            rx.cond(r["archived"], rx.badge("archived", color_scheme="gray"), rx.badge("active", color_scheme="green"))
        ),
        rx.table.cell(
            rx.cond(
                r["archived"],
                rx.button("Restore", size="1", variant="soft", on_click=CatalogState.restore_tax(r["id"])),
                rx.hstack(
                    rx.button(
                        "Edit",
                        size="1",
                        variant="soft",
                        aria_label="Edit tax rate " + r["name"].to(str),
                        on_click=CatalogState.start_edit_tax(r),
                    ),
                    rx.button(
                        "Archive or delete",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Remove tax rate " + r["name"].to(str),
                        on_click=CatalogState.remove_tax(r["id"]),
                    ),
                ),
            )
        ),
    )


def item_row(i: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(i["name"], weight="medium"),
                rx.text(i["description"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(i["kind"]),
        rx.table.cell(i["role"]),
        rx.table.cell(i["price"], " / ", i["unit"]),
        rx.table.cell(i["tax_name"]),
        rx.table.cell(
            rx.cond(i["archived"], rx.badge("archived", color_scheme="gray"), rx.badge("active", color_scheme="green"))
        ),
        rx.table.cell(
            rx.cond(
                i["archived"],
                rx.button("Restore", size="1", variant="soft", on_click=CatalogState.restore_item(i["id"])),
                rx.hstack(
                    rx.button(
                        "Edit",
                        size="1",
                        variant="soft",
                        aria_label="Edit " + i["name"].to(str),
                        on_click=CatalogState.start_edit_item(i),
                    ),
                    rx.button(
                        "Archive or delete",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Remove " + i["name"].to(str),
                        on_click=CatalogState.remove_item(i["id"]),
                    ),
                ),
            )
        ),
    )


@app_page("/settings/catalog", "Catalog and taxes", "settings", on_load=CatalogState.load)
def catalog_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "Items and rates that a quote already uses are archived instead of deleted, so old quotes stay "
                "exactly as sent.",
                size="2",
                color_scheme="gray",
            ),
            rx.spacer(),
            rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        checked=CatalogState.show_archived,
                        on_change=CatalogState.toggle_archived,
                        aria_label="Show archived",
                    ),
                    rx.text("Show archived", size="2"),
                    align="center",
                )
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Tax rates", size="3"),
                error_callout(CatalogState.tax_error),
                rx.cond(
                    CatalogState.rates.length() > 0,
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[rx.table.column_header_cell(h) for h in ("Name", "Percent", "Mode", "Status", "")]
                            )
                        ),
                        rx.table.body(rx.foreach(CatalogState.rates, tax_row)),
                        width="100%",
                    ),
                    rx.text(
                        "No tax rates yet. Add the rates you charge (e.g. VAT 20%).", size="2", color_scheme="gray"
                    ),
                ),
                rx.form(
                    rx.hstack(
                        field_label(
                            "Tax name",
                            rx.input(
                                name="name",
                                placeholder="VAT 20%",
                                required=True,
                                default_value=CatalogState.tax_form["name"],
                            ),
                        ),
                        field_label(
                            "Percent",
                            rx.input(
                                name="percent",
                                placeholder="20",
                                required=True,
                                input_mode="decimal",
                                default_value=CatalogState.tax_form["percent"],
                            ),
                        ),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    name="inclusive",
                                    aria_label="Included in prices",
                                    default_checked=CatalogState.tax_form["inclusive"] == "on",
                                ),
                                rx.text("Included in prices", size="2"),
                                align="center",
                            ),
                            min_width="12em",
                        ),
                        rx.cond(
                            CatalogState.edit_tax_id != 0,
                            rx.hstack(
                                rx.button("Save tax rate", type="submit"),
                                rx.button(
                                    "Cancel",
                                    type="button",
                                    variant="soft",
                                    color_scheme="gray",
                                    on_click=CatalogState.set_nothing_edited,
                                ),
                            ),
                            rx.button("Add tax rate", type="submit"),
                        ),
                        align="end",
                        width="100%",
                    ),
                    key=CatalogState.form_key.to(str),
                    on_submit=CatalogState.add_tax,
                    reset_on_submit=True,
                ),
                width="100%",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Catalog", size="3"),
                rx.text(
                    "Services and products: fixed price per unit, hourly roles, recurring monthly fees.",
                    size="2",
                    color_scheme="gray",
                ),
                error_callout(CatalogState.item_error),
                rx.cond(
                    CatalogState.items.length() > 0,
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ("Item", "Kind", "Role", "Price", "Tax", "Status", "")
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(CatalogState.items, item_row)),
                        width="100%",
                    ),
                    empty_state(
                        "package",
                        "The catalog is empty",
                        "Add what you sell; quotes pick lines from here with price and tax filled in.",
                    ),
                ),
                rx.form(
                    rx.vstack(
                        rx.hstack(
                            field_label(
                                "Item name",
                                rx.input(
                                    name="name",
                                    required=True,
                                    placeholder="Senior developer",
                                    default_value=CatalogState.item_form["name"],
                                ),
                            ),
                            field_label(
                                "Kind",
                                native_select(
                                    [
                                        ("fixed", "Fixed price"),
                                        ("hourly", "Hourly role"),
                                        ("recurring", "Recurring monthly fee"),
                                    ],
                                    name="kind",
                                    value=CatalogState.new_kind,
                                    aria_label="Kind",
                                    on_change=CatalogState.set_new_kind,
                                ),
                            ),
                            rx.cond(
                                CatalogState.new_kind == "hourly",
                                field_label(
                                    "Role",
                                    rx.input(
                                        name="role",
                                        placeholder="Senior developer",
                                        default_value=CatalogState.item_form["role"],
                                    ),
                                ),
                            ),
                            width="100%",
                            align="end",
                        ),
                        rx.hstack(
                            field_label(
                                "Price",
                                rx.input(
                                    name="price",
                                    placeholder="150.00",
                                    required=True,
                                    input_mode="decimal",
                                    default_value=CatalogState.item_form["price"],
                                ),
                            ),
                            field_label(
                                "Currency",
                                rx.input(
                                    name="currency",
                                    max_length=3,
                                    default_value=rx.cond(
                                        CatalogState.edit_item_id != 0, CatalogState.item_form["currency"], "EUR"
                                    ),
                                ),
                            ),
                            field_label(
                                "Unit",
                                rx.input(
                                    name="unit",
                                    placeholder=rx.match(
                                        CatalogState.new_kind, ("hourly", "hour"), ("recurring", "month"), "unit"
                                    ),
                                    default_value=CatalogState.item_form["unit"],
                                ),
                            ),
                            field_label(
                                "Default tax",
                                native_select(
                                    [(NO_TAX, "No tax")],
                                    CatalogState.active_rates,
                                    name="tax_rate_id",
                                    aria_label="Default tax",
                                    default_value=CatalogState.item_form["tax_rate_id"],
                                ),
                            ),
                            width="100%",
                            align="end",
                        ),
                        field_label(
                            "Description",
                            rx.input(name="description", default_value=CatalogState.item_form["description"]),
                        ),
                        rx.cond(
                            CatalogState.edit_item_id != 0,
                            rx.hstack(
                                rx.button("Save catalog item", type="submit"),
                                rx.button(
                                    "Cancel",
                                    type="button",
                                    variant="soft",
                                    color_scheme="gray",
                                    on_click=CatalogState.set_nothing_edited,
                                ),
                            ),
                            rx.button("Add catalog item", type="submit"),
                        ),
                        width="100%",
                    ),
                    key=CatalogState.form_key.to(str),
                    on_submit=CatalogState.add_item,
                    reset_on_submit=True,
                ),
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        spacing="4",
    )


# --- the list of quotes -----------------------------------------------------------------------


def quote_row(q: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(q["label"], href="/quotes/" + q["id"].to(str))),
        rx.table.cell(q["title"]),
        rx.table.cell(rx.link(q["deal_title"], href="/deals/" + q["deal_id"].to(str))),
        rx.table.cell(q["account"]),
        rx.table.cell(status_badge(q["status"])),
        rx.table.cell(q["total"], text_align="right"),
        rx.table.cell(q["expires_on"]),
    )


@app_page("/quotes", "Quotes", "quotes", on_load=QuotesListState.load)
def quotes_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            field_label(
                "Status",
                native_select(
                    [("all", "All")] + [(s, s.capitalize()) for s in STATUS_COLORS],
                    value=QuotesListState.status_filter,
                    aria_label="Status",
                    on_change=QuotesListState.set_filter,
                ),
            ),
            width="14em",
        ),
        rx.cond(
            QuotesListState.quotes.length() > 0,
            kit.list_table(
                ("Quote", "Title", "Deal", "Client", "Status", "Total", "Expires"),
                rx.foreach(QuotesListState.quotes, quote_row),
            ),
            empty_state(
                "file-text", "No quotes yet", "Open a deal and choose New quote to build a proposal from the catalog."
            ),
        ),
        width="100%",
        spacing="4",
    )


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
                        BuilderState.taxes,
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


def totals_panel(
    totals: rx.Var, discount_input: rx.Component | None = None, always_show_discount: bool = True
) -> rx.Component:
    def row(label, value, bold=False, **props) -> rx.Component:
        return rx.hstack(
            rx.text(label, weight="bold" if bold else "regular"),
            rx.spacer(),
            rx.text(value, weight="bold" if bold else "regular", **props),
            width="100%",
        )

    return rx.vstack(
        row("Subtotal", totals["subtotal"], aria_label="Subtotal"),
        rx.cond(
            always_show_discount | (totals["discount_minor"].to(int) != 0),
            rx.hstack(
                rx.text("Discount"),
                discount_input or rx.fragment(),
                rx.spacer(),
                rx.text(
                    rx.cond(totals["discount_minor"].to(int) != 0, "-", ""),
                    totals["discount"],
                    aria_label="Discount amount",
                ),
                width="100%",
                align="center",
            ),
        ),
        rx.foreach(
            totals["taxes"].to(list[dict]),
            lambda t: row(rx.cond(t["inclusive"], t["name"].to(str) + " (included)", t["name"].to(str)), t["tax"]),
        ),
        rx.separator(),
        row("Total", totals["total"], bold=True, aria_label="Total", size="5"),
        rx.cond(
            BuilderState.invalid_count > 0,
            rx.text(
                "Totals wait for the field marked in red: fix it to see them.",
                size="1",
                color_scheme="red",
                role="status",
            ),
        ),
        width="22em",
        spacing="2",
    )


def template_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("bookmark-plus", size=14), "Save as template", variant="soft")),
        rx.dialog.content(
            rx.dialog.title("Save as template"),
            rx.dialog.description(
                "Its headings, lines, discount, notes and terms, to start new quotes from. "
                "A deal's New quote offers it.",
                size="2",
            ),
            rx.vstack(
                field_label(
                    "Template name",
                    rx.input(
                        value=BuilderState.template_name,
                        on_change=BuilderState.set_template_name,
                        placeholder="Website package",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button("Save template", on_click=BuilderState.save_template),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                padding_top="0.75em",
            ),
        ),
        open=BuilderState.template_open,
        on_open_change=BuilderState.set_template_open,
    )


def builder_header() -> rx.Component:
    q = BuilderState.quote
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.heading(q["label"], size="5"), status_badge(q["status"]), align="center"),
                rx.hstack(
                    rx.text("Deal: ", size="2", color_scheme="gray"),
                    rx.link(q["deal_title"], href="/deals/" + q["deal_id"].to(str), size="2"),
                    rx.text(
                        "· For ",
                        q["account_name"],
                        " · ",
                        q["contact_name"],
                        " ",
                        q["contact_email"],
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(
                rx.button(rx.icon("download", size=14), "Download PDF", variant="soft"),
                href=BuilderState.pdf_url,
                is_external=True,
            ),
            rx.cond(
                BuilderState.editable,
                # Opens the e-mail composer (ui/composer.py), which sends the quote.
                rx.button(
                    rx.icon("send", size=14),
                    "Send",
                    on_click=ComposerState.open_for("quote", BuilderState.current_id),
                    loading=BuilderState.sending,
                ),
            ),
            composer_dialog(),
            rx.cond(
                BuilderState.can_revise,
                rx.button(rx.icon("copy-plus", size=14), "Revise", variant="soft", on_click=BuilderState.revise),
            ),
            rx.button(
                rx.icon("copy", size=14),
                "Duplicate",
                variant="soft",
                on_click=BuilderState.duplicate,
                aria_label="Duplicate as a new draft quote",
            ),
            template_dialog(),
            align="center",
            width="100%",
        ),
        rx.cond(
            q["status"] != "draft",
            rx.callout(
                rx.vstack(
                    rx.text(
                        rx.match(
                            q["status"],
                            ("sent", "Sent: waiting for the client. Revise to change it."),
                            (
                                "accepted",
                                "Accepted by " + q["accepted_name"].to(str) + " on " + q["accepted_at"].to(str),
                            ),
                            ("declined", "Declined: " + q["decline_reason"].to(str)),
                            ("superseded", "Superseded by a newer version: read-only."),
                            ("expired", "Expired: revise it to send a new version."),
                            "",
                        )
                    ),
                    rx.hstack(
                        rx.text("Client link:", size="2"),
                        rx.code(q["public_url"], aria_label="Client link"),
                        rx.button(
                            "Copy link", size="1", variant="soft", on_click=rx.set_clipboard(q["public_url"].to(str))
                        ),
                        align="center",
                    ),
                    spacing="1",
                ),
                icon="info",
                color_scheme=rx.match(q["status"], ("accepted", "green"), ("declined", "red"), "blue"),
                width="100%",
            ),
        ),
        rx.hstack(
            rx.text("Versions:", size="2", color_scheme="gray"),
            rx.foreach(
                BuilderState.versions,
                lambda v: rx.link(
                    rx.badge(
                        "v",
                        v["version"].to(str),
                        " ",
                        v["status"].to(str),
                        variant=rx.cond(v["id"] == q["id"], "solid", "soft"),
                    ),
                    href="/quotes/" + v["id"].to(str),
                ),
            ),
            align="center",
        ),
        width="100%",
    )


def builder_lines() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("Description", size="1", color_scheme="gray", flex="1", padding_left="2em"),
                rx.text("Qty · Unit · Unit price · Disc. % · Tax", size="1", color_scheme="gray"),
                rx.text("Amount", size="1", color_scheme="gray", width="13em"),
                width="100%",
            ),
            rx.cond(
                BuilderState.lines.length() > 0,
                rx.vstack(rx.foreach(BuilderState.lines, line_row), width="100%", spacing="0"),
                rx.text(
                    "No lines yet: add one from the catalog or type it freely.",
                    color_scheme="gray",
                    size="2",
                    padding="1em",
                ),
            ),
            rx.foreach(BuilderState.tail_headings, heading_row),
            rx.cond(
                BuilderState.editable,
                rx.hstack(
                    field_label(
                        "Catalog item",
                        native_select(
                            [("", "Choose…")],
                            BuilderState.catalog,
                            value=BuilderState.catalog_pick,
                            aria_label="Catalog item",
                            on_change=BuilderState.set_catalog_pick,
                        ),
                    ),
                    rx.button(
                        rx.icon("package-plus", size=14),
                        "Add from catalog",
                        variant="soft",
                        on_click=BuilderState.add_catalog_line,
                    ),
                    rx.button(
                        rx.icon("plus", size=14), "Add line", variant="soft", on_click=BuilderState.add_free_line
                    ),
                    rx.spacer(),
                    field_label(
                        "New section heading",
                        rx.input(
                            value=BuilderState.new_section,
                            on_change=BuilderState.set_new_section,
                            placeholder="Phase 2",
                        ),
                    ),
                    rx.button(
                        rx.icon("heading", size=14), "Add section", variant="soft", on_click=BuilderState.add_section
                    ),
                    align="end",
                    width="100%",
                    padding_top="0.75em",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


def builder_footer() -> rx.Component:
    return rx.grid(
        rx.vstack(
            field_label(
                "Title",
                rx.input(
                    value=BuilderState.title,
                    on_change=BuilderState.set_title,
                    on_blur=lambda _v: BuilderState.save_quote_field("title"),
                    disabled=~BuilderState.editable,
                ),
            ),
            field_label(
                "Valid until",
                rx.input(
                    type="date",
                    value=BuilderState.expires_on,
                    on_change=lambda v: BuilderState.save_quote_field("expires_on", v),
                    disabled=~BuilderState.editable,
                ),
            ),
            field_label(
                "Notes",
                rx.text_area(
                    value=BuilderState.notes,
                    on_change=BuilderState.set_notes,
                    on_blur=lambda _v: BuilderState.save_quote_field("notes"),
                    disabled=~BuilderState.editable,
                    rows="3",
                ),
            ),
            field_label(
                "Terms",
                rx.text_area(
                    value=BuilderState.terms,
                    on_change=BuilderState.set_terms,
                    on_blur=lambda _v: BuilderState.save_quote_field("terms"),
                    disabled=~BuilderState.editable,
                    rows="3",
                ),
            ),
            width="100%",
            align="stretch",
            spacing="3",
        ),
        rx.card(
            totals_panel(
                BuilderState.totals,
                rx.hstack(
                    rx.input(
                        value=BuilderState.discount,
                        on_change=BuilderState.set_discount,
                        on_blur=lambda _v: BuilderState.save_quote_field("discount_percent"),
                        aria_label="Quote discount %",
                        width="4.5em",
                        size="1",
                        input_mode="decimal",
                        aria_invalid=rx.cond(BuilderState.discount_error != "", "true", "false"),
                        aria_describedby=rx.cond(BuilderState.discount_error != "", "quote-discount-error", ""),
                        color_scheme=rx.cond(BuilderState.discount_error != "", "red", "indigo"),
                        disabled=~BuilderState.editable,
                    ),
                    rx.text("%", size="2"),
                    align="center",
                    spacing="1",
                ),
            ),
            rx.cond(
                BuilderState.discount_error != "",
                rx.hstack(
                    rx.icon("circle-alert", size=12, color=rx.color("red", 11), flex_shrink="0"),
                    rx.text("Quote discount: ", BuilderState.discount_error, size="1", color_scheme="red"),
                    id="quote-discount-error",
                    spacing="1",
                    align="center",
                    class_name="l2c-nowrap",
                ),
            ),
        ),
        grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", md="minmax(0, 1fr) auto"),
        width="100%",
        align="start",
        spacing="4",
    )


@app_page("/quotes/[quote_id]", "Quote builder", "quotes", on_load=BuilderState.load)
def builder_page() -> rx.Component:
    return rx.cond(
        BuilderState.not_found,
        empty_state(
            "file-x",
            "Quote not found",
            "It may have been removed, or the address is wrong.",
            rx.link(rx.button("All quotes"), href="/quotes"),
        ),
        rx.cond(
            BuilderState.quote.contains("id"),
            rx.vstack(
                builder_header(),
                error_callout(BuilderState.error),
                builder_lines(),
                builder_footer(),
                width="100%",
                spacing="4",
            ),
            rx.center(rx.spinner(size="3"), padding="4em", width="100%"),
        ),
    )


# --- the client's page ------------------------------------------------------------------------


def public_line(ln: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.cond(
            ln["first_in_section"] & (ln["section"] != ""),
            rx.table.row(rx.table.cell(rx.text(ln["section"], weight="bold"), col_span=4)),
        ),
        rx.table.row(
            rx.table.cell(
                rx.hstack(
                    rx.cond(
                        ln["optional"],
                        rx.checkbox(
                            checked=ln["included"].to(bool),
                            disabled=~PublicQuoteState.open_for_answer,
                            on_change=lambda v: PublicQuoteState.toggle_option(ln["id"], v),
                            aria_label="Include " + ln["description"].to(str),
                        ),
                    ),
                    rx.vstack(
                        rx.text(ln["description"]),
                        rx.cond(
                            ln["optional"],
                            rx.text(
                                rx.cond(
                                    PublicQuoteState.open_for_answer,
                                    "Optional: tick to include it",
                                    rx.cond(ln["included"], "Optional: included", "Optional: not included"),
                                ),
                                size="1",
                                color_scheme="gray",
                            ),
                        ),
                        spacing="0",
                    ),
                    align="center",
                )
            ),
            rx.table.cell(ln["quantity"], " ", ln["unit"], text_align="right"),
            rx.table.cell(ln["unit_price"], text_align="right"),
            rx.table.cell(
                rx.text(ln["amount"], color=rx.cond(ln["included"], rx.color("gray", 12), rx.color("gray", 11))),
                text_align="right",
            ),
        ),
    )


def public_answer() -> rx.Component:
    q = PublicQuoteState.pq
    return rx.cond(
        PublicQuoteState.open_for_answer,
        rx.grid(
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Accept this quote", size="3"),
                        field_label("Your full name", rx.input(name="full_name", auto_complete="name", required=True)),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=PublicQuoteState.agree,
                                    on_change=PublicQuoteState.set_agree,
                                    aria_label="I accept this quote and its terms",
                                ),
                                rx.text("I accept this quote and its terms on behalf of ", q["account_name"], size="2"),
                                align="center",
                            )
                        ),
                        rx.button("Accept quote", type="submit", color_scheme="green", loading=PublicQuoteState.busy),
                        spacing="3",
                    ),
                    on_submit=PublicQuoteState.accept,
                    reset_on_submit=False,
                )
            ),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Decline", size="3"),
                        field_label(
                            "Reason", rx.text_area(name="reason", rows="2", placeholder="A few words help us do better")
                        ),
                        rx.button("Decline quote", type="submit", variant="soft", color_scheme="red"),
                        spacing="3",
                    ),
                    on_submit=PublicQuoteState.decline,
                    reset_on_submit=False,
                )
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        rx.callout(
            rx.match(
                q["status"],
                ("accepted", "Accepted by " + q["accepted_name"].to(str) + ". Thank you!"),
                ("declined", "You declined this quote. Thank you for letting us know."),
                (
                    "expired",
                    "This quote expired on " + q["expires_on"].to(str) + ". Please ask us for an updated version.",
                ),
                (
                    "superseded",
                    "This version has been replaced by a newer one. Please use the link in our latest e-mail.",
                ),
                "",
            ),
            icon="info",
            color_scheme=rx.match(q["status"], ("accepted", "green"), ("declined", "gray"), "amber"),
            role="status",
            width="100%",
        ),
    )


@public_page("/q/[token]", "Your proposal", on_load=PublicQuoteState.load, portal_link=True)
def public_quote_page() -> rx.Component:
    q = PublicQuoteState.pq
    return rx.center(
        rx.cond(
            PublicQuoteState.invalid,
            rx.card(
                rx.vstack(
                    rx.heading("This link is not valid", size="4"),
                    rx.text("Please check the address in the e-mail you received."),
                )
            ),
            rx.cond(
                q.contains("id"),
                rx.vstack(
                    rx.hstack(
                        rx.vstack(
                            rx.text(q["org_name"], size="2", color_scheme="gray"),
                            rx.heading(q["title"], size="7"),
                            rx.text(
                                "Proposal ",
                                q["label"],
                                " for ",
                                q["account_name"],
                                " · ",
                                q["contact_name"],
                                size="2",
                                color_scheme="gray",
                            ),
                            rx.cond(
                                PublicQuoteState.pseller != "",
                                rx.text(
                                    PublicQuoteState.pseller,
                                    size="1",
                                    color_scheme="gray",
                                    white_space="pre-line",
                                    aria_label="From",
                                ),
                            ),
                            spacing="1",
                        ),
                        rx.spacer(),
                        rx.vstack(
                            status_badge(q["status"]),
                            rx.text("Valid until ", q["expires_on"], size="2", color_scheme="gray"),
                            rx.link("Download PDF", href=PublicQuoteState.pdf_link, is_external=True, size="2"),
                            align="end",
                        ),
                        width="100%",
                    ),
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Description"),
                                rx.table.column_header_cell("Quantity", text_align="right"),
                                rx.table.column_header_cell("Unit price", text_align="right"),
                                rx.table.column_header_cell("Amount", text_align="right"),
                            )
                        ),
                        rx.table.body(rx.foreach(PublicQuoteState.plines, public_line)),
                        width="100%",
                    ),
                    rx.hstack(
                        rx.spacer(),
                        rx.card(
                            totals_panel(
                                PublicQuoteState.ptotals,
                                rx.text(q["discount_percent"], "%", size="2"),
                                always_show_discount=False,
                            )
                        ),
                        width="100%",
                    ),
                    rx.cond(
                        q["notes"] != "",
                        rx.vstack(rx.heading("Notes", size="3"), rx.text(q["notes"], white_space="pre-wrap")),
                    ),
                    rx.cond(
                        q["terms"] != "",
                        rx.vstack(rx.heading("Terms", size="3"), rx.text(q["terms"], white_space="pre-wrap")),
                    ),
                    error_callout(PublicQuoteState.answer_error),
                    public_answer(),
                    width="100%",
                    spacing="5",
                ),
                rx.spinner(size="3"),
            ),
        ),
        max_width="60em",
        margin="0 auto",
        padding="2em",
        width="100%",
    )
