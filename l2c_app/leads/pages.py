"""Pages of lead capture: the public contact form, the Leads table, the lead settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.state import ALL, ContactState, ImportState, LeadSettingsState, LeadsState
from l2c_app.ui import kit
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, public_page

STATUS_COLORS = {"new": "blue", "qualified": "green", "disqualified": "gray", "converted": "violet", "merged": "gray"}


def field_error(name: str) -> rx.Component:
    return rx.cond(
        ContactState.errors.contains(name),
        rx.text(ContactState.errors[name], color_scheme="red", size="1", role="alert"),
    )


@public_page("/contact", "Contact us", on_load=ContactState.load)
def contact_page() -> rx.Component:
    """Public and embeddable (iframe): no shell, no login."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(ContactState.org_name, size="6"),
                rx.cond(
                    ContactState.done,
                    rx.callout(
                        "Thank you! We received your message and will get back to you soon.",
                        icon="circle-check",
                        color_scheme="green",
                        role="status",
                    ),
                    rx.form(
                        rx.vstack(
                            rx.text("Tell us about your project and we will get back to you.", color_scheme="gray"),
                            error_callout(ContactState.errors.get("detail", "")),
                            field_label("Name", rx.input(name="name", auto_complete="name", max_length=200)),
                            field_error("name"),
                            field_label(
                                "E-mail", rx.input(name="email", type="email", auto_complete="email", max_length=320)
                            ),
                            field_error("email"),
                            field_label(
                                "Company", rx.input(name="company", auto_complete="organization", max_length=200)
                            ),
                            field_error("company"),
                            field_label(
                                "Phone", rx.input(name="phone", type="tel", auto_complete="tel", max_length=50)
                            ),
                            field_error("phone"),
                            field_label("Message", rx.text_area(name="message", rows="5", max_length=10000)),
                            field_error("message"),
                            # Honeypot: hidden from people and screen readers, bots fill it in.
                            rx.el.div(
                                rx.el.label("Website", rx.el.input(name="website", tab_index=-1, auto_complete="off")),
                                aria_hidden="true",
                                style={
                                    "position": "absolute",
                                    "left": "-10000px",
                                    "width": "1px",
                                    "height": "1px",
                                    "overflow": "hidden",
                                },
                            ),
                            rx.el.label(
                                rx.hstack(
                                    rx.checkbox(name="consent", value="on", aria_label=ContactState.consent_text),
                                    rx.text(ContactState.consent_text, size="2"),
                                    align="start",
                                    spacing="2",
                                ),
                            ),
                            rx.button("Send message", type="submit", loading=ContactState.busy, width="100%"),
                            spacing="3",
                            width="100%",
                        ),
                        on_submit=ContactState.submit,
                        reset_on_submit=False,
                        width="100%",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            width="32em",
            max_width="95vw",
            size="3",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
        padding="1em",
    )


# --- the Leads page ---------------------------------------------------------------------------


def filter_select(
    label: str, name: str, value, options: list[tuple[str, str]] | None = None, dynamic=None
) -> rx.Component:
    if dynamic is not None:
        items = rx.select.content(rx.select.item(f"All {label.lower()}s", value=ALL), dynamic)
    else:
        items = rx.select.content(*[rx.select.item(text, value=v) for v, text in options])
    return rx.box(
        field_label(
            label,
            rx.select.root(
                rx.select.trigger(aria_label=label),
                items,
                value=value,
                on_change=lambda v: LeadsState.set_filter(name, v),
            ),
        ),
        width="11em",
    )


def sort_header(text: str, column: str) -> rx.Component:
    arrow = rx.cond(LeadsState.sort == column, rx.cond(LeadsState.desc, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.button(
            text,
            arrow,
            variant="ghost",
            size="1",
            on_click=LeadsState.sort_by(column),
            aria_label=f"Sort by {text.lower()}",
        )
    )


def lead_actions(row: rx.Var) -> rx.Component:
    is_open = (row["status"] == "new") | (row["status"] == "qualified")
    return rx.hstack(
        rx.cond(
            row["status"] == "new",
            rx.button(
                "Qualify",
                size="1",
                variant="soft",
                on_click=LeadsState.qualify(row["id"]),
                aria_label=f"Qualify {row['name']}",
            ),
        ),
        rx.cond(
            is_open,
            rx.button(
                "Convert",
                size="1",
                on_click=LeadsState.ask_convert(row["id"], row["name"]),
                aria_label=f"Convert {row['name']}",
            ),
        ),
        rx.cond(
            is_open,
            rx.button(
                "Disqualify",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=LeadsState.ask_disqualify(row["id"]),
                aria_label=f"Disqualify {row['name']}",
            ),
        ),
        rx.cond(
            (row["duplicate_of_lead_id"].to(int) > 0) & is_open,
            rx.button(
                "Merge",
                size="1",
                variant="soft",
                color_scheme="orange",
                on_click=LeadsState.merge(row["duplicate_of_lead_id"], row["id"]),
                aria_label=f"Merge {row['name']} into lead #{row['duplicate_of_lead_id']}",
            ),
        ),
        rx.cond(row["deal_id"].to(int) > 0, rx.link("Open deal", href=f"/deals/{row['deal_id']}", size="2")),
        spacing="2",
    )


def lead_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(
                row["name"],
                variant="ghost",
                size="1",
                on_click=LeadsState.show(row["id"]),
                aria_label=f"Details of {row['name']}",
            )
        ),
        rx.table.cell(row["company"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["source"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(
            rx.hstack(
                kit.status_badge(row["status"], STATUS_COLORS),
                rx.cond(row["duplicate"] != "", rx.badge("duplicate", color_scheme="orange")),
                spacing="1",
            )
        ),
        rx.table.cell(row["created"], white_space="nowrap"),
        rx.table.cell(lead_actions(row)),
    )


def detail_dialog() -> rx.Component:
    d = LeadsState.detail
    line = lambda label, value: rx.hstack(rx.text(label, weight="medium", width="9em"), rx.text(value))  # noqa: E731
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(d["name"]),
            rx.vstack(
                line("E-mail", d["email"]),
                line("Company", d["company"]),
                line("Phone", d["phone"]),
                line("Source", d["source"]),
                line("Owner", d["owner"]),
                line("Status", d["status"]),
                line("Received", d["created"]),
                rx.cond(d["reason"] != "", line("Disqualified because", d["reason"])),
                rx.cond(
                    d["duplicate_of_lead_id"].to(int) > 0,
                    rx.callout(
                        rx.hstack(
                            rx.text("Possible duplicate of lead"),
                            rx.button(
                                f"#{d['duplicate_of_lead_id']}",
                                variant="ghost",
                                size="1",
                                on_click=LeadsState.show(d["duplicate_of_lead_id"]),
                            ),
                        ),
                        icon="copy",
                        color_scheme="orange",
                    ),
                ),
                rx.cond(
                    d["duplicate_of_contact_id"].to(int) > 0,
                    rx.callout("Same person or company as an existing contact.", icon="copy", color_scheme="orange"),
                ),
                rx.text("Message", weight="medium"),
                rx.text(d["message"], white_space="pre-wrap"),
                rx.cond(
                    (d["status"] == "new") | (d["status"] == "qualified"),
                    field_label(
                        "Assign to",
                        rx.select.root(
                            rx.select.trigger(placeholder="Pick a colleague", aria_label="Assign to"),
                            rx.select.content(
                                rx.foreach(LeadsState.owners, lambda o: rx.select.item(o["name"], value=o["id"]))
                            ),
                            on_change=lambda v: LeadsState.assign(d["id"], v),
                        ),
                    ),
                ),
                rx.hstack(
                    rx.spacer(),
                    rx.cond(d.contains("id"), lead_actions(d)),
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    width="100%",
                ),
                spacing="2",
            ),
            max_width="40em",
        ),
        open=LeadsState.detail_open,
        on_open_change=LeadsState.close_detail,
    )


def disqualify_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Disqualify lead"),
            rx.form(
                rx.vstack(
                    field_label("Reason", rx.input(name="reason", required=True, placeholder="No budget, spam…")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Disqualify", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=LeadsState.disqualify,
                reset_on_submit=True,
            ),
        ),
        open=LeadsState.disq_open,
        on_open_change=LeadsState.set_disq_open,
    )


def convert_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Convert ", LeadsState.conv_name, " to a deal"),
            rx.dialog.description(
                "Creates or links the account and the contact, and puts a deal in the first "
                "stage of the pipeline with everything the lead told us.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    error_callout(LeadsState.error),
                    field_label("Deal title", rx.input(name="title", placeholder="Defaults to the company name")),
                    field_label("Deal value", rx.input(name="value", placeholder="0", input_mode="decimal")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Create deal", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=LeadsState.convert,
                reset_on_submit=True,
            ),
        ),
        open=LeadsState.conv_open,
        on_open_change=LeadsState.set_conv_open,
    )


@app_page("/leads", "Leads", "leads", on_load=LeadsState.load)
def leads_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.box(
                        field_label(
                            "Search leads",
                            rx.input(name="q", placeholder="Name, e-mail, company", default_value=LeadsState.q),
                        ),
                        width="16em",
                    ),
                    rx.button("Search", type="submit", variant="soft"),
                    align="end",
                ),
                on_submit=LeadsState.search,
                reset_on_submit=False,
            ),
            filter_select(
                "Status",
                "status",
                LeadsState.status,
                [
                    (ALL, "All"),
                    ("open", "Open"),
                    ("new", "New"),
                    ("qualified", "Qualified"),
                    ("duplicates", "Possible duplicates"),
                    ("disqualified", "Disqualified"),
                    ("converted", "Converted"),
                    ("merged", "Merged"),
                ],
            ),
            filter_select(
                "Owner",
                "owner",
                LeadsState.owner,
                dynamic=rx.foreach(LeadsState.owners, lambda o: rx.select.item(o["name"], value=o["id"])),
            ),
            filter_select(
                "Source",
                "source",
                LeadsState.source,
                dynamic=rx.foreach(LeadsState.sources, lambda s: rx.select.item(s, value=s)),
            ),
            filter_select(
                "Age",
                "age",
                LeadsState.age,
                [
                    (ALL, "Any age"),
                    ("1d", "Last 24 h"),
                    ("7d", "Last 7 days"),
                    ("30d", "Last 30 days"),
                    ("90d", "Last 90 days"),
                ],
            ),
            rx.spacer(),
            # A download of our own route (the session cookie authorises it), not a client-side navigation.
            rx.button(
                rx.icon("download", size=14),
                "Export CSV",
                variant="soft",
                on_click=rx.download(url=LeadsState.export_url, filename="leads.csv"),
            ),
            rx.link(rx.button(rx.icon("upload", size=14), "Import CSV", variant="soft"), href="/leads/import"),
            rx.link(
                rx.button(rx.icon("external-link", size=14), "Public form", variant="ghost"),
                href="/contact",
                is_external=True,
            ),
            align="end",
            width="100%",
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            LeadsState.total > 0,
            rx.vstack(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            sort_header("Name", "name"),
                            sort_header("Company", "company"),
                            sort_header("E-mail", "email"),
                            sort_header("Source", "source"),
                            rx.table.column_header_cell("Owner"),
                            sort_header("Status", "status"),
                            sort_header("Received", "created"),
                            rx.table.column_header_cell("Actions"),
                        )
                    ),
                    rx.table.body(rx.foreach(LeadsState.rows, lead_row)),
                    width="100%",
                    size="1",
                ),
                rx.hstack(
                    rx.text(
                        LeadsState.total,
                        " leads · page ",
                        LeadsState.page,
                        " of ",
                        LeadsState.pages,
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.spacer(),
                    rx.button(
                        "Previous page",
                        size="1",
                        variant="soft",
                        disabled=LeadsState.page <= 1,
                        on_click=LeadsState.go_page(-1),
                    ),
                    rx.button(
                        "Next page",
                        size="1",
                        variant="soft",
                        disabled=LeadsState.page >= LeadsState.pages,
                        on_click=LeadsState.go_page(1),
                    ),
                    width="100%",
                    align="center",
                ),
                width="100%",
            ),
            empty_state(
                "inbox",
                "No leads match",
                "Leads arrive from the public contact form at /contact and from the API "
                "(POST /api/v1/leads). Each one gets an owner at once. Change the filters to see others.",
            ),
        ),
        detail_dialog(),
        disqualify_dialog(),
        convert_dialog(),
        width="100%",
        spacing="4",
    )


# --- settings ---------------------------------------------------------------------------------


def rule_row(rule: rx.Var, index: rx.Var) -> rx.Component:
    return rx.hstack(
        field_label(
            "Source",
            rx.input(
                value=rule["source"],
                on_change=lambda v: LeadSettingsState.set_rule(index, "source", v),
                placeholder="web, ads, partner…",
            ),
        ),
        field_label(
            "Goes to",
            rx.select.root(
                rx.select.trigger(aria_label="Goes to"),
                rx.select.content(
                    rx.foreach(LeadSettingsState.team, lambda u: rx.select.item(u["name"], value=u["id"]))
                ),
                value=rule["user"],
                on_change=lambda v: LeadSettingsState.set_rule(index, "user", v),
            ),
        ),
        rx.button(
            "Remove rule",
            size="1",
            variant="soft",
            color_scheme="red",
            type="button",
            on_click=LeadSettingsState.remove_rule(index),
        ),
        align="end",
        width="100%",
    )


@app_page("/settings/leads", "Lead capture settings", "settings", on_load=LeadSettingsState.load)
def lead_settings_page() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Assignment", size="3"),
                rx.text(
                    "Every lead gets an owner at once. When no rule applies, the organisation's owner gets it.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.radio_group.root(
                    rx.vstack(
                        rx.el.label(
                            rx.hstack(
                                rx.radio_group.item(value="round_robin"), rx.text("Round-robin among the chosen people")
                            )
                        ),
                        rx.el.label(
                            rx.hstack(rx.radio_group.item(value="by_source"), rx.text("By source (then round-robin)"))
                        ),
                        rx.el.label(
                            rx.hstack(rx.radio_group.item(value="owner"), rx.text("Always the organisation's owner"))
                        ),
                    ),
                    value=LeadSettingsState.mode,
                    on_change=LeadSettingsState.set_mode,
                    aria_label="Assignment mode",
                ),
                rx.text("Round-robin between", weight="medium", size="2"),
                rx.hstack(
                    rx.foreach(
                        LeadSettingsState.team,
                        lambda u: rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=LeadSettingsState.users.contains(u["id"]),
                                    aria_label=u["name"],
                                    on_change=lambda c: LeadSettingsState.toggle_user(u["id"], c),
                                ),
                                rx.text(u["name"], size="2"),
                                spacing="1",
                            )
                        ),
                    ),
                    wrap="wrap",
                    spacing="4",
                ),
                rx.text("Rules by source", weight="medium", size="2"),
                rx.foreach(LeadSettingsState.rules, rule_row),
                rx.button("Add a source rule", type="button", variant="soft", on_click=LeadSettingsState.add_rule),
                rx.separator(),
                rx.heading("Contact form", size="3"),
                field_label(
                    "Consent text",
                    rx.text_area(
                        name="consent_text",
                        rows="3",
                        default_value=LeadSettingsState.consent_text,
                        key=LeadSettingsState.consent_text,
                    ),
                    "Shown next to the checkbox of the public form at /contact.",
                ),
                field_label(
                    "Leads per minute from one address",
                    rx.input(
                        name="rate_limit",
                        default_value=LeadSettingsState.rate_limit,
                        key=LeadSettingsState.rate_limit,
                        input_mode="numeric",
                    ),
                    "Above this, the public form and API answer 429 (spam protection).",
                ),
                error_callout(LeadSettingsState.error),
                rx.button("Save lead settings", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LeadSettingsState.save,
            reset_on_submit=False,
        ),
        width="100%",
        max_width="48em",
    )


# --- CSV import -------------------------------------------------------------------------------


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


@app_page("/leads/import", "Import leads and contacts", "leads", on_load=ImportState.load)
def import_page() -> rx.Component:
    return rx.vstack(
        rx.link("← Leads", href="/leads", size="2"),
        rx.cond(
            ImportState.interrupted_id > 0,
            rx.callout(
                rx.vstack(
                    rx.text(ImportState.interrupted_text),
                    rx.button("Resume the import", on_click=ImportState.resume, loading=ImportState.running),
                    spacing="2",
                ),
                icon="triangle-alert",
                color_scheme="orange",
                width="100%",
            ),
        ),
        rx.card(
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
        ),
        rx.cond(
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
        ),
        width="100%",
        max_width="64em",
        spacing="4",
    )
