"""The Expenses card of /projects/[project_id]: the project's expenses, the form that adds one,
deleting an unbilled one, and a receipt upload (the bytes go to a private Document, never /_upload)."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects.expenses_state import ExpensesState
from l2c_app.ui import kit
from l2c_app.ui.layout import error_callout, field_label

S = ExpensesState
STATUS_COLORS = {"Billed": "green", "Unbilled": "amber"}


def _row(e) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e["day"], white_space="nowrap"),
        rx.table.row_header_cell(e["description"]),
        rx.table.cell(e["category"]),
        rx.table.cell(e["amount"], white_space="nowrap"),
        rx.table.cell(e["tax"]),
        rx.table.cell(e["billable"]),
        rx.table.cell(kit.status_badge(e["status"], STATUS_COLORS)),
        rx.table.cell(
            rx.cond(e["receipt_url"] != "", rx.link("Receipt", href=e["receipt_url"], is_external=True), rx.text("-"))
        ),
        rx.table.cell(
            rx.cond(
                e["billed"] == "",
                rx.button(
                    "Delete expense",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.delete(e["id"]),
                    aria_label="Delete expense " + e["description"],
                ),
                rx.fragment(),
            )
        ),
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                field_label("Date", rx.input(type="date", name="day", default_value=S.today, key=S.today)),
                field_label(
                    "Description", rx.input(name="description", placeholder="Train to the client", max_length=300)
                ),
                field_label(
                    "Amount (" + S.currency + ", excl. tax)",
                    rx.input(name="amount", placeholder="0.00", input_mode="decimal"),
                ),
                field_label(
                    "Tax rate",
                    kit.native_select([("", "No tax")], name="tax_rate", dynamic=S.tax_options, option_label="label"),
                ),
                field_label(
                    "Category",
                    kit.native_select(name="category", default="other", dynamic=S.categories, option_label="label"),
                ),
                field_label("Markup %", rx.input(name="markup", default_value="0", input_mode="decimal")),
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                rx.el.label(
                    rx.hstack(
                        rx.switch(name="billable", default_checked=True),
                        rx.text("Billable (billed with the next invoice)", size="2"),
                        align="center",
                        spacing="2",
                    )
                ),
                rx.spacer(),
                rx.button(rx.icon("plus", size=14), "Add expense", type="submit", loading=S.saving),
                align="center",
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.add,
        reset_on_submit=True,
        width="100%",
    )


def _receipt_form() -> rx.Component:
    return rx.vstack(
        rx.heading("Attach a receipt", size="3"),
        rx.text(
            "A PDF, PNG or JPEG up to 1 MB. Receipts are private: only people who see the project can open them.",
            size="1",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.box(
                field_label(
                    "Expense",
                    kit.native_select(
                        [("", "Choose…")],
                        dynamic=S.expenses,
                        option_label=lambda e: e["day"] + " · " + e["description"],
                        value=S.receipt_for,
                        on_change=S.pick_receipt_for,
                        custom_attrs={"aria-label": "Expense the receipt is for"},
                    ),
                ),
                min_width="14em",
            ),
            rx.upload(
                rx.text("Drop the receipt here or click to choose it", size="2"),
                id="expense_receipt",
                max_files=1,
                border="1px dashed var(--gray-a7)",
                padding="0.8em",
                accept={"application/pdf": [".pdf"], "image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
            ),
            rx.button(
                "Attach receipt",
                variant="soft",
                on_click=S.upload_receipt(rx.upload_files(upload_id="expense_receipt")),
            ),
            align="end",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.hstack(rx.foreach(rx.selected_files("expense_receipt"), lambda f: rx.badge(f))),
        error_callout(S.receipt_error),
        spacing="2",
        width="100%",
    )


def expenses_card() -> rx.Component:
    """The card, loaded when it mounts (the project page's own state is not touched)."""
    return rx.card(
        rx.vstack(
            rx.heading("Expenses", size="4"),
            rx.text(
                "Costs of the project (they count against its margin). Billable ones are billed once, with the "
                "markup and tax.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                S.loaded,
                rx.cond(
                    S.expenses.length() > 0,
                    kit.list_table(
                        ("Date", "Description", "Category", "Amount", "Tax", "Billable", "Status", "Receipt", ""),
                        rx.foreach(S.expenses, _row),
                    ),
                    rx.text("No expenses yet. Add the first one below.", color_scheme="gray", size="2"),
                ),
                rx.hstack(
                    rx.spinner(size="2"), rx.text("Reading the expenses…", size="2", color_scheme="gray"), role="status"
                ),
            ),
            rx.separator(),
            rx.heading("Add expense", size="3"),
            error_callout(S.error),
            _add_form(),
            rx.cond(S.expenses.length() > 0, rx.fragment(rx.separator(), _receipt_form())),
            spacing="3",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_label="Expenses",
        on_mount=S.load,
    )
