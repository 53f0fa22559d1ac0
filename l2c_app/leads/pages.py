"""Pages of lead capture: the public contact form, the Leads table, the lead settings."""

from __future__ import annotations

import reflex as rx

from l2c_app.leads.assignment_rules_ui import rule_row
from l2c_app.leads.import_ui import file_card, mapping_card
from l2c_app.leads.lead_dialogs import convert_dialog, detail_dialog, disqualify_dialog
from l2c_app.leads.list_ui import filter_select, lead_row, sort_header
from l2c_app.leads.state import ALL, ContactState, ImportState, LeadSettingsState, LeadsState
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, public_page


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
        file_card(),
        mapping_card(),
        width="100%",
        max_width="64em",
        spacing="4",
    )
