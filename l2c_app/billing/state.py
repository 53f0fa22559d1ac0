"""UI state of the billing pages: thin; every rule lives in billing.service."""

from __future__ import annotations

from datetime import date

import reflex as rx

from l2c_app.billing import credit_notes, ledger, service, views
from l2c_app.billing.sending import send_invoice
from l2c_app.billing.views import InvoiceRow
from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.core.money import format_money, to_minor
from l2c_app.core.timeutil import org_today
from l2c_app.ui.guard import current_access, guard
from l2c_app.ui.session import AuthState, route_arg, route_id


def _actor(access) -> Actor:
    return Actor("user", access.viewer.id)


def _apply_credit(session, actor: Actor, invoice_id: int):
    return ledger.apply_credit(session, actor, invoice_id)


def _write_off(session, actor: Actor, invoice_id: int, reason: str):
    return ledger.write_off(session, actor, invoice_id, reason)


def _partial_credit(session, actor: Actor, invoice_id: int, **kwargs):
    return credit_notes.partial_credit_note(session, actor, invoice_id, **kwargs)


class InvoicesState(AuthState):
    invoices: list[InvoiceRow] = []
    status_filter: str = "all"
    clients: list[dict[str, str]] = []
    client_id: str = ""
    up_to: str = ""
    client_projects: list[dict[str, str]] = []
    selected: list[str] = []  # project ids ticked for one invoice across them
    creating: bool = False
    error: str = ""

    @rx.var
    def selection_hint(self) -> str:
        """Why "Create invoice for selected projects" is disabled ("" when it is not)."""
        if not self.client_projects:
            return ""
        if not self.selected:
            return "Tick the projects to put on one invoice."
        if not any(p["has_unbilled"] for p in self.client_projects if p["id"] in self.selected):
            return "Nothing to bill up to this date in the selected projects."
        return ""

    @rx.var
    def selected_total(self) -> str:
        """What the ticked projects have to bill, together ("" when nothing is ticked)."""
        rows = [p for p in self.client_projects if p["id"] in self.selected]
        if not rows:
            return ""
        return format_money(sum(int(p["unbilled_minor"]) for p in rows), rows[0]["currency"])

    @rx.event
    @guard("invoices")
    async def load(self):
        self.up_to = self.up_to or (await run_db(org_today)).isoformat()
        status = "" if self.status_filter == "all" else self.status_filter
        self.invoices = await run_db(views.invoice_list, status)
        self.clients = await run_db(views.clients_with_projects)
        return None

    @rx.event
    async def set_filter(self, value: str):
        self.status_filter = value
        return InvoicesState.load

    @rx.event
    @guard("invoices")
    async def pick_client(self, value: str):
        self.client_id = value
        self.selected = []
        await self._refresh_projects()
        return None

    @rx.event
    @guard("invoices")
    async def set_up_to(self, value: str):
        self.up_to = value
        if self.client_id:
            await self._refresh_projects()
        return None

    @rx.event
    def toggle_project(self, project_id: str, checked: bool):
        """Tick or untick a project for the one invoice (UI state only)."""
        others = [p for p in self.selected if p != project_id]
        self.selected = others + [project_id] if checked else others

    async def _refresh_projects(self) -> None:
        try:
            day = date.fromisoformat(self.up_to)
        except ValueError:
            self.error = "Up to: not a date"
            return
        self.error = ""
        self.client_projects = await run_db(views.client_projects, int(self.client_id), day) if self.client_id else []
        ids = {p["id"] for p in self.client_projects}
        self.selected = [p for p in self.selected if p in ids]

    @rx.event
    @guard("invoices")
    async def create_for_project(self, project_id: str):
        access = current_access()
        try:
            inv = await run_db(service.build_invoice, _actor(access), int(project_id), date.fromisoformat(self.up_to))
        except (service.BillingError, ValueError) as exc:
            return rx.toast.error(str(exc))
        return rx.redirect(f"/invoices/{inv.id}")

    @rx.event
    @guard("invoices")
    async def create_for_selected(self):
        """ONE draft across the ticked projects of the client; opens it."""
        access = current_access()
        if self.creating:
            return
        self.error, self.creating = "", True
        yield
        try:
            inv = await run_db(
                service.build_client_invoice,
                _actor(access),
                int(self.client_id or 0),
                [int(p) for p in self.selected],
                date.fromisoformat(self.up_to),
            )
        except ValueError as exc:  # BillingError is a ValueError; so is a bad date
            self.error, self.creating = (
                str(exc) if isinstance(exc, service.BillingError) else "Up to: not a date",
                False,
            )
            return
        self.creating = False
        yield rx.redirect(f"/invoices/{inv.id}")


class InvoiceState(AuthState):
    invoice: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []
    tax_rows: list[dict[str, str]] = []
    seller: dict[str, str] = {}
    bank: dict[str, str] = {}
    busy: bool = False
    pay_error: str = ""
    pay_day: str = ""  # the payment form's default "received on": the organisation's today
    not_found: bool = False
    # the payment form: prefilled with the open amount and the organisation's today
    pay_amount: str = ""
    pay_date: str = ""
    pay_method: str = "bank_transfer"
    pay_reference: str = ""
    overpay_warning: str = ""  # set when the amount is above the open amount: a confirm step follows
    reversing_id: str = ""
    reverse_reason: str = ""
    write_off_reason: str = ""
    credit_lines: list[str] = []
    credit_amount: str = ""
    credit_reason: str = ""
    ledger_error: str = ""

    async def _reload(self) -> None:
        data = await run_db(views.invoice_detail, route_id(self, "invoices"))
        self.not_found = not data
        self.invoice = data.get("invoice", {})
        self.lines = data.get("lines", [])
        self.payments = data.get("payments", [])
        self.tax_rows, self.seller, self.bank = data.get("tax_rows", []), data.get("seller", {}), data.get("bank", {})
        self.pay_amount = self.invoice.get("open_input", "")
        self.pay_date = (await run_db(org_today)).isoformat()
        self.pay_reference, self.overpay_warning = "", ""
        self.reversing_id = self.reverse_reason = self.write_off_reason = ""
        self.credit_lines, self.credit_amount, self.credit_reason = [], "", ""
        self.pay_day = self.pay_date

    @rx.event
    @guard("invoices")
    async def load(self):
        await self._reload()
        return None

    async def _do(self, fn, *args, ok: str, **kwargs):
        access = await self._access("invoices")
        if not access.allowed:
            return access.denial()
        self.busy = True
        done = await self._call(fn, _actor(access), *args, **kwargs)
        self.busy = False
        if not done.ok:
            return done.toast()
        await self._reload()
        return done.value, done.toast(ok)

    @rx.event
    async def remove_line(self, line_id: str):
        out = await self._do(
            service.remove_line, int(self.invoice["id"]), int(line_id), ok="Line removed; its items are unbilled again."
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def issue(self):
        out = await self._do(service.issue_invoice, int(self.invoice["id"]), ok="Invoice issued.")
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def send(self):
        out = await self._do(
            send_invoice,
            int(self.invoice["id"]),
            ok="Invoice sent by e-mail. It leaves as soon as the mail server takes it (Settings > Outbox deliveries).",
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def void(self):
        out = await self._do(
            service.void_invoice, int(self.invoice["id"]), ok="Invoice voided; its items are unbilled again."
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def credit(self):
        out = await self._do(service.credit_note, int(self.invoice["id"]), ok="Credit note issued.")
        if isinstance(out, tuple):
            return [out[1], rx.redirect(f"/invoices/{out[0].id}")]
        return out

    @rx.event
    def set_pay_field(self, name: str, value: str):
        """Typing in the payment form; a changed amount needs a new confirmation."""
        setattr(
            self,
            {"amount": "pay_amount", "date": "pay_date", "method": "pay_method", "reference": "pay_reference"}[name],
            value,
        )
        if name == "amount":
            self.overpay_warning = ""

    @rx.event
    @guard("payments")
    async def record_payment(self, _form: dict | None = None):
        return await self._record_payment(confirm=False)

    @rx.event
    @guard("payments")
    async def confirm_overpayment(self):
        return await self._record_payment(confirm=True)

    @rx.event
    def cancel_overpayment(self):
        self.overpay_warning = ""
        self.pay_amount = self.invoice.get("open_input", "")

    async def _record_payment(self, confirm: bool):
        access = current_access()  # checked by the guard of the event that called this
        self.pay_error = ""
        try:
            amount = to_minor(self.pay_amount, self.invoice.get("currency", "EUR"))
            received = date.fromisoformat(self.pay_date) if self.pay_date else None
            await run_db(
                service.record_manual_payment,
                _actor(access),
                int(self.invoice["id"]),
                amount_minor=amount,
                method=self.pay_method or "bank_transfer",
                received_on=received,
                reference=self.pay_reference,
                confirm_overpayment=confirm,
            )
        except DomainError as exc:
            if exc.code == "amount.overpayment":
                self.overpay_warning = exc.message  # names the credit; the confirm button follows
            else:
                self.pay_error = ui_message(exc)
            return None
        except (service.BillingError, ValueError) as exc:  # a typed amount or date that does not parse
            self.pay_error = str(exc)
            return None
        await self._reload()
        return rx.toast.success("Payment recorded." + (" The extra is kept as the client's credit." if confirm else ""))

    # --- ledger corrections: reverse, apply credit, write off, partial credit note ------------

    @rx.event
    def start_reverse(self, payment_id: str):
        self.reversing_id, self.reverse_reason, self.ledger_error = payment_id, "", ""

    @rx.event
    def set_ledger_field(self, name: str, value: str):
        setattr(
            self,
            {
                "reverse_reason": "reverse_reason",
                "write_off_reason": "write_off_reason",
                "credit_amount": "credit_amount",
                "credit_reason": "credit_reason",
            }[name],
            value,
        )

    @rx.event
    def toggle_credit_line(self, line_id: str, checked: bool):
        others = [x for x in self.credit_lines if x != line_id]
        self.credit_lines = others + [line_id] if checked else others

    async def _ledger(self, section: str, fn, *args, ok: str, **kwargs):
        access = await self._access(section)
        if not access.allowed:
            return access.denial()
        self.ledger_error = ""
        self.busy = True
        try:
            result = await run_db(fn, _actor(access), *args, **kwargs)
        except (DomainError, service.BillingError) as exc:
            self.busy = False
            self.ledger_error = ui_message(exc) if isinstance(exc, DomainError) else str(exc)
            return None
        self.busy = False
        await self._reload()
        return result, rx.toast.success(ok)

    @rx.event
    async def reverse(self):
        out = await self._ledger(
            "payments",
            ledger.reverse_payment,
            int(self.reversing_id or 0),
            reason=self.reverse_reason,
            ok="Payment reversed; the invoice is recomputed.",
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def apply_credit(self):
        out = await self._ledger(
            "payments", _apply_credit, int(self.invoice["id"]), ok="Client credit applied to this invoice."
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def write_off(self):
        out = await self._ledger(
            "invoices",
            _write_off,
            int(self.invoice["id"]),
            reason=self.write_off_reason,
            ok="The open balance is written off.",
        )
        return out[1] if isinstance(out, tuple) else out

    @rx.event
    async def partial_credit(self):
        amount = None
        if self.credit_amount.strip():
            try:
                amount = to_minor(self.credit_amount, self.invoice.get("currency", "EUR"))
            except ValueError as exc:
                self.ledger_error = str(exc)
                return None
        out = await self._ledger(
            "invoices",
            _partial_credit,
            int(self.invoice["id"]),
            line_ids=[int(x) for x in self.credit_lines] or None,
            amount_minor=amount,
            reason=self.credit_reason,
            ok="Partial credit note issued.",
        )
        if isinstance(out, tuple):
            return [out[1], rx.redirect(f"/invoices/{out[0].id}")]
        return out


class PublicInvoiceState(rx.State):
    """/i/<token>: anyone with the link sees that one invoice (see billing/api.py's threat model)."""

    pub: dict[str, str] = {}
    pub_lines: list[dict[str, str]] = []
    pub_tax_rows: list[dict[str, str]] = []
    pub_seller: dict[str, str] = {}
    pub_bank: dict[str, str] = {}
    missing: bool = False
    just_paid: bool = False

    @rx.event
    async def load(self):
        token = route_arg(self, "i")
        data = await run_db(views.public_invoice, token)
        self.missing = not data
        self.pub = data.get("invoice", {})
        self.pub_lines = data.get("lines", [])
        self.pub_tax_rows = data.get("tax_rows", [])
        self.pub_seller, self.pub_bank = data.get("seller", {}), data.get("bank", {})
        self.just_paid = "paid=1" in str(self.router.url)


class ProjectBillingState(AuthState):
    panel_unbilled: str = ""
    panel_invoices: list[dict[str, str]] = []
    panel_up_to: str = ""

    @rx.event
    async def load_panel(self):
        access = await self._access("invoices")
        if not access.allowed:
            return None  # the project page is open to delivery too: the panel just stays empty
        data = await run_db(views.project_panel_data, route_id(self, "projects"))
        self.panel_unbilled, self.panel_invoices = data["unbilled"], data["invoices"]
        self.panel_up_to = self.panel_up_to or (await run_db(org_today)).isoformat()
        return None

    @rx.event
    async def set_panel_up_to(self, value: str):
        self.panel_up_to = value

    @rx.event
    @guard("invoices")
    async def create(self):
        access = current_access()
        try:
            inv = await run_db(
                service.build_invoice,
                _actor(access),
                route_id(self, "projects"),
                date.fromisoformat(self.panel_up_to or (await run_db(org_today)).isoformat()),
            )
        except (service.BillingError, ValueError) as exc:
            return rx.toast.error(str(exc))
        return rx.redirect(f"/invoices/{inv.id}")

    @rx.event
    @guard("invoices")
    async def create_deposit(self, form: dict):
        access = current_access()
        raw = str(form.get("deposit_percent") or "").strip().rstrip("%").strip()
        try:
            inv = await run_db(service.create_deposit_invoice, _actor(access), route_id(self, "projects"), percent=raw)
        except (service.BillingError, ArithmeticError, ValueError) as exc:
            return rx.toast.error(str(exc) or "Deposit: enter a percent, e.g. 30")
        return rx.redirect(f"/invoices/{inv.id}")


class DealBillingState(AuthState):
    deal_invoiced: str = ""
    deal_collected: str = ""
    deal_open: str = ""
    deal_invoices: list[dict[str, str]] = []

    @rx.event
    async def load_panel(self):
        access = await self._access("invoices")
        if not access.allowed:
            return None
        data = await run_db(views.deal_panel_data, route_id(self, "deals"))
        self.deal_invoiced, self.deal_collected, self.deal_open = data["invoiced"], data["collected"], data["open"]
        self.deal_invoices = data["invoices"]
        return None


class BillingSettingsState(AuthState):
    values: dict[str, str] = {}
    error: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        cfg = await run_db(service.billing_settings)
        self.values = {
            "invoice_number_pattern": cfg["invoice_number_pattern"],
            "credit_note_number_pattern": cfg["credit_note_number_pattern"],
            "invoice_terms": cfg["invoice_terms"],
            "itemise_time": "yes" if cfg["itemise_time"] else "no",
            "reminder_days_before": str(cfg["reminder_days_before"]),
            "reminder_days_after": ", ".join(str(d) for d in cfg["reminder_days_after"]),
            "payment_instructions": cfg["payment_instructions"],
        }
        return None

    @rx.event
    @guard("settings")
    async def save(self, form: dict):
        access = current_access()
        self.error = ""
        values = dict(form)
        values["itemise_time"] = form.get("itemise_time") == "yes"
        try:
            await run_db(service.save_billing_settings, _actor(access), values)
        except service.BillingError as exc:
            self.error = str(exc)
            return None
        return [BillingSettingsState.load, rx.toast.success("Billing settings saved.")]
