"""/q/[token]: the client's page, its lines and the accept / decline answer."""

from __future__ import annotations

import reflex as rx

from l2c_app.quotes.builder_page import totals_panel
from l2c_app.quotes.page_kit import status_badge
from l2c_app.quotes.state import PublicQuoteState
from l2c_app.ui.layout import error_callout, field_label

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
