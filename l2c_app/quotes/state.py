"""UI state of the quotes stage: thin; every rule is in quotes.service, every figure comes
from quotes.totals (the builder recomputes totals as you type with the same function).

What the states read is in page_data (run through `run_db`), the builder's rows and live
totals in builder_form, the catalog forms in catalog_form; the builder's line and section
handlers are the mixin builder_line_events (still BuilderState's handlers)."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.quotes import builder_form, catalog_form
from l2c_app.quotes import service as svc
from l2c_app.quotes.builder_form import flat
from l2c_app.quotes.builder_line_events import BuilderLineEvents
from l2c_app.quotes.page_data import builder_data as _builder_data  # noqa: F401  (tests build a state from it)
from l2c_app.quotes.page_data import catalog_data, template_options
from l2c_app.quotes.records import QuoteRow
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg, route_id

BILLING_KIND_OPTIONS = list(svc.BILLING_KINDS)


class CatalogState(AuthState):
    rates: list[dict[str, Any]] = []
    active_rates: list[dict[str, str]] = []
    items: list[dict[str, Any]] = []
    show_archived: bool = False
    tax_error: str = ""
    item_error: str = ""
    new_kind: str = "fixed"
    edit_tax_id: int = 0
    tax_form: dict[str, str] = {}
    edit_item_id: int = 0
    item_form: dict[str, str] = {}
    form_key: int = 0  # bumped to re-mount the forms with new default values

    async def _reload(self) -> None:
        data = await run_db(catalog_data, self.show_archived)
        self.rates, self.active_rates, self.items = data["rates"], data["active_rates"], data["items"]

    @rx.event
    @guard("settings")
    async def load(self):
        self.tax_error = self.item_error = ""
        await self._reload()
        return None

    @rx.event
    @guard("settings")
    async def toggle_archived(self, value: bool):
        self.show_archived = bool(value)
        await self._reload()
        return None

    @rx.event
    def set_new_kind(self, kind: str):
        self.new_kind = kind

    @rx.event
    @guard("settings")
    async def start_edit_tax(self, rate: dict):
        self.edit_tax_id = int(rate["id"])
        self.tax_form = catalog_form.tax_form(rate)
        self.tax_error, self.form_key = "", self.form_key + 1
        return None

    @rx.event
    def set_nothing_edited(self):
        """Cancel: the forms go back to adding (no data involved)."""
        self.edit_tax_id = self.edit_item_id = 0
        self.tax_form, self.item_form, self.new_kind = {}, {}, "fixed"
        self.tax_error = self.item_error = ""
        self.form_key += 1

    @rx.event
    @guard("settings")
    async def add_tax(self, form: dict):
        actor = self._actor()
        inclusive = form.get("inclusive") in ("on", "true", True)
        try:
            if self.edit_tax_id:
                await run_db(
                    svc.update_tax_rate,
                    actor,
                    self.edit_tax_id,
                    name=form.get("name"),
                    percent=form.get("percent"),
                    inclusive=inclusive,
                )
            else:
                await run_db(
                    svc.create_tax_rate, actor, name=form.get("name"), percent=form.get("percent"), inclusive=inclusive
                )
        except svc.QuoteError as exc:
            self.tax_error = str(exc)
            return None
        done = "saved" if self.edit_tax_id else "added"
        self.tax_error, self.edit_tax_id, self.tax_form, self.form_key = "", 0, {}, self.form_key + 1
        await self._reload()
        return rx.toast.success(f"Tax rate {form.get('name')} {done}.")

    @rx.event
    @guard("settings")
    async def remove_tax(self, rate_id: int):
        outcome = await run_db(svc.remove_tax_rate, self._actor(), int(rate_id))
        await self._reload()
        return rx.toast.success("Tax rate archived (it is in use)." if outcome == "archived" else "Tax rate deleted.")

    @rx.event
    @guard("settings")
    async def restore_tax(self, rate_id: int):
        await run_db(svc.restore_tax_rate, self._actor(), int(rate_id))
        await self._reload()
        return None

    @rx.event
    @guard("settings")
    async def add_item(self, form: dict):
        try:
            fields = catalog_form.item_fields(form, self.new_kind)
            actor = self._actor()
            if self.edit_item_id:
                await run_db(svc.update_catalog_item, actor, self.edit_item_id, **fields)
            else:
                await run_db(svc.create_catalog_item, actor, **fields)
        except svc.QuoteError as exc:
            self.item_error = str(exc)
            return None
        done = "saved" if self.edit_item_id else "added to the catalog"
        self.item_error, self.edit_item_id, self.item_form, self.new_kind = "", 0, {}, "fixed"
        self.form_key += 1
        await self._reload()
        return rx.toast.success(f"{form.get('name')} {done}.")

    @rx.event
    @guard("settings")
    async def start_edit_item(self, item: dict):
        self.edit_item_id = int(item["id"])
        self.new_kind = item["kind"]
        self.item_form = catalog_form.item_form(item)
        self.item_error, self.form_key = "", self.form_key + 1
        return None

    @rx.event
    @guard("settings")
    async def remove_item(self, item_id: int):
        outcome = await run_db(svc.remove_catalog_item, self._actor(), int(item_id))
        await self._reload()
        return rx.toast.success("Item archived (quotes use it)." if outcome == "archived" else "Item deleted.")

    @rx.event
    @guard("settings")
    async def restore_item(self, item_id: int):
        await run_db(svc.restore_catalog_item, self._actor(), int(item_id))
        await self._reload()
        return None


# --- the list of quotes -----------------------------------------------------------------------


class QuotesListState(AuthState):
    quotes: list[QuoteRow] = []
    status_filter: str = "all"

    @rx.event
    @guard("quotes")
    async def load(self):
        self.quotes = await run_db(svc.list_quotes, status=None if self.status_filter == "all" else self.status_filter)
        return None

    @rx.event
    async def set_filter(self, value: str):
        self.status_filter = value
        return QuotesListState.load


# --- the builder ------------------------------------------------------------------------------


class BuilderState(BuilderLineEvents, AuthState):
    quote: dict[str, Any] = {}
    versions: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    taxes: list[dict[str, Any]] = []
    catalog: list[dict[str, str]] = []
    discount: str = "0"
    title: str = ""
    notes: str = ""
    terms: str = ""
    expires_on: str = ""
    error: str = ""
    not_found: bool = False
    sending: bool = False
    dragging: int = 0
    new_section: str = ""
    catalog_pick: str = ""
    tax_convention: str = "per_line"
    tail_headings: list[dict[str, Any]] = []  # empty sections after the last line
    discount_error: str = ""
    template_name: str = ""
    template_open: bool = False

    @rx.var
    def editable(self) -> bool:
        return self.quote.get("status") == "draft"

    @rx.var
    def current_id(self) -> int:
        return int(self.quote.get("id") or 0)

    @rx.var
    def pdf_url(self) -> str:
        return f"/api/v1/quotes/{self.quote.get('id', 0)}/pdf"

    @rx.var
    def can_revise(self) -> bool:
        return self.quote.get("status") in ("sent", "declined", "expired")

    def _apply(self, data: dict[str, Any]) -> None:
        view = data["view"]
        self.taxes, self.catalog = data["taxes"], data["catalog"]
        self.tax_convention = data["tax_convention"]
        self.quote = flat(view)
        self.versions = view["versions"]
        self.totals = view["totals"]
        self.discount, self.title = view["discount_percent"], view["title"]
        self.notes, self.terms, self.expires_on = view["notes"], view["terms"], view["expires_on"]
        self.lines, self.tail_headings = builder_form.builder_rows(view)
        self.discount_error = ""

    async def _load_quote(self, quote_id: int) -> None:
        self._apply(await run_db(_builder_data, quote_id))

    @rx.event
    @guard("quotes")
    async def load(self):
        self.error, self.not_found = "", False
        qid = route_id(self, "quotes")
        try:
            if not qid:
                raise svc.NotFound("Quote")
            await self._load_quote(qid)
        except svc.QuoteError:
            self.not_found, self.quote, self.lines = True, {}, []
        return None

    # live totals: the same pure function as the saved quote's, on what is typed right now
    # (builder_form.preview marks each refused figure on its field, and then shows no total)
    def _preview(self) -> None:
        shown = builder_form.preview(
            self.lines, self.taxes, self.quote.get("currency", "EUR"), self.discount, self.tax_convention
        )
        self.discount_error, self.error = shown.discount_error, shown.error
        if shown.totals is not None:
            self.totals = shown.totals

    def _invalid(self) -> int:
        return builder_form.invalid_count(self.lines, self.discount_error)

    @rx.var
    def invalid_count(self) -> int:
        """Fields refused right now (the totals wait until they are fixed)."""
        return self._invalid()

    async def _do(self, access, fn, *args, success: str | None = None, **kwargs):
        """Run one service call for the viewer the handler has just checked, then reload the quote."""
        done = await self._call(fn, Actor("user", access.viewer.id), *args, **kwargs)
        self.error = done.error
        if not done.ok:
            return done.toast()
        await self._load_quote(self.current_id)
        return rx.toast.success(success) if success else None

    @rx.event
    @guard("quotes")
    async def duplicate(self):
        try:
            new = await run_db(svc.duplicate_quote, self._actor(), self.current_id)
        except svc.QuoteError as exc:
            return rx.toast.error(str(exc))
        return [
            rx.redirect(f"/quotes/{new.id}"),
            rx.toast.success(f"Duplicated as {svc.quote_label(new)}, a new draft."),
        ]

    @rx.event
    def set_template_open(self, value: bool):
        self.template_open = bool(value)

    @rx.event
    def set_template_name(self, value: str):
        self.template_name = value

    @rx.event
    @guard("quotes")
    async def save_template(self):
        try:
            t = await run_db(svc.save_as_template, self._actor(), self.current_id, self.template_name)
        except svc.QuoteError as exc:
            return rx.toast.error(str(exc))
        self.template_open, self.template_name = False, ""
        return rx.toast.success(f"Saved as the template {t.name}: pick it on a deal's New quote.")

    @rx.event
    def set_discount(self, value: str):
        self.discount = value
        self._preview()

    @rx.event
    def set_title(self, value: str):
        self.title = value

    @rx.event
    def set_notes(self, value: str):
        self.notes = value

    @rx.event
    def set_terms(self, value: str):
        self.terms = value

    @rx.event
    @guard("quotes")
    async def save_quote_field(self, field: str, value: Any = None):
        access = current_access()
        if not self.editable or (field == "discount_percent" and self.discount_error):
            return None
        value = {"discount_percent": self.discount, "title": self.title, "notes": self.notes, "terms": self.terms}.get(
            field, value
        )
        if field == "expires_on":
            self.expires_on = value or ""
        qid = self.current_id
        return await self._do(access, lambda s, a: svc.update_quote(s, a, qid, **{field: value}))

    @rx.event
    @guard("quotes")
    async def send(self):
        access = current_access()
        self.sending = True
        yield
        result = await self._do(
            access, svc.send_quote, self.current_id, success="Quote sent. The e-mail is in the Outbox."
        )
        self.sending = False
        yield result

    @rx.event
    @guard("quotes")
    async def revise(self):
        try:
            new = await run_db(svc.revise_quote, self._actor(), self.current_id)
        except svc.QuoteError as exc:
            return rx.toast.error(str(exc))
        return [rx.redirect(f"/quotes/{new.id}"), rx.toast.success(f"New version {svc.quote_label(new)} created.")]


# --- the deal page's panel --------------------------------------------------------------------


class DealQuotesState(AuthState):
    deal_quotes: list[dict[str, Any]] = []
    templates: list[dict[str, str]] = []
    template_pick: str = ""
    creating: bool = False

    @rx.event
    async def load_panel(self):
        access = await self._access("quotes")
        if not access.allowed:
            self.deal_quotes = []
            return None
        deal_id = route_id(self, "deals")
        self.deal_quotes = await run_db(svc.deal_quotes, deal_id) if deal_id else []
        self.templates = await run_db(template_options)
        return None

    @rx.event
    def set_template_pick(self, value: str):
        self.template_pick = value

    @rx.event
    @guard("quotes")
    async def new_quote(self):
        deal_id = route_id(self, "deals")
        if not deal_id:
            yield rx.toast.error("Open a deal first.")
            return
        self.creating = True
        yield
        try:
            if self.template_pick:
                quote = await run_db(svc.create_quote_from_template, self._actor(), deal_id, int(self.template_pick))
            else:
                quote = await run_db(svc.create_quote_from_deal, self._actor(), deal_id)
        except svc.QuoteError as exc:
            self.creating = False
            yield rx.toast.error(str(exc))
            return
        self.creating = False
        yield rx.redirect(f"/quotes/{quote.id}")


# --- the client's page (public) ---------------------------------------------------------------


class PublicQuoteState(rx.State):
    """The client's page `/q/<token>`.

    Threat model: anyone holding the link. The token (256 random bits) is the only key;
    it shows this one quote version (no internal fields, no link into the app) and lets
    its holder accept or decline while the quote is open. Every event re-reads the quote
    by token from the database: nothing the browser sends except the typed answer and
    the ticked optional line ids is trusted, and the service checks those ids belong to
    this quote.
    """

    pq: dict[str, Any] = {}
    pseller: str = ""  # the seller profile's "From" block
    plines: list[dict[str, Any]] = []
    ptotals: dict[str, Any] = {}
    picked: list[int] = []
    invalid: bool = False
    answer_error: str = ""
    busy: bool = False
    agree: bool = False

    def _token(self) -> str:
        return route_arg(self, "q")

    def _show(self, view: dict[str, Any]) -> None:
        # the client reads the expiry in the organisation's locale (the view, like the API, keeps ISO)
        expires = view["expires_on"]
        self.pq = {**flat(view), "expires_on": formats.day(date.fromisoformat(expires)) if expires else ""}
        self.ptotals = view["totals"]
        previous = None
        lines = []
        for ln in view["lines"]:
            lines.append({**ln, "first_in_section": ln["section"] != previous})
            previous = ln["section"]
        self.plines = lines

    @rx.var
    def open_for_answer(self) -> bool:
        return self.pq.get("status") == "sent"

    @rx.var
    def pdf_link(self) -> str:
        return f"/api/public/quotes/{self._token()}/pdf" if self.pq else ""

    @rx.event
    async def load(self):
        self.answer_error, self.agree = "", False
        try:
            view = await run_db(svc.public_view, self._token())
        except svc.QuoteError:
            self.invalid, self.pq, self.plines = True, {}, []
            return
        self.invalid = False
        self.picked = [ln["id"] for ln in view["lines"] if ln["optional"] and ln["included"]]
        self._show(view)
        from l2c_app.core.seller import seller_block_text

        self.pseller = await run_db(seller_block_text)

    @rx.event
    async def toggle_option(self, line_id: int, checked: bool):
        if not self.open_for_answer:
            return
        ids = set(self.picked)
        ids.add(int(line_id)) if checked else ids.discard(int(line_id))
        try:
            view = await run_db(svc.public_view, self._token(), ids)
        except svc.QuoteError:
            self.invalid = True
            return
        self.picked = sorted(ids)
        self._show(view)

    @rx.event
    def set_agree(self, value: bool):
        self.agree = bool(value)

    def _client(self) -> tuple[str, str]:
        return self.router.session.client_ip or "", self.router.headers.user_agent or ""

    @rx.event
    async def accept(self, form: dict):
        self.busy = True
        yield
        ip, ua = self._client()
        try:
            await run_db(
                svc.accept_quote,
                self._token(),
                name=form.get("full_name", ""),
                agreed=self.agree,
                ip=ip,
                user_agent=ua,
                selected_line_ids=list(self.picked),
            )
        except svc.QuoteError as exc:
            self.answer_error, self.busy = str(exc), False
            return
        self.busy, self.answer_error = False, ""
        self._show(await run_db(svc.public_view, self._token()))
        yield rx.toast.success("Thank you: the quote is accepted.")

    @rx.event
    async def decline(self, form: dict):
        ip, ua = self._client()
        try:
            await run_db(svc.decline_quote, self._token(), reason=form.get("reason", ""), ip=ip, user_agent=ua)
        except svc.QuoteError as exc:
            self.answer_error = str(exc)
            return None
        self.answer_error = ""
        self._show(await run_db(svc.public_view, self._token()))
        return rx.toast.success("Thank you for letting us know.")
