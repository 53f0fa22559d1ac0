"""Shared pages: My day (home), Settings (organisation, API keys), Outbox, Search."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import reflex as rx

from l2c_app.core import seller
from l2c_app.core.auth import AuthError, revoke_api_key
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.core.lines import PER_LINE, PER_RATE, TAX_CONVENTIONS, save_tax_convention, tax_convention
from l2c_app.core.seller import FIELDS as SELLER_FIELDS
from l2c_app.insights.settings_card import insights_settings_card
from l2c_app.pipeline.components import my_day_panel
from l2c_app.team.account_pages import two_factor_policy_card
from l2c_app.ui import admin_service as svc
from l2c_app.ui.accounting_sync_card import accounting_sync_card
from l2c_app.ui.first_day import checklist
from l2c_app.ui.formats_card import formats_card
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.integrations_card import integrations_card
from l2c_app.ui.layout import app_page, empty_state, error_callout, field_label, native_select
from l2c_app.ui.session import AuthState


class HomeState(AuthState):
    counts: dict[str, int] = {}
    steps: list[dict[str, str]] = []  # the getting-started checklist (people who may set up)
    steps_done: int = 0

    @rx.event
    @guard("home")
    async def load(self):
        access = current_access()
        self.counts = await run_db(svc.home_counts, access.viewer.id)
        steps = await run_db(checklist) if "settings" in self.allowed_sections else []
        self.steps_done = sum(1 for st in steps if st["done"])
        self.steps = (
            [] if self.steps_done == len(steps) else [{**st, "done": "yes" if st["done"] else ""} for st in steps]
        )
        return None


def checklist_step(st: rx.Var) -> rx.Component:
    done = st["done"] == "yes"
    return rx.hstack(
        rx.cond(
            done,
            rx.icon("circle-check", size=18, color=rx.color("green", 11), aria_hidden="true", flex_shrink="0"),
            rx.icon("circle", size=18, color=rx.color("gray", 11), aria_hidden="true", flex_shrink="0"),
        ),
        rx.vstack(
            rx.link(
                st["title"],
                href=st["href"],
                weight="medium",
                size="2",
                text_decoration=rx.cond(done, "line-through", "underline"),
            ),
            rx.text(rx.cond(done, "Done. ", ""), st["text"], size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        class_name="l2c-nowrap",
    )


def getting_started() -> rx.Component:
    """Shown to people who may set up, until every step is done."""
    return rx.cond(
        HomeState.steps.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Getting started", size="4"),
                    rx.spacer(),
                    rx.text(
                        HomeState.steps_done, " of ", HomeState.steps.length(), " done", size="2", color_scheme="gray"
                    ),
                    width="100%",
                    align="center",
                ),
                rx.progress(
                    value=HomeState.steps_done
                    * 100
                    // rx.cond(HomeState.steps.length() > 0, HomeState.steps.length(), 1),
                    aria_label="Getting started progress",
                ),
                rx.el.ul(
                    rx.foreach(HomeState.steps, lambda st: rx.el.li(checklist_step(st), list_style="none")),
                    padding="0",
                    margin="0",
                    width="100%",
                    display="grid",
                    gap="0.6em",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            max_width="44em",
            role="region",
            aria_label="Getting started",
        ),
    )


def stat(label: str, value: rx.Var, href: str) -> rx.Component:
    return rx.link(
        rx.card(rx.vstack(rx.text(label, size="2", color_scheme="gray"), rx.heading(value, size="7")), width="12em"),
        href=href,
        underline="none",
    )


@app_page("/", "My day", "home", on_load=HomeState.load)
def home_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Hello, ", AuthState.user_name, size="6"),
        rx.text("What needs you today, across the whole cycle.", color_scheme="gray"),
        getting_started(),
        rx.hstack(
            stat("My open leads", HomeState.counts["open_leads"], "/leads"),
            stat("My open deals", HomeState.counts["open_deals"], "/pipeline"),
            stat("Unread notifications", HomeState.counts["unread"], "/"),
            spacing="4",
            wrap="wrap",
        ),
        my_day_panel(),
        spacing="4",
        width="100%",
    )


SELLER_LABELS = {
    "legal_name": "Legal name",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "postcode": "Postcode",
    "city": "City",
    "country": "Country",
    "tax_id": "VAT / tax id",
    "iban": "IBAN",
    "bic": "BIC",
    "account_number": "Account number",
    "routing_code": "Routing number / sort code",
    "logo": "Logo",
}


class SettingsState(AuthState):
    org: dict[str, str] = {}
    keys: list[dict] = []
    error: str = ""
    new_key: str = ""
    tax_convention: str = PER_LINE
    # Every field present from the first render: the inputs are keyed by their stored value, and
    # a key going from undefined to "" on load would re-mount an input and wipe what was typed.
    seller: dict[str, str] = dict.fromkeys(SELLER_FIELDS, "")
    seller_error: str = ""
    logo_uri: str = ""
    logo_error: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        self.org = await run_db(svc.org_settings)
        self.keys = await run_db(svc.list_api_keys)
        self.new_key = ""
        self.tax_convention = await run_db(tax_convention)
        self.seller = await run_db(seller.seller_profile)
        self.logo_uri = await run_db(seller.logo_data_uri)
        self.seller_error = self.logo_error = ""
        return None

    @rx.event
    @guard("settings")
    async def save_seller(self, form: dict):
        try:
            self.seller = await run_db(seller.save_seller_profile, self._actor(), form)
        except DomainError as exc:
            label = SELLER_LABELS.get(exc.field or "", "")
            self.seller_error = f"{label}: {ui_message(exc)}" if label else ui_message(exc)
            return None
        self.seller_error = ""
        return rx.toast.success("Seller profile saved: printed on quotes, invoices and credit notes.")

    @rx.event
    @guard("settings")
    async def upload_logo(self, files: list[rx.UploadFile]):
        if not files:
            self.logo_error = "Choose a PNG or JPEG file first."
            return None
        # Read one byte past the limit: enough to refuse a large file without holding all of it.
        data = await files[0].read(seller.LOGO_MAX_BYTES + 1)
        try:
            await run_db(seller.set_logo, self._actor(), data, files[0].name or "logo")
        except DomainError as exc:
            self.logo_error = ui_message(exc)
            return None
        self.logo_error = ""
        self.logo_uri = await run_db(seller.logo_data_uri)
        return [rx.clear_selected_files("logo_upload"), rx.toast.success("Logo saved.")]

    @rx.event
    @guard("settings")
    async def remove_logo(self):
        await run_db(seller.remove_logo, self._actor())
        self.logo_uri = ""
        return rx.toast.success("Logo removed.")

    @rx.event
    @guard("settings")
    async def save_tax_convention(self, value: str):
        try:
            self.tax_convention = await run_db(save_tax_convention, self._actor(), value)
        except ValueError as exc:
            return rx.toast.error(ui_message(exc) if isinstance(exc, DomainError) else str(exc))
        return rx.toast.success("Tax rounding saved: drafts and quotes follow it when next recomputed.")

    @rx.event
    @guard("settings")
    async def save_org(self, form: dict):
        try:
            await run_db(
                svc.update_org, self._actor(), form.get("name", ""), form.get("currency", ""), form.get("timezone", "")
            )
        except AuthError as exc:
            self.error = str(exc)
            return None
        self.error = ""
        self.org = await run_db(svc.org_settings)
        self.org_name = self.org.get("name", self.org_name)
        return rx.toast.success("Organisation saved.")

    @rx.event
    @guard("settings")
    async def create_key(self, form: dict):
        try:
            _, secret = await run_db(
                svc.create_key, self._actor(), form.get("name", ""), form.get("access", "Full access")
            )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.new_key = secret
        self.keys = await run_db(svc.list_api_keys)
        return None

    @rx.event
    @guard("settings")
    async def revoke_key(self, key_id: int):
        await run_db(revoke_api_key, self._actor(), int(key_id))
        self.keys = await run_db(svc.list_api_keys)
        return rx.toast.success("Key revoked.")


# Each stage registers its own settings page at these routes.
STAGE_SETTINGS = [
    ("Lead capture and assignment", "/settings/leads", "Contact form, consent text, assignment rules"),
    ("Pipeline stages", "/settings/pipeline", "Columns of the board, win probabilities, stale days"),
    ("Catalog and taxes", "/settings/catalog", "Services, hourly roles, recurring fees, tax rates"),
    ("Contract templates", "/settings/contracts", "Templates with merge fields"),
    ("Delivery", "/settings/delivery", "Time approval, automatic projects"),
    ("Invoicing", "/settings/billing", "Number pattern, terms, reminders"),
    ("Accounting", "/settings/accounting", "Accounts and tax codes the journal posts to; journal export batches"),
    ("Audit log", "/settings/audit", "Who changed what and when; filters and CSV export"),
    ("Outbox deliveries", "/settings/outbox", "E-mails, payment links, envelopes: queued, sent, failed; retry"),
    ("Webhooks", "/settings/webhooks", "Signed events to your URLs, delivery log, replay"),
]


def _seller_input(field: str, hint: str | None = None, **props) -> rx.Component:
    value = SettingsState.seller[field]
    return field_label(SELLER_LABELS[field], rx.input(name=field, default_value=value, key=value, **props), hint)


def seller_card() -> rx.Component:
    """Who issues the documents and where clients pay: printed on quotes, invoices, credit notes."""
    two = {"initial": "1", "sm": "2"}
    return rx.card(
        rx.vstack(
            rx.heading("Seller profile", size="3"),
            rx.text(
                "Printed on every quote, invoice and credit note and on their client pages.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(SettingsState.seller_error),
            rx.form(
                rx.vstack(
                    rx.grid(
                        _seller_input("legal_name", "Leave empty to print the organisation's name."),
                        _seller_input("tax_id", None, placeholder="e.g. FR40303265045"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.grid(
                        _seller_input("address_line1"),
                        _seller_input("address_line2"),
                        _seller_input("postcode"),
                        _seller_input("city"),
                        _seller_input("country"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.heading("Bank account", size="2"),
                    rx.text(
                        "An IBAN with its BIC, or an account number with its routing number or sort code. "
                        'Shown under "Pay by bank transfer" with the invoice number as the reference; EUR '
                        "invoices also get a SEPA QR code.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.grid(
                        _seller_input("iban", None, placeholder="e.g. DE89 3704 0044 0532 0130 00"),
                        _seller_input("bic", None, placeholder="e.g. COBADEFFXXX"),
                        _seller_input("account_number"),
                        _seller_input("routing_code"),
                        columns=two,
                        spacing="3",
                        width="100%",
                    ),
                    rx.button("Save seller profile", type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SettingsState.save_seller,
                reset_on_submit=False,
                width="100%",
            ),
            rx.heading("Logo", size="2"),
            error_callout(SettingsState.logo_error),
            rx.flex(
                rx.cond(
                    SettingsState.logo_uri != "",
                    rx.image(src=SettingsState.logo_uri, alt="Current logo", max_height="4em", max_width="12em"),
                    rx.text("No logo yet.", size="2", color_scheme="gray"),
                ),
                rx.upload(
                    rx.vstack(
                        rx.icon("image-up", size=20),
                        rx.text("Drop a PNG or JPEG here or click to choose one (at most 512 KB)", size="2"),
                        align="center",
                    ),
                    id="logo_upload",
                    accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
                    max_files=1,
                    border="1px dashed var(--gray-a7)",
                    padding="1em",
                    width="100%",
                    max_width="26em",
                ),
                rx.vstack(
                    rx.foreach(rx.selected_files("logo_upload"), lambda f: rx.badge(f)),
                    rx.button(
                        "Upload logo", on_click=SettingsState.upload_logo(rx.upload_files(upload_id="logo_upload"))
                    ),
                    rx.cond(
                        SettingsState.logo_uri != "",
                        rx.button(
                            "Remove logo", variant="soft", color_scheme="red", on_click=SettingsState.remove_logo
                        ),
                    ),
                    spacing="2",
                ),
                direction={"initial": "column", "sm": "row"},
                spacing="4",
                align={"initial": "start", "sm": "center"},
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
        width="100%",
    )


@app_page("/settings", "Settings", "settings", on_load=SettingsState.load)
def settings_page() -> rx.Component:
    return rx.vstack(
        rx.grid(
            *[
                rx.link(
                    rx.card(
                        rx.vstack(
                            rx.text(title, weight="bold"), rx.text(hint, size="2", color_scheme="gray"), spacing="1"
                        )
                    ),
                    href=href,
                    underline="none",
                )
                for title, href, hint in STAGE_SETTINGS
            ],
            columns={"initial": "1", "sm": "2", "md": "3"},
            spacing="3",
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Organisation", size="3"),
                error_callout(SettingsState.error),
                rx.form(
                    rx.hstack(
                        field_label(
                            "Name",
                            rx.input(
                                name="name", default_value=SettingsState.org["name"], key=SettingsState.org["name"]
                            ),
                        ),
                        field_label(
                            "Currency",
                            rx.input(
                                name="currency",
                                default_value=SettingsState.org["currency"],
                                key=SettingsState.org["currency"],
                                max_length=3,
                            ),
                        ),
                        field_label(
                            "Time zone",
                            rx.input(
                                name="timezone",
                                default_value=SettingsState.org["timezone"],
                                key=SettingsState.org["timezone"],
                            ),
                        ),
                        rx.button("Save organisation", type="submit"),
                        align="end",
                        width="100%",
                        wrap="wrap",
                    ),
                    on_submit=SettingsState.save_org,
                    reset_on_submit=False,
                ),
                width="100%",
            ),
            width="100%",
        ),
        formats_card(),
        seller_card(),
        integrations_card(),
        accounting_sync_card(),
        two_factor_policy_card(),
        insights_settings_card(),
        rx.card(
            rx.vstack(
                rx.heading("Tax rounding", size="3"),
                field_label(
                    "How tax is computed on every document",
                    rx.select.root(
                        rx.select.trigger(aria_label="How tax is computed on every document"),
                        rx.select.content(
                            rx.select.item("Tax per line (default)", value=PER_LINE),
                            rx.select.item("Tax per rate on the document (EN 16931)", value=PER_RATE),
                        ),
                        value=SettingsState.tax_convention,
                        on_change=SettingsState.save_tax_convention,
                    ),
                ),
                rx.text(
                    rx.cond(
                        SettingsState.tax_convention == PER_RATE, TAX_CONVENTIONS[PER_RATE], TAX_CONVENTIONS[PER_LINE]
                    ),
                    " Quotes, contracts, change orders, invoices and credit notes all use it.",
                    size="2",
                    color_scheme="gray",
                ),
                width="100%",
            ),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("API keys", size="3"),
                rx.text(
                    "Keys let other systems call the REST API (Authorization: Bearer …). A key is shown once.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(
                    SettingsState.new_key != "",
                    rx.callout(
                        rx.vstack(
                            rx.text("Copy this key now; it will not be shown again:"),
                            rx.code(SettingsState.new_key, aria_label="New API key"),
                        ),
                        icon="key",
                        color_scheme="amber",
                        width="100%",
                    ),
                ),
                rx.form(
                    rx.hstack(
                        field_label("Key name", rx.input(name="name", placeholder="e.g. website form", required=True)),
                        rx.vstack(
                            rx.text("Access", size="2", weight="medium"),
                            native_select(list(svc.ACCESS_CHOICES), "access", label="Access"),
                            spacing="1",
                        ),
                        rx.button("Create API key", type="submit"),
                        align="end",
                        wrap="wrap",
                    ),
                    on_submit=SettingsState.create_key,
                    reset_on_submit=True,
                ),
                rx.cond(
                    SettingsState.keys.length() > 0,
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(h)
                                    for h in ("Name", "Key", "Access", "Created", "Last used", "Status", "")
                                ]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                SettingsState.keys,
                                lambda k: rx.table.row(
                                    rx.table.cell(k["name"]),
                                    rx.table.cell(rx.code(k["prefix"])),
                                    rx.table.cell(k["access"]),
                                    rx.table.cell(k["created"]),
                                    rx.table.cell(k["last_used"]),
                                    rx.table.cell(rx.badge(k["status"])),
                                    rx.table.cell(
                                        rx.cond(
                                            k["status"] == "active",
                                            rx.button(
                                                "Revoke",
                                                size="1",
                                                color_scheme="red",
                                                variant="soft",
                                                on_click=SettingsState.revoke_key(k["id"]),
                                            ),
                                        )
                                    ),
                                ),
                            )
                        ),
                        width="100%",
                    ),
                    rx.text("No API keys yet.", size="2", color_scheme="gray"),
                ),
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        spacing="4",
    )


class OutboxState(AuthState):
    messages: list[dict] = []

    @rx.event
    @guard("outbox")
    async def load(self):
        self.messages = await run_db(svc.list_outbox)
        return None


def message_card(m: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(
                    rx.cond(m["status"] == "outbox", "Not sent (no SMTP configured)", m["status"]),
                    color_scheme=rx.cond(m["status"] == "sent", "green", "amber"),
                ),
                rx.text("To ", m["to"], size="2", weight="medium"),
                rx.cond(m["cc"] != "", rx.text("Cc ", m["cc"], size="2", color_scheme="gray")),
                rx.spacer(),
                rx.text(m["created"], size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.text(m["subject"], weight="bold"),
            rx.text(m["body"], size="2", white_space="pre-wrap"),
            rx.cond(
                m["link"] != "",
                rx.hstack(
                    rx.code(m["link"]),
                    rx.button("Copy link", size="1", variant="soft", on_click=rx.set_clipboard(m["link"])),
                    align="center",
                ),
            ),
            width="100%",
        ),
        width="100%",
    )


@app_page("/outbox", "Outbox", "outbox", on_load=OutboxState.load)
def outbox_page() -> rx.Component:
    return rx.cond(
        OutboxState.messages.length() > 0,
        rx.vstack(rx.foreach(OutboxState.messages, message_card), width="100%"),
        empty_state(
            "mail",
            "The outbox is empty",
            "Every e-mail l2c writes (quotes, signing links, invoices) "
            "is kept here; without SMTP settings it is not sent, so copy the link from here.",
        ),
    )


class SearchPageState(AuthState):
    q: str = ""
    results: list[dict] = []

    @rx.event
    @guard("home")
    async def load(self):
        self.q = (parse_qs(urlparse(str(self.router.url)).query).get("q") or [""])[0]
        self.results = await run_db(svc.search, self.q) if self.q.strip() else []
        return None


@app_page("/search", "Search", "home", on_load=SearchPageState.load)
def search_page() -> rx.Component:
    return rx.vstack(
        rx.text("Results for “", SearchPageState.q, "”", color_scheme="gray"),
        rx.cond(
            SearchPageState.results.length() > 0,
            rx.vstack(
                rx.foreach(
                    SearchPageState.results,
                    lambda r: rx.link(
                        rx.hstack(
                            rx.badge(r["kind"]),
                            rx.text(r["title"], weight="medium"),
                            rx.text(r["detail"], color_scheme="gray", size="2"),
                        ),
                        href=r["href"],
                    ),
                ),
                width="100%",
            ),
            empty_state("search", "Nothing found", "Try a name, an e-mail or a company."),
        ),
        width="100%",
    )
