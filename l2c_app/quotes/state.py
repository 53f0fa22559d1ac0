"""UI state of the quotes stage: thin; every rule is in quotes.service, every figure comes
from quotes.totals (the builder recomputes totals as you type with the same function)."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx
from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError
from l2c_app.core.lines import tax_convention
from l2c_app.core.money import format_money, to_major, to_minor
from l2c_app.quotes import service as svc
from l2c_app.quotes.totals import LineInput, TotalsInputError, compute_totals
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg, route_id

BILLING_KIND_OPTIONS = list(svc.BILLING_KINDS)
LINE_FIGURES = ("quantity", "unit_price", "discount_percent")  # checked as typed by svc.line_value
NO_TAX = "none"


def _flat(view: dict[str, Any]) -> dict[str, Any]:
    """The quote's own fields as one flat dict of plain values (Reflex vars index one level)."""
    out = {k: v for k, v in view.items() if k not in ("lines", "totals", "versions", "account", "contact", "owner")}
    out.update(
        account_name=view["account"]["name"],
        account_address=view["account"]["address"],
        contact_name=view["contact"]["name"],
        contact_email=view["contact"]["email"],
        owner_name=view["owner"]["name"],
    )
    return out


def _major(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency):f}"


# --- settings: tax rates and catalog ----------------------------------------------------------


def _catalog_data(session: Session, show_archived: bool) -> dict[str, Any]:
    rates = svc.list_tax_rates(session, include_archived=True)
    by_id = {r.id: r for r in rates}
    return {
        "rates": [svc.tax_rate_json(r) for r in rates if show_archived or r.archived_at is None],
        "active_rates": [{"id": str(r.id), "name": r.name} for r in rates if r.archived_at is None],
        "items": [svc.catalog_json(i, by_id) for i in svc.list_catalog(session, include_archived=show_archived)],
    }


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
        data = await run_db(_catalog_data, self.show_archived)
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
        self.tax_form = {
            "name": rate["name"],
            "percent": str(rate["percent"]),
            "inclusive": "on" if rate["inclusive"] else "",
        }
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
        currency = (form.get("currency") or "EUR").strip().upper()
        try:
            try:
                price = to_minor(form.get("price") or "", currency)
            except ValueError as exc:
                raise svc.QuoteError(f"Price: {exc}", "price") from None
            tax = form.get("tax_rate_id")
            fields = dict(
                name=form.get("name"),
                kind=self.new_kind,
                role=form.get("role"),
                unit=form.get("unit") or None,
                unit_price_minor=price,
                currency=currency,
                description=form.get("description"),
                tax_rate_id=None if tax in (None, "", NO_TAX) else tax,
            )
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
        self.item_form = {
            "name": item["name"],
            "role": item["role"],
            "unit": item["unit"],
            "price": _major(int(item["unit_price_minor"]), item["currency"]),
            "currency": item["currency"],
            "description": item["description"],
            "tax_rate_id": str(item["tax_rate_id"]) if item["tax_rate_id"] else NO_TAX,
        }
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
    quotes: list[dict[str, Any]] = []
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


def _builder_data(session: Session, quote_id: int) -> dict[str, Any]:
    view = svc.quote_view(session, quote_id)
    rates = svc.list_tax_rates(session, include_archived=True)
    used = {ln["tax_rate_id"] for ln in view["lines"]}
    catalog = [c for c in svc.list_catalog(session) if c.currency == view["currency"]]
    return {
        "view": view,
        "taxes": [
            {"id": str(r.id), "name": r.name, "percent": svc.pct_str(r.percent), "inclusive": r.inclusive}
            for r in rates
            if r.archived_at is None or r.id in used
        ],
        "catalog": [
            {"id": str(c.id), "name": f"{c.name} ({format_money(c.unit_price_minor, c.currency)}/{c.unit})"}
            for c in catalog
        ],
        "tax_convention": tax_convention(session),  # the live preview taxes as the saved quote will
    }


def _edit_line(session: Session, actor: Actor, line_id: int, fields: dict[str, Any]) -> None:
    svc.update_line(session, actor, line_id, **fields)


class BuilderState(AuthState):
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
        cur = view["currency"]
        self.taxes, self.catalog = data["taxes"], data["catalog"]
        self.tax_convention = data["tax_convention"]
        self.quote = _flat(view)
        self.versions = view["versions"]
        self.totals = view["totals"]
        self.discount, self.title = view["discount_percent"], view["title"]
        self.notes, self.terms, self.expires_on = view["notes"], view["terms"], view["expires_on"]
        lines: list[dict[str, Any]] = []
        for i, ln in enumerate(view["lines"]):
            lines.append(
                {
                    "id": ln["id"],
                    "idx": i,
                    "num": i + 1,
                    "section": ln["section"],
                    "headings": [],
                    "description": ln["description"],
                    "quantity": ln["quantity"],
                    "unit": ln["unit"],
                    "unit_price": _major(ln["unit_price_minor"], cur),
                    "discount_percent": ln["discount_percent"],
                    "tax_rate_id": str(ln["tax_rate_id"]) if ln["tax_rate_id"] else NO_TAX,
                    "billing_kind": ln["billing_kind"],
                    "role": ln["role"],
                    "due_date": ln["due_date"],
                    "optional": ln["optional"],
                    "amount": ln["amount"],
                    "error": "",
                    **{f"err_{f}": "" for f in LINE_FIGURES},
                }
            )
        # headings from the service's outline: each line carries the headings shown above it;
        # the ones after the last line (empty sections at the end) are `tail_headings`
        entries = svc.outline(view["sections"], [ln["section"] or None for ln in view["lines"]])
        pending: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for ln in view["lines"]:
            if ln["section"]:
                counts[ln["section"]] = counts.get(ln["section"], 0) + 1
        for kind, value in entries:
            if kind == "heading":
                pending.append({"name": value, "empty": counts.get(value, 0) == 0})
            else:
                lines[value]["headings"], pending = pending, []
        self.tail_headings = pending
        self.lines = lines
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

    # live totals: the same pure function, on what is typed right now. A figure the rule
    # (svc.line_value) refuses is marked on its field with the reason; its line shows no
    # amount and the totals show none either, so nothing on screen adds up a value that
    # is not the one shown.
    def _preview(self) -> None:
        cur = self.quote.get("currency", "EUR")
        rates = {t["id"]: t for t in self.taxes}
        inputs = []
        for ln in self.lines:
            for f in LINE_FIGURES:
                ln[f"err_{f}"] = svc.line_value_error(f, ln[f], cur)
            if any(ln[f"err_{f}"] for f in LINE_FIGURES):
                continue
            rate = rates.get(ln["tax_rate_id"])
            inputs.append(
                LineInput(
                    ln["id"],
                    svc.line_value("quantity", ln["quantity"]),
                    svc.line_value("unit_price", ln["unit_price"], cur),  # type: ignore[arg-type]
                    svc.line_value("discount_percent", ln["discount_percent"]),
                    int(rate["id"]) if rate else None,
                    rate["name"] if rate else "",
                    rate["percent"] if rate else 0,
                    bool(rate["inclusive"]) if rate else False,
                    bool(ln["optional"]),
                    not ln["optional"],
                    ln["billing_kind"] or "fixed",
                )
            )
        self.discount_error = svc.line_value_error("quote_discount", self.discount)
        discount = "0" if self.discount_error else svc.line_value("quote_discount", self.discount)
        try:
            totals = compute_totals(inputs, discount, self.tax_convention)
        except TotalsInputError as exc:
            self.error = str(exc)
            return
        self.error = ""
        by_id = {lt.key: lt for lt in totals.lines}
        for ln in self.lines:
            lt = by_id.get(ln["id"])
            if lt is None:
                ln["amount"] = "—"
                continue
            try:
                svc.check_line_amount(lt.amount_minor)
            except DomainError as exc:
                ln["err_quantity"] = exc.message
                ln["amount"] = "—"
                continue
            ln["amount"] = format_money(lt.amount_minor, cur)
        if self._invalid():
            self.totals = {
                "currency": cur,
                "subtotal": "—",
                "discount_minor": 0,
                "discount": "—",
                "taxes": [],
                "total": "—",
            }
        else:
            self.totals = svc.totals_json(totals, cur)

    def _invalid(self) -> int:
        return sum(1 for ln in self.lines for f in LINE_FIGURES if ln.get(f"err_{f}")) + (
            1 if self.discount_error else 0
        )

    @rx.var
    def invalid_count(self) -> int:
        """Fields refused right now (the totals wait until they are fixed)."""
        return self._invalid()

    def _set_field(self, idx: int, field: str, value: Any) -> None:
        if not self.editable or not 0 <= int(idx) < len(self.lines):
            return
        self.lines[int(idx)][field] = value
        self._preview()

    @rx.event
    def set_line_field(self, idx: int, field: str, value: Any):
        self._set_field(idx, field, value)

    def _line_fields(self, ln: dict[str, Any]) -> dict[str, Any]:
        price = svc.line_value("unit_price", ln["unit_price"], self.quote.get("currency", "EUR"))
        return {
            "description": ln["description"],
            "quantity": ln["quantity"],
            "unit": ln["unit"],
            "unit_price_minor": price,
            "discount_percent": ln["discount_percent"] or "0",
            "tax_rate_id": None if ln["tax_rate_id"] == NO_TAX else ln["tax_rate_id"],
            "billing_kind": ln["billing_kind"],
            "role": ln["role"],
            "due_date": ln["due_date"] or None,
            "optional": bool(ln["optional"]),
        }

    async def _do(self, access, fn, *args, success: str | None = None, **kwargs):
        """Run one service call for the viewer the handler has just checked, then reload the quote."""
        done = await self._call(fn, Actor("user", access.viewer.id), *args, **kwargs)
        self.error = done.error
        if not done.ok:
            return done.toast()
        await self._load_quote(self.current_id)
        return rx.toast.success(success) if success else None

    async def _save_line(self, access, idx: int):
        idx = int(idx)
        if not self.editable or not 0 <= idx < len(self.lines):
            return None
        ln = self.lines[idx]
        if any(ln.get(f"err_{f}") for f in LINE_FIGURES):
            return None  # the field shows why; nothing is saved until it is fixed
        try:
            fields = self._line_fields(ln)
        except svc.QuoteError as exc:
            ln["error"] = str(exc)
            return rx.toast.error(str(exc))
        line_id = int(ln["id"])
        return await self._do(access, lambda s, actor: _edit_line(s, actor, line_id, fields))

    @rx.event
    @guard("quotes")
    async def save_line(self, idx: int):
        access = current_access()
        return await self._save_line(access, idx)

    @rx.event
    @guard("quotes")
    async def set_and_save(self, idx: int, field: str, value: Any):
        """Selects and checkboxes: apply and save at once."""
        access = current_access()
        self._set_field(idx, field, value)
        return await self._save_line(access, idx)

    @rx.event
    @guard("quotes")
    async def add_free_line(self):
        access = current_access()
        qid = self.current_id
        return await self._do(
            access, lambda s, a: svc.add_line(s, a, qid, description="New item", quantity="1", unit_price_minor=0)
        )

    @rx.event
    def set_catalog_pick(self, value: str):
        self.catalog_pick = value

    @rx.event
    @guard("quotes")
    async def add_catalog_line(self):
        access = current_access()
        if not self.catalog_pick:
            return rx.toast.error("Choose a catalog item first.")
        pick, qid = int(self.catalog_pick), self.current_id
        return await self._do(access, lambda s, a: svc.add_line(s, a, qid, catalog_item_id=pick))

    @rx.event
    def set_new_section(self, value: str):
        self.new_section = value

    @rx.event
    @guard("quotes")
    async def add_section(self):
        access = current_access()
        heading = self.new_section.strip()
        if not heading:
            return rx.toast.error("Type the section heading first.")
        qid = self.current_id
        result = await self._do(access, svc.add_section, qid, heading)
        if not self.error:
            self.new_section = ""
        return result

    @rx.event
    @guard("quotes")
    async def add_line_in(self, heading: str):
        access = current_access()
        qid = self.current_id
        return await self._do(
            access,
            lambda s, a: svc.add_line(
                s, a, qid, description="New item", quantity="1", unit_price_minor=0, section=heading
            ),
        )

    @rx.event
    @guard("quotes")
    async def remove_section(self, heading: str):
        access = current_access()
        return await self._do(access, svc.remove_section, self.current_id, heading)

    @rx.event
    @guard("quotes")
    async def rename_section(self, old: str, new: str):
        access = current_access()
        if (new or "").strip() == (old or "").strip():
            return None
        return await self._do(access, svc.rename_section, self.current_id, old, new)

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
    @guard("quotes")
    async def remove_line(self, line_id: int):
        access = current_access()
        return await self._do(access, svc.remove_line, int(line_id))

    @rx.event
    @guard("quotes")
    async def move(self, line_id: int, delta: int):
        access = current_access()
        return await self._do(access, svc.move_line, int(line_id), int(delta))

    @rx.event
    def set_dragging(self, line_id: int):
        self.dragging = int(line_id)

    @rx.event
    @guard("quotes")
    async def drop_on(self, line_id: int):
        access = current_access()
        dragged, self.dragging = self.dragging, 0
        if not dragged or dragged == int(line_id):
            return None
        return await self._do(access, svc.move_line_to, dragged, int(line_id))

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


def _template_options(session: Session) -> list[dict[str, str]]:
    return [
        {"id": str(t.id), "name": f"{t.name} ({len(t.lines or [])} lines, {t.currency})"}
        for t in svc.list_templates(session)
    ]


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
        self.templates = await run_db(_template_options)
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
        self.pq = {**_flat(view), "expires_on": formats.day(date.fromisoformat(expires)) if expires else ""}
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
