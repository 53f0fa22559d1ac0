"""State of the shared pages: My day (home), Settings (organisation, seller, tax rounding, API keys),
Outbox, Search. Their components (admin_pages.py and the *_card.py modules) read it; it calls services."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import reflex as rx

from l2c_app.core import seller
from l2c_app.core.auth import AuthError, revoke_api_key
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.core.lines import PER_LINE, save_tax_convention, tax_convention
from l2c_app.core.seller import FIELDS as SELLER_FIELDS
from l2c_app.ui import admin_service as svc
from l2c_app.ui.first_day import checklist
from l2c_app.ui.guard import current_access, guard
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


class OutboxState(AuthState):
    messages: list[dict] = []

    @rx.event
    @guard("outbox")
    async def load(self):
        self.messages = await run_db(svc.list_outbox)
        return None


class SearchPageState(AuthState):
    q: str = ""
    results: list[dict] = []

    @rx.event
    @guard("home")
    async def load(self):
        self.q = (parse_qs(urlparse(str(self.router.url)).query).get("q") or [""])[0]
        self.results = await run_db(svc.search, self.q) if self.q.strip() else []
        return None
