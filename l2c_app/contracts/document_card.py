"""The contract page's Document card: the contract text, edited on a draft, its merge fields checked."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.document_view import DOC_STYLE, document_markdown
from l2c_app.contracts.state import ContractState
from l2c_app.contracts.ui_kit import field_label, unknown_flag


def document_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Document", size="3"),
                rx.spacer(),
                rx.link(
                    rx.button(
                        rx.icon("download", size=14),
                        rx.cond(s.c["signed_sha256"] != "", "Download signed PDF", "Download PDF"),
                        variant="soft",
                    ),
                    href=s.pdf_url,
                    is_external=True,
                ),
                rx.cond(
                    (s.c["signed_sha256"] != "") & (s.c["original_sha256"] != ""),
                    rx.link(
                        rx.button("Download original PDF", variant="soft", color_scheme="gray"),
                        href=s.pdf_url + "?version=original",
                        is_external=True,
                    ),
                ),
                width="100%",
            ),
            rx.cond(
                s.is_draft,
                rx.vstack(
                    field_label(
                        "Contract title", rx.input(value=s.title_text, on_change=s.set_title_text, width="100%")
                    ),
                    rx.grid(
                        field_label(
                            "Contract text",
                            rx.text_area(
                                value=s.body_text,
                                on_change=s.set_body_text,
                                rows="20",
                                font_family="monospace",
                                width="100%",
                            ),
                        ),
                        rx.vstack(
                            rx.text(
                                "Preview (as the signer sees it)", size="2", weight="bold", id="contract-preview-label"
                            ),
                            # The public signing page's renderer (document_markdown), so the preview is
                            # exactly the signer's view of the same Markdown subset.
                            rx.box(
                                document_markdown(s.body_text),
                                style=DOC_STYLE,
                                max_height="32em",
                                overflow_y="auto",
                                width="100%",
                                padding="0.5em",
                                border="1px solid var(--gray-a5)",
                                border_radius="var(--radius-2)",
                                role="region",
                                aria_labelledby="contract-preview-label",
                                data_testid="contract-preview",
                            ),
                            width="100%",
                            spacing="1",
                        ),
                        columns=rx.breakpoints(initial="1", lg="2"),
                        spacing="3",
                        width="100%",
                    ),
                    unknown_flag(s.unknown),
                    rx.button("Save draft", variant="soft", on_click=s.save_draft),
                    width="100%",
                ),
                rx.box(
                    document_markdown(s.c["body"]),
                    style=DOC_STYLE,
                    max_height="30em",
                    overflow_y="auto",
                    width="100%",
                    data_scroll_region="Contract text",
                    padding="0.5em",
                    border="1px solid var(--gray-a5)",
                    border_radius="var(--radius-2)",
                ),
            ),
            rx.cond(
                s.c["original_sha256"] != "", rx.text("Original SHA-256: ", rx.code(s.c["original_sha256"]), size="1")
            ),
            rx.cond(
                s.c["signed_sha256"] != "", rx.text("Signed PDF SHA-256: ", rx.code(s.c["signed_sha256"]), size="1")
            ),
            width="100%",
        ),
        width="100%",
    )
