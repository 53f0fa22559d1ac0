"""UI state of the Clients pages: thin; every figure comes from clients.service / statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import reflex as rx

from l2c_app.clients import portal
from l2c_app.clients import service as svc
from l2c_app.clients.statement import formatted, statement
from l2c_app.core.db import run_db
from l2c_app.core.money import format_money
from l2c_app.pipeline import service as pipeline
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState, route_id

Rows = list[dict[str, str]]


@dataclass
class ClientRow:
    """A row of /clients (typed; the page reads `r["name"]`, which compiles as `r.name` does)."""

    id: str
    name: str
    domain: str
    owner: str
    open: str
    overdue: str
    active: str


def _owners(session) -> Rows:
    return [{"id": u["id"], "name": u["name"]} for u in pipeline.team_options(session)]


def _list_rows(session, filters: dict) -> list[ClientRow]:
    out = []
    for r in svc.list_clients(session, **filters):
        other = ", ".join(format_money(v, c) for c, v in r["open_other"].items())
        out.append(
            ClientRow(
                id=str(r["id"]),
                name=r["name"],
                domain=r["domain"],
                owner=r["owner"] or "-",
                open=format_money(r["open_minor"], r["currency"]) + (f" + {other}" if other else ""),
                overdue=format_money(r["overdue_minor"], r["currency"]) if r["overdue_minor"] else "",
                active="yes" if r["has_active_project"] else "",
            )
        )
    return out


class ClientsListState(AuthState):
    rows: list[ClientRow] = []
    owners: Rows = []
    q: str = ""
    open_only: bool = False
    active_only: bool = False
    owner: str = ""
    sort: str = "name"
    loaded: bool = False

    def _filters(self) -> dict:
        return {
            "q": self.q,
            "has_open_balance": self.open_only,
            "has_active_project": self.active_only,
            "owner_id": int(self.owner) if self.owner.isdigit() else None,
            "sort": self.sort,
        }

    async def _reload(self) -> None:
        done = await self._call(_list_rows, self._filters())
        self.rows = done.value if done.ok else []
        self.loaded = True

    @rx.event
    @guard("clients")
    async def load(self):
        self.owners = await run_db(_owners)
        await self._reload()

    @rx.event
    @guard("clients")
    async def apply(self, form: dict):
        self.q = (form.get("q") or "").strip()[:200]
        self.open_only = bool(form.get("open_only"))
        self.active_only = bool(form.get("active_only"))
        self.owner = form.get("owner") or ""
        self.sort = form.get("sort") if form.get("sort") in svc.SORTS else "name"
        await self._reload()

    @rx.var
    def csv_href(self) -> str:
        params = {"q": self.q, "sort": self.sort}
        if self.open_only:
            params["has_open_balance"] = "true"
        if self.active_only:
            params["has_active_project"] = "true"
        if self.owner:
            params["owner_id"] = self.owner
        return "/api/v1/clients.csv?" + urlencode(params)


def _page_data(session, client_id: int) -> dict:
    summary = svc.client_summary(session, client_id)
    cur = summary["currency"]
    figures = {
        "open": format_money(summary["open_minor"], cur),
        "overdue": format_money(summary["overdue_minor"], cur),
        "credit": format_money(summary["credit_minor"], cur),
        "others": ", ".join(
            f"{b['currency']}: {format_money(b['open_minor'], b['currency'])} open"
            for b in summary["balances"]
            if b["currency"] != cur and b["open_minor"]
        ),
        **{k: str(v) for k, v in summary["counts"].items()},
    }
    details = {k: ("" if v is None else str(v)) for k, v in svc.client_details(session, client_id).items()}
    contacts = [
        {k: ("yes" if v is True else "" if v is False else str(v)) for k, v in svc.contact_json(c).items()}
        for c in svc.list_contacts(session, client_id)
    ]
    docs = {
        k: [{kk: str(vv) for kk, vv in row.items()} for row in v]
        for k, v in svc.client_documents(session, client_id).items()
    }
    return {
        "details": details,
        "figures": figures,
        "contacts": contacts,
        "docs": docs,
        "timeline": svc.client_timeline(session, client_id),
        "links": portal.links_of(session, client_id),
    }


def _statement_rows(session, client_id: int, start: str, end: str) -> dict:
    st = formatted(statement(session, client_id, _parse(start), _parse(end)))
    return {
        "start": st["start"],
        "end": st["end"],
        "start_text": st["start_text"],
        "end_text": st["end_text"],
        "opening": st["opening"],
        "closing": st["closing"],
        "rows": [{k: str(v) for k, v in r.items()} for r in st["rows"]],
        "aged": st["aged_rows"],
        "totals": st["totals_rows"],
    }


def _parse(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        from l2c_app.core.errors import DomainError

        raise DomainError("Enter a date like 2026-01-31.", "start") from None


class ClientState(AuthState):
    details: dict[str, str] = {}
    figures: dict[str, str] = {}
    contacts: Rows = []
    # Every key present from the start: the page reads docs[key].length() before the load.
    docs: dict[str, Rows] = {
        k: []
        for k in (
            "deals",
            "quotes",
            "contracts",
            "projects",
            "change_orders",
            "invoices",
            "credit_notes",
            "payments",
            "credits",
        )
    }
    timeline: Rows = []
    links: Rows = []
    owners: Rows = []
    not_found: bool = False
    editing: bool = False
    error: str = ""
    contact_error: str = ""
    editing_contact: str = ""
    st_start: str = ""
    st_start_text: str = ""
    st_end_text: str = ""
    st_end: str = ""
    st_opening: str = ""
    st_closing: str = ""
    st_rows: Rows = []
    st_aged: Rows = []
    st_totals: Rows = []
    st_error: str = ""
    deal_open: bool = False
    deal_error: str = ""

    def _id(self) -> int:
        return route_id(self, "clients")

    async def _reload(self) -> None:
        done = await self._call(_page_data, self._id())
        if not done.ok:
            self.not_found, self.details = True, {}
            return
        data = done.value
        self.not_found = False
        self.details, self.figures, self.contacts = data["details"], data["figures"], data["contacts"]
        self.docs, self.timeline, self.links = data["docs"], data["timeline"], data["links"]

    async def _load_statement(self) -> None:
        done = await self._call(_statement_rows, self._id(), self.st_start, self.st_end)
        self.st_error = done.error
        if done.ok:
            v = done.value
            self.st_start, self.st_end, self.st_opening, self.st_closing = (
                v["start"],
                v["end"],
                v["opening"],
                v["closing"],
            )
            self.st_start_text, self.st_end_text = v["start_text"], v["end_text"]
            self.st_rows, self.st_aged, self.st_totals = v["rows"], v["aged"], v["totals"]

    @rx.event
    @guard("clients")
    async def load(self):
        self.editing, self.error, self.contact_error, self.editing_contact = False, "", "", ""
        self.st_start = self.st_end = ""
        self.owners = await run_db(_owners)
        await self._reload()
        if not self.not_found:
            await self._load_statement()

    @rx.event
    def edit(self):
        self.editing = True

    @rx.event
    def cancel(self):
        self.editing, self.error = False, ""

    @rx.event
    @guard("clients")
    async def save(self, form: dict):
        values = {
            k: form.get(k, "")
            for k in (
                "name",
                "domain",
                "phone",
                "address",
                "tax_id",
                "billing_email",
                "payment_terms",
                "currency",
                "owner_id",
            )
        }
        done = await self._call(svc.update_client, self._actor(), self._id(), values)
        self.error = done.error
        if done.ok:
            self.editing = False
            await self._reload()
        return done.toast("Client details saved.")

    @rx.event
    @guard("clients")
    async def add_contact(self, form: dict):
        values = {
            "name": form.get("name", ""),
            "email": form.get("email", ""),
            "phone": form.get("phone", ""),
            "title": form.get("title", ""),
        }
        done = await self._call(svc.add_contact, self._actor(), self._id(), values)
        self.contact_error = done.error
        if done.ok:
            await self._reload()
        return done.toast("Contact added.")

    @rx.event
    def edit_contact(self, contact_id: str):
        self.editing_contact, self.contact_error = contact_id, ""

    @rx.event
    def cancel_contact(self):
        self.editing_contact, self.contact_error = "", ""

    @rx.event
    @guard("clients")
    async def save_contact(self, form: dict):
        values = {k: form.get(k, "") for k in ("name", "email", "phone", "title")}
        done = await self._call(svc.update_contact, self._actor(), self._id(), int(self.editing_contact or 0), values)
        self.contact_error = done.error
        if done.ok:
            self.editing_contact = ""
            await self._reload()
        return done.toast("Contact saved.")

    @rx.event
    @guard("clients")
    async def set_contact(self, contact_id: str, flag: str):
        if flag not in ("is_primary", "is_billing", "archived"):
            return None
        done = await self._call(svc.update_contact, self._actor(), self._id(), int(contact_id), {flag: True})
        if done.ok:
            await self._reload()
        return done.toast(
            {
                "is_primary": "Primary contact set.",
                "is_billing": "Billing contact set.",
                "archived": "Contact archived.",
            }[flag]
        )

    @rx.event
    @guard("clients")
    async def send_portal_link(self, contact_id: str):
        done = await self._call(portal.send_link, self._actor(), self._id(), int(contact_id))
        if done.ok:
            await self._reload()
        return done.toast("Portal link sent (see the Outbox without SMTP).")

    @rx.event
    @guard("clients")
    async def revoke_link(self, link_id: str):
        done = await self._call(portal.revoke_link, self._actor(), self._id(), int(link_id))
        if done.ok:
            await self._reload()
        return done.toast("Portal link revoked.")

    @rx.event
    @guard("clients")
    async def show_statement(self, form: dict):
        self.st_start, self.st_end = (form.get("start") or "").strip(), (form.get("end") or "").strip()
        await self._load_statement()

    @rx.var
    def statement_pdf_href(self) -> str:
        return f"/api/v1/clients/{self.details.get('id', '')}/statement?" + urlencode(
            {"format": "pdf", "start": self.st_start, "end": self.st_end}
        )

    @rx.event
    def open_deal(self, value: bool = True):
        self.deal_open, self.deal_error = value, ""

    @rx.event
    @guard("pipeline")
    async def create_deal(self, form: dict):
        done = await self._call(_new_deal, self._actor(), form, self._id())
        self.deal_error = done.error
        if not done.ok:
            return None
        self.deal_open = False
        return [rx.toast.success("Deal created."), rx.redirect(f"/deals/{done.value}")]


def _new_deal(session, actor, form: dict, client_id: int | None) -> int:
    """A deal for the client (the client page and the board's "New deal")."""
    name = (form.get("new_client") or "").strip()
    if client_id is None and name:
        client_id = svc.create_client(session, actor, name).id
    elif client_id is None and (form.get("client_id") or "").isdigit():
        client_id = int(form["client_id"])
    value = (form.get("value") or "0").replace(",", ".").strip()
    try:
        from decimal import Decimal, InvalidOperation

        minor = int((Decimal(value or "0") * 100).to_integral_value())
    except InvalidOperation:
        from l2c_app.core.errors import DomainError

        raise DomainError("Enter the value as a number, e.g. 12000 or 12000.50.", "value") from None
    currency = None
    if client_id:
        acc = svc.get_account(session, client_id)
        currency = acc.currency
    deal = pipeline.create_deal(
        session,
        actor,
        title=form.get("title") or "",
        value_minor=minor,
        currency=currency,
        account_id=client_id or None,
    )
    return deal.id


class NewDealState(AuthState):
    """The pipeline board's "New deal" dialog (an existing client, or a new one by name)."""

    open: bool = False
    error: str = ""
    clients: Rows = []

    @rx.event
    @guard("pipeline")
    async def show(self):
        rows = await run_db(svc.list_clients)
        self.clients = [{"id": str(r["id"]), "name": r["name"]} for r in rows]
        self.open, self.error = True, ""

    @rx.event
    def close(self, value: bool = False):
        self.open, self.error = value, ""

    @rx.event
    @guard("pipeline")
    async def create(self, form: dict):
        done = await self._call(_new_deal, self._actor(), form, None)
        self.error = done.error
        if not done.ok:
            return None
        self.open = False
        return [rx.toast.success("Deal created."), rx.redirect(f"/deals/{done.value}")]
