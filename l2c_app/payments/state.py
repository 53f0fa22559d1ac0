"""UI state of the Payments page: the ledger, unmatched payments, Stripe sync."""

from __future__ import annotations

import reflex as rx

from l2c_app.billing import service, views
from l2c_app.billing.views import PaymentRow
from l2c_app.core.db import run_db
from l2c_app.payments.fees import heal_fees, payout_rows
from l2c_app.payments.webhooks import stripe_sync
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState


class PaymentsState(AuthState):
    ledger: list[PaymentRow] = []
    unmatched: list[PaymentRow] = []
    unmatched_other: list[PaymentRow] = []  # other apps' payments on a shared Stripe account
    show_other: bool = False
    open_invoices: list[dict[str, str]] = []
    credits: list[dict[str, str]] = []
    payouts: list[dict[str, str]] = []
    match_choice: dict[str, str] = {}
    syncing: bool = False

    async def _reload(self) -> None:
        data = await run_db(views.ledger_rows)
        self.ledger, self.unmatched, self.open_invoices = data["payments"], data["unmatched"], data["open_invoices"]
        self.unmatched_other = data["unmatched_other"]
        self.credits = data["credits"]
        self.payouts = await run_db(payout_rows)

    @rx.event
    @guard("payments")
    async def load(self):
        await self._reload()
        return None

    @rx.event
    def toggle_other(self, value: bool):
        self.show_other = value

    @rx.event
    def choose(self, payment_id: str, invoice_id: str):
        self.match_choice = {**self.match_choice, payment_id: invoice_id}

    @rx.event
    @guard("payments")
    async def match(self, payment_id: str):
        invoice_id = self.match_choice.get(payment_id, "")
        if not invoice_id:
            return rx.toast.error("Choose the invoice this payment is for.")
        try:
            await run_db(service.match_payment, self._actor(), int(payment_id), int(invoice_id))
        except service.BillingError as exc:
            return rx.toast.error(str(exc))
        await self._reload()
        return rx.toast.success("Payment matched to the invoice.")

    @rx.event
    @guard("payments")
    async def sync(self):
        self.syncing = True
        yield
        try:
            result = await run_db(stripe_sync)
            result["fees"] = await run_db(heal_fees)  # its own transaction: Stripe is called with none open
        except Exception as exc:  # noqa: BLE001 - Stripe unreachable: say so, keep the page
            self.syncing = False
            yield rx.toast.error(f"Stripe sync failed: {exc}")
            return
        self.syncing = False
        await self._reload()
        yield rx.toast.success(
            f"Stripe sync: {result['events']} events checked, {result['applied']} applied, "
            f"{result['sessions']} checkouts healed, {result['fees']} fees recorded."
        )
