"""Settings > Catalog and taxes: the tax rates and the catalog items, their forms."""

from __future__ import annotations

import reflex as rx

from l2c_app.quotes.builder_form import NO_TAX
from l2c_app.quotes.state import CatalogState
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import empty_state, error_callout, field_label

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
                                    dynamic=CatalogState.active_rates,
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
