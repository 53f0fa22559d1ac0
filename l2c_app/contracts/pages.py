"""Pages of the contracts stage: the list, one contract, template settings, the public signing page."""

from __future__ import annotations

import reflex as rx

from l2c_app.contracts.state import ContractsListState, ContractState, SignState, TemplateSettingsState
from l2c_app.projects.components import contract_panel
from l2c_app.ui import kit
from l2c_app.ui.composer import composer_dialog
from l2c_app.ui.layout import app_page, empty_state, error_callout, public_page
from l2c_app.ui.layout import field_label as _field_label

STATUS_COLORS = {
    "draft": "gray",
    "sent": "blue",
    "delivered": "cyan",
    "completed": "green",
    "declined": "red",
    "voided": "orange",
    "signed": "green",
    "viewed": "cyan",
    "created": "gray",
}


def field_label(text: str, control: rx.Component, hint: str | None = None) -> rx.Component:
    """ui.layout.field_label, with the label a block so wide controls (the template text) can fill the card."""
    out = _field_label(text, control, hint)
    label = out if hint is None else out.children[0]
    label.style.update({"display": "block", "width": "100%"})
    return out


# Markdown tables (the scope) with visible rules, as in the PDF.
DOC_STYLE = {
    "& table": {"border_collapse": "collapse", "margin": "0.5em 0"},
    "& th, & td": {"border_bottom": "1px solid var(--gray-a6)", "padding": "0.3em 0.6em"},
}


def _link_as_text(*children, **_props) -> rx.Component:
    # The href is dropped: a contract links nowhere (the signer must not be sent off-site).
    return rx.el.span(*children)


def _no_image(*_children, **_props) -> rx.Component:
    # No <img>: the signing page loads nothing from outside (a tracker pixel would tell a third
    # party when and from where the client opened the contract).
    return rx.el.span()


# The Markdown subset of a contract (contracts/merge.py) has no links and no images.
DOCUMENT_COMPONENTS = {"a": _link_as_text, "img": _no_image}


def document_markdown(text) -> rx.Component:
    """Contract text as Markdown, never as HTML: it carries client-supplied data (company names
    from the public lead form), and rx.markdown renders raw HTML by default (rehype-raw), which
    would be stored XSS. Math is off too: "$1,000 and $2,000" is money, not LaTeX.

    Merged values arrive escaped (merge.escape_md), so they cannot form links or images; links and
    images are also rendered as plain text / nothing here, so not even the template can add one."""
    return rx.markdown(
        text, use_raw=False, use_math=False, use_katex=False, use_unwrap_images=False, component_map=DOCUMENT_COMPONENTS
    )


def status_badge(status) -> rx.Component:
    return kit.status_badge(status, STATUS_COLORS)


def unknown_flag(unknown: rx.Var) -> rx.Component:
    return rx.cond(
        unknown.length() > 0,
        rx.callout(
            rx.hstack(
                rx.text("Unknown merge fields (they would print as typed):"),
                rx.foreach(unknown, lambda n: rx.code(n, color_scheme="red")),
                wrap="wrap",
            ),
            icon="triangle-alert",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.text("All merge fields are known.", size="1", color_scheme="green", role="status"),
    )


# --- /settings/contracts --------------------------------------------------------------------------


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


def signing_card() -> rx.Component:
    s = TemplateSettingsState
    return rx.card(
        rx.vstack(
            rx.heading("Signing", size="3"),
            rx.cond(
                s.signing["docusign"] == "True",
                rx.vstack(
                    rx.badge("DocuSign configured", color_scheme="green"),
                    rx.text(
                        "Account ",
                        s.signing["docusign_account"],
                        ", ",
                        s.signing["hmac_keys"],
                        " Connect HMAC key(s). Connect URL:",
                        size="1",
                    ),
                    rx.code(s.signing["webhook_url"], size="1"),
                    spacing="1",
                ),
                rx.text(
                    "Built-in signer (DocuSign not configured: set the DOCUSIGN_* variables).",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.form(
                rx.hstack(
                    field_label(
                        "Signing links work for (days)",
                        rx.input(
                            name="link_days",
                            type="number",
                            min="1",
                            max="90",
                            default_value=s.signing["link_days"],
                            key=s.signing["link_days"],
                            width="100%",
                        ),
                    ),
                    rx.button("Save", type="submit", variant="soft"),
                    align="end",
                    width="100%",
                ),
                on_submit=s.save_link_days,
                reset_on_submit=False,
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


# --- /contracts --------------------------------------------------------------------------------------


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


# --- /contracts/[contract_id] ----------------------------------------------------------------------


def signer_row(sg: rx.Var) -> rx.Component:
    s = ContractState
    return rx.table.row(
        rx.table.cell(sg["routing_order"]),
        rx.table.cell(rx.match(sg["kind"], ("signer", "Client signer"), ("countersigner", "Counter-signer"), "CC")),
        rx.table.cell(sg["name"]),
        rx.table.cell(sg["email"]),
        rx.table.cell(status_badge(sg["status"])),
        rx.table.cell(
            rx.cond(
                s.is_draft,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Remove " + sg["email"],
                    on_click=s.remove_signer(sg["id"]),
                ),
                rx.cond(
                    s.is_open & (sg["status"] != "signed") & (sg["status"] != "declined"),
                    rx.button(
                        "Re-send link",
                        size="1",
                        variant="soft",
                        aria_label="Re-send link to " + sg["email"],
                        on_click=s.resend(sg["id"]),
                    ),
                ),
            )
        ),
    )


def signers_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Signers", size="3"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(h) for h in ("Order", "Role", "Name", "E-mail", "Status", "")]
                    )
                ),
                rx.table.body(rx.foreach(s.signers, signer_row)),
                width="100%",
            ),
            rx.cond(
                s.is_draft,
                rx.vstack(
                    rx.form(
                        rx.hstack(
                            field_label("Signer name", rx.input(name="name", required=True)),
                            field_label("Signer e-mail", rx.input(name="email", type="email", required=True)),
                            field_label("Role", rx.select(["signer", "cc"], name="kind", default_value="signer")),
                            field_label(
                                "Routing order",
                                rx.input(
                                    name="routing_order",
                                    type="number",
                                    min="1",
                                    max="99",
                                    placeholder="auto",
                                    width="6em",
                                ),
                            ),
                            rx.button("Add signer", type="submit"),
                            align="end",
                            width="100%",
                        ),
                        on_submit=s.add_signer,
                        reset_on_submit=True,
                    ),
                    rx.hstack(
                        field_label(
                            "Counter-signer from the team",
                            rx.select.root(
                                rx.select.trigger(placeholder="Choose a team member"),
                                rx.select.content(
                                    rx.foreach(s.team, lambda u: rx.select.item(u["label"], value=u["id"]))
                                ),
                                value=s.counter_choice,
                                on_change=s.set_counter_choice,
                            ),
                        ),
                        rx.button("Add counter-signer", variant="soft", on_click=s.add_countersigner),
                        align="end",
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(
                s.is_open & (s.c["provider"] == "builtin"),
                rx.form(
                    rx.hstack(
                        field_label(
                            "Signer to change",
                            rx.select.root(
                                rx.select.trigger(placeholder="Choose a signer"),
                                rx.select.content(
                                    rx.foreach(
                                        s.signers,
                                        lambda sg: rx.select.item(
                                            sg["name"] + " <" + sg["email"] + ">", value=sg["id"].to(str)
                                        ),
                                    )
                                ),
                                name="signer_id",
                            ),
                        ),
                        field_label("New name", rx.input(name="name", required=True)),
                        field_label("New e-mail", rx.input(name="email", type="email", required=True)),
                        rx.button("Change signer and re-send", type="submit", variant="soft"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=s.change_signer,
                    reset_on_submit=True,
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


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


def actions_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Actions", size="3"),
            rx.cond(
                s.is_draft,
                rx.button(
                    rx.icon("send", size=14), "Send for signature", on_click=s.send, loading=s.busy, width="100%"
                ),
            ),
            rx.cond(
                s.is_draft | s.is_open,
                rx.vstack(
                    field_label(
                        "Reason for voiding",
                        rx.input(value=s.void_reason, on_change=s.set_void_reason, placeholder="e.g. scope changed"),
                    ),
                    rx.button("Void contract", color_scheme="red", variant="soft", on_click=s.void, width="100%"),
                    width="100%",
                ),
            ),
            rx.cond(
                s.my_signature,
                rx.card(
                    rx.vstack(
                        rx.text("Your signature is needed", weight="bold", size="2"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=s.sign_consent,
                                    on_change=s.set_sign_consent,
                                    aria_label="I agree to sign electronically",
                                ),
                                rx.text("I agree to sign electronically", size="2"),
                                align="center",
                            )
                        ),
                        field_label(
                            "Type your full name",
                            rx.input(value=s.sign_name, on_change=s.set_sign_name, auto_complete="name", width="100%"),
                        ),
                        rx.button(
                            rx.icon("signature", size=14), "Sign the contract", on_click=s.sign_here, width="100%"
                        ),
                        width="100%",
                        spacing="2",
                    ),
                    width="100%",
                    variant="surface",
                ),
            ),
            rx.cond(
                s.c["status"] == "completed",
                rx.vstack(
                    rx.text(
                        "Signed by everyone. The signed PDF is ready; it is on the deal and goes to the project.",
                        size="2",
                        color_scheme="green",
                        role="status",
                    ),
                    rx.link(
                        rx.button(rx.icon("download", size=14), "Download signed PDF", width="100%"),
                        href=s.pdf_url,
                        is_external=True,
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(s.c["void_reason"] != "", rx.callout("Voided: " + s.c["void_reason"], color_scheme="orange")),
            rx.cond(
                s.c["declined_reason"] != "", rx.callout("Declined: " + s.c["declined_reason"], color_scheme="red")
            ),
            contract_panel(),
            composer_dialog(),
            width="100%",
        ),
        width="100%",
    )


def trail_card() -> rx.Component:
    s = ContractState
    return rx.card(
        rx.vstack(
            rx.heading("Status and audit trail", size="3"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(h) for h in ("When (UTC)", "Event", "By", "Detail")])
                ),
                rx.table.body(
                    rx.foreach(
                        s.trail,
                        lambda e: rx.table.row(
                            rx.table.cell(e["at"]),
                            rx.table.cell(e["event"]),
                            rx.table.cell(e["who"]),
                            rx.table.cell(e["detail"]),
                        ),
                    )
                ),
                width="100%",
                size="1",
            ),
            width="100%",
        ),
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


# --- /sign/[token] (public) ----------------------------------------------------------------------


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
