"""UI state of the Expenses card on /projects/[project_id]: thin; strings from projects.expenses_view."""

from __future__ import annotations

import reflex as rx

from l2c_app.projects import expenses, expenses_view
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState, route_id


class ExpensesState(AuthState):
    expenses: list[dict[str, str]] = []
    tax_options: list[dict[str, str]] = []
    categories: list[dict[str, str]] = []
    currency: str = ""
    today: str = ""
    error: str = ""
    receipt_error: str = ""
    receipt_for: str = ""
    loaded: bool = False
    saving: bool = False

    def _project_id(self) -> int:
        return route_id(self, "projects")

    async def _refresh(self) -> None:
        done = await self._call(expenses_view.expenses_card, self._project_id())
        if not done.ok:
            self.error = done.error
            return
        data = done.value
        self.expenses, self.tax_options, self.categories = data["rows"], data["tax_options"], data["categories"]
        self.currency, self.today = data["currency"], data["today"]
        self.loaded = True

    @rx.event
    @guard("projects")
    async def load(self):
        self.error, self.receipt_error, self.loaded = "", "", False
        await self._refresh()

    @rx.event
    @guard("projects")
    async def add(self, form: dict):
        self.saving = True
        yield
        done = await self._call(expenses_view.add_from_form, self._actor(), self._project_id(), form)
        self.saving = False
        if not done.ok:
            self.error = done.error
            return
        self.error = ""
        await self._refresh()
        yield rx.toast.success("Expense added")

    @rx.event
    @guard("projects")
    async def delete(self, expense_id: str):
        done = await self._call(expenses.delete_expense, self._actor(), int(expense_id))
        if not done.ok:
            self.error = done.error
            return None
        self.error = ""
        await self._refresh()
        return rx.toast.success("Expense deleted")

    @rx.event
    def pick_receipt_for(self, expense_id: str):
        self.receipt_for = expense_id

    @rx.event
    @guard("projects")
    async def upload_receipt(self, files: list[rx.UploadFile]):
        """The bytes go straight to the service (a private Document); nothing is kept under /_upload."""
        if not files or not self.receipt_for.isdigit():
            self.receipt_error = "Choose the expense and a PDF, PNG or JPEG file first."
            return None
        f = files[0]
        data = await f.read(expenses.RECEIPT_MAX_BYTES + 1)
        done = await self._call(expenses_view.attach, self._actor(), int(self.receipt_for), f.name or "receipt", data)
        if not done.ok:
            self.receipt_error = done.error
            return None
        self.receipt_error = ""
        await self._refresh()
        return [rx.clear_selected_files("expense_receipt"), rx.toast.success("Receipt attached")]
