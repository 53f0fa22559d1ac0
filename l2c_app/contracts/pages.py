"""Pages of the contracts stage: the list, one contract, template settings, the public signing page."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.actions_card import actions_card
from l2c_app.contracts.document_card import document_card
from l2c_app.contracts.document_view import DOC_STYLE, document_markdown
from l2c_app.contracts.signers_card import signers_card
from l2c_app.contracts.signing_card import signing_card
from l2c_app.contracts.state import ContractsListState, ContractState, SignState, TemplateSettingsState
from l2c_app.contracts.trail_card import trail_card
from l2c_app.contracts.ui_kit import field_label, status_badge, unknown_flag
from l2c_app.ui.layout import app_page, empty_state, error_callout, public_page


@app_page("/settings/contracts", "Contract templates", "settings", on_load=TemplateSettingsState.load)
def templates_page() -> rx.Component:
    s = TemplateSettingsState
    return rx.grid(
        rx.card(
            rx.vstack(
                rx.hstack(
                    field_label(
                        "Template",
                        rx.select.root(
                            rx.select.trigger(placeholder="Choose a template"),
                            rx.select.content(
                                rx.foreach(
                                    s.templates,
                                    lambda t: rx.select.item(
                                        rx.cond(t["default"], t["name"].to(str) + " (default)", t["name"]),
                                        value=t["id"].to(str),
                                    ),
                                )
                            ),
                            value=s.selected_id.to(str),
                            on_change=s.select_template,
                        ),
                    ),
                    rx.button(rx.icon("plus", size=14), "New template", variant="soft", on_click=s.new_template),
                    align="end",
                    width="100%",
                ),
                error_callout(s.error),
                field_label("Template name", rx.input(value=s.name, on_change=s.set_name, width="100%")),
                field_label(
                    "Template text",
                    rx.text_area(value=s.body, on_change=s.set_body, rows="24", font_family="monospace", width="100%"),
                    "Markdown: # headings, paragraphs, - bullets, | tables |. Merge fields in {{double braces}}.",
                ),
                unknown_flag(s.unknown),
                rx.hstack(
                    rx.button("Save template", on_click=s.save(False), loading=s.saving),
                    rx.button("Save and make default", variant="soft", on_click=s.save(True), loading=s.saving),
                    rx.spacer(),
                    rx.cond(
                        s.selected_id > 0,
                        rx.button("Archive template", color_scheme="red", variant="soft", on_click=s.archive),
                    ),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            )
        ),
        rx.vstack(
            signing_card(),
            rx.card(
                rx.vstack(
                    rx.heading("Merge fields", size="3"),
                    rx.text(
                        "Filled from the deal, its client and the accepted quote when a contract is created.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.foreach(
                        s.fields,
                        lambda f: rx.vstack(
                            rx.code("{{" + f[0] + "}}"), rx.text(f[1], size="1", color_scheme="gray"), spacing="0"
                        ),
                    ),
                    spacing="2",
                )
            ),
            spacing="4",
        ),
        columns=rx.breakpoints(initial="1", md="3fr 1fr"),
        spacing="4",
        width="100%",
    )


def contract_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["title"], href="/contracts/" + r["id"].to(str))),
        rx.table.cell(r["deal"]),
        rx.table.cell(status_badge(r["status"])),
        rx.table.cell(r["provider"]),
        rx.table.cell(r["created"]),
        rx.table.cell(r["sent"]),
        rx.table.cell(
            rx.cond(
                r["signed"],
                rx.link("Signed PDF", href="/api/v1/contracts/" + r["id"].to(str) + "/pdf", is_external=True),
            )
        ),
    )


@app_page("/contracts", "Contracts", "contracts", on_load=ContractsListState.load)
def contracts_page() -> rx.Component:
    s = ContractsListState
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading("Create a contract", size="3"),
                error_callout(s.error),
                rx.cond(
                    s.quotes.length() > 0,
                    rx.hstack(
                        field_label(
                            "Accepted quote",
                            rx.select.root(
                                rx.select.trigger(placeholder="Choose an accepted quote"),
                                rx.select.content(
                                    rx.foreach(s.quotes, lambda q: rx.select.item(q["label"], value=q["id"].to(str)))
                                ),
                                value=s.quote_choice,
                                on_change=s.set_quote_choice,
                            ),
                        ),
                        rx.button("Create contract", on_click=s.create, loading=s.creating),
                        align="end",
                        width="100%",
                    ),
                    rx.text(
                        "Every accepted quote already has a contract. Accept a quote on a deal to create another.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                width="100%",
            )
        ),
        rx.hstack(
            field_label(
                "Status",
                rx.select(
                    ["all", "draft", "sent", "delivered", "completed", "declined", "voided"],
                    value=s.status_filter,
                    on_change=s.set_status_filter,
                ),
            ),
            width="14em",
        ),
        rx.cond(
            s.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Contract", "Deal", "Status", "Signing", "Created", "Sent", "PDF")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(s.rows, contract_row)),
                width="100%",
            ),
            empty_state(
                "signature",
                "No contracts yet",
                "Create a contract from an accepted quote; it is signed with the built-in signer or DocuSign.",
            ),
        ),
        spacing="4",
        width="100%",
    )


@app_page("/contracts/[contract_id]", "Contract", "contracts", on_load=ContractState.load)
def contract_page() -> rx.Component:
    s = ContractState
    return rx.cond(
        s.not_found,
        empty_state(
            "file-x",
            "No such contract",
            "It may have been removed. Go back to the contracts list.",
            rx.link(rx.button("All contracts"), href="/contracts"),
        ),
        rx.vstack(
            rx.hstack(
                rx.heading(s.c["title"], size="5"),
                status_badge(s.c["status"]),
                rx.badge(s.c["provider"], variant="outline"),
                rx.spacer(),
                rx.link("Deal: " + s.c["deal"], href="/deals/" + s.c["deal_id"]),
                align="center",
                width="100%",
            ),
            error_callout(s.error),
            rx.grid(
                rx.vstack(document_card(), signers_card(), trail_card(), width="100%", spacing="4"),
                actions_card(),
                columns=rx.breakpoints(initial="1", md="3fr 1fr"),
                spacing="4",
                width="100%",
            ),
            width="100%",
            spacing="4",
        ),
    )


@public_page("/sign/[token]", "Sign a contract", on_load=SignState.load, portal_link=True)
def sign_page() -> rx.Component:
    s = SignState
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.icon("signature", size=24, color=rx.color("accent", 10)),
                rx.heading(rx.cond(s.org != "", s.org, "l2c"), size="5"),
                align="center",
            ),
            rx.cond(
                ~s.loaded,
                rx.spinner(),
                rx.cond(
                    s.link_error != "",
                    rx.callout(s.link_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
                    rx.vstack(
                        rx.heading(s.doc_title, size="6"),
                        rx.text("For ", s.signer_name, color_scheme="gray"),
                        rx.card(rx.box(document_markdown(s.doc_body), style=DOC_STYLE, width="100%"), width="100%"),
                        rx.link("Open the PDF", href=s.pdf_url, is_external=True),
                        rx.cond(
                            s.done != "",
                            rx.vstack(
                                rx.callout(
                                    s.done, icon="circle-check", color_scheme="green", role="status", width="100%"
                                ),
                                rx.cond(
                                    s.signed_ready,
                                    rx.link(
                                        rx.button(rx.icon("download", size=14), "Download the signed PDF", size="3"),
                                        href=s.signed_pdf_url,
                                        is_external=True,
                                    ),
                                ),
                                width="100%",
                            ),
                            rx.card(
                                rx.vstack(
                                    error_callout(s.form_error),
                                    rx.el.label(
                                        rx.hstack(
                                            rx.checkbox(
                                                checked=s.consent,
                                                on_change=s.set_consent,
                                                aria_label="I agree to sign electronically",
                                            ),
                                            rx.text("I agree to sign electronically"),
                                            align="center",
                                        )
                                    ),
                                    field_label(
                                        "Type your full name",
                                        rx.input(
                                            value=s.typed_name,
                                            on_change=s.set_typed_name,
                                            auto_complete="name",
                                            width="100%",
                                        ),
                                    ),
                                    rx.text(
                                        "Typing your name and pressing Sign has the same effect as a handwritten "
                                        "signature. Your IP address and browser are recorded on the certificate.",
                                        size="1",
                                        color_scheme="gray",
                                    ),
                                    rx.button("Sign", on_click=s.sign, loading=s.busy, size="3", width="100%"),
                                    rx.separator(),
                                    field_label(
                                        "Reason for declining",
                                        rx.text_area(
                                            value=s.decline_reason,
                                            on_change=s.set_decline_reason,
                                            rows="2",
                                            width="100%",
                                        ),
                                    ),
                                    rx.button(
                                        "Decline",
                                        color_scheme="red",
                                        variant="soft",
                                        on_click=s.decline,
                                        loading=s.busy,
                                    ),
                                    width="100%",
                                    spacing="3",
                                ),
                                width="100%",
                            ),
                        ),
                        rx.cond(
                            s.others.length() > 0,
                            rx.vstack(
                                rx.text("Other signers", weight="bold", size="2"),
                                rx.foreach(
                                    s.others,
                                    lambda o: rx.hstack(
                                        rx.text(o["name"], size="2"),
                                        rx.text(o["role"], size="1", color_scheme="gray"),
                                        status_badge(o["status"]),
                                    ),
                                ),
                                spacing="1",
                            ),
                        ),
                        width="100%",
                        spacing="4",
                    ),
                ),
            ),
            width="100%",
            max_width="52em",
            padding="2em",
            spacing="4",
        ),
        width="100%",
        background=rx.color("gray", 2),
        min_height="100vh",
        align_items="start",
    )
