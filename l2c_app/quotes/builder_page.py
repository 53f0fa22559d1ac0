"""/quotes/[quote_id]: the builder's header, lines, totals, footer and the save-as-template dialog."""

from __future__ import annotations

import reflex as rx

from l2c_app.quotes.line_rows import heading_row, line_row
from l2c_app.quotes.page_kit import status_badge
from l2c_app.quotes.state import BuilderState
from l2c_app.ui.composer import ComposerState, composer_dialog
from l2c_app.ui.kit import native_select
from l2c_app.ui.layout import empty_state, error_callout, field_label


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
                            dynamic=BuilderState.catalog,
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
