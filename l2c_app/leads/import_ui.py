"""The import page's cards: choose the CSV file; map its columns, preview, import and the outcome."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.state import ImportState
from l2c_app.ui.layout import error_callout, field_label


def mapping_select(field_name: rx.Var) -> rx.Component:
    return rx.box(
        field_label(
            field_name.to(str).capitalize(),
            rx.select.root(
                rx.select.trigger(aria_label="Column for " + field_name.to(str)),
                rx.select.content(
                    rx.select.item("(not imported)", value="-"),
                    rx.foreach(ImportState.headers, lambda h: rx.select.item(h, value=h)),
                ),
                value=ImportState.mapping[field_name].to(str),
                on_change=lambda v: ImportState.set_mapping(field_name, v),
            ),
        ),
        width="12em",
    )


def file_card() -> rx.Component:
    """Step 1: choose the CSV file and read it."""
    return rx.card(
        rx.vstack(
            rx.heading("1. Choose a CSV file", size="3"),
            rx.text(
                "One lead (or contact) per row, with a header row. Each lead is checked, deduplicated and "
                "assigned like a lead from the contact form.",
                size="2",
                color_scheme="gray",
            ),
            rx.upload(
                rx.vstack(
                    rx.icon("upload", size=24),
                    rx.text("Drop a CSV file here or click to choose one", size="2"),
                    align="center",
                ),
                id="leads_csv",
                accept={"text/csv": [".csv"], "text/plain": [".txt"]},
                max_files=1,
                border="1px dashed var(--gray-a7)",
                padding="1.5em",
                width="100%",
            ),
            rx.hstack(rx.foreach(rx.selected_files("leads_csv"), lambda f: rx.badge(f))),
            rx.button(
                "Read the file",
                on_click=ImportState.upload(rx.upload_files(upload_id="leads_csv")),
                disabled=ImportState.running,
            ),
            error_callout(ImportState.error),
            width="100%",
            spacing="3",
        )
    )


def mapping_card() -> rx.Component:
    """Step 2 (once a file is read): lead or contact, the column mapping, a preview, the import and its outcome."""
    return rx.cond(
        ImportState.row_count > 0,
        rx.card(
            rx.vstack(
                rx.heading("2. Map the columns", size="3"),
                rx.radio_group.root(
                    rx.hstack(
                        rx.el.label(
                            rx.hstack(rx.radio_group.item(value="leads"), rx.text("Import as leads", size="2"))
                        ),
                        rx.el.label(
                            rx.hstack(
                                rx.radio_group.item(value="contacts"),
                                rx.text("Import as contacts (with their accounts)", size="2"),
                            )
                        ),
                        spacing="4",
                    ),
                    value=ImportState.kind,
                    on_change=ImportState.set_kind,
                    aria_label="Import as",
                    disabled=ImportState.running,
                ),
                rx.text(ImportState.filename, ": ", ImportState.row_count, " rows", size="2", color_scheme="gray"),
                rx.hstack(rx.foreach(ImportState.fields, mapping_select), wrap="wrap", spacing="3"),
                rx.heading("Preview", size="2"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(rx.foreach(ImportState.fields, lambda f: rx.table.column_header_cell(f)))
                    ),
                    rx.table.body(
                        rx.foreach(
                            ImportState.preview,
                            lambda r: rx.table.row(rx.foreach(ImportState.fields, lambda f: rx.table.cell(r[f]))),
                        )
                    ),
                    width="100%",
                    size="1",
                ),
                rx.hstack(
                    rx.button("Start import", on_click=ImportState.start, loading=ImportState.running),
                    rx.cond(
                        ImportState.running | ImportState.finished,
                        rx.text(ImportState.done_rows, " of ", ImportState.row_count, " rows", size="2"),
                    ),
                    align="center",
                ),
                rx.cond(
                    ImportState.running | ImportState.finished,
                    rx.progress(value=ImportState.percent, max=100, aria_label="Import progress", width="100%"),
                ),
                rx.cond(
                    ImportState.finished,
                    rx.callout(
                        rx.cond(
                            ImportState.kind == "contacts",
                            rx.text(
                                ImportState.imported,
                                " contacts imported, ",
                                ImportState.error_count,
                                " rows with errors.",
                            ),
                            rx.text(
                                ImportState.imported,
                                " leads imported (",
                                ImportState.duplicates,
                                " flagged as possible duplicates), ",
                                ImportState.error_count,
                                " rows with errors.",
                            ),
                        ),
                        icon="circle-check",
                        color_scheme=rx.cond(ImportState.error_count > 0, "orange", "green"),
                        role="status",
                    ),
                ),
                rx.cond(
                    ImportState.finished & (ImportState.error_count > 0),
                    rx.button(
                        rx.icon("download", size=14),
                        "Download error report",
                        variant="soft",
                        on_click=ImportState.download_errors,
                    ),
                ),
                width="100%",
                spacing="3",
            )
        ),
    )
