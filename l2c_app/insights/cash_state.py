"""UI state of Insights > Cash: thin; every figure comes from insights.cash_view."""

from __future__ import annotations

from typing import Any

import reflex as rx

from l2c_app.insights import cash_view
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

Rows = list[dict[str, str]]


class CashState(AuthState):
    range_text: str = ""
    today_text: str = ""
    currencies: list[str] = []
    currency: str = ""
    chart: list[dict[str, Any]] = []
    _charts: dict[str, list[dict[str, Any]]] = {}
    rows: Rows = []
    totals: Rows = []
    aging: Rows = []
    aging_totals: Rows = []
    dso: Rows = []
    notes: list[str] = []
    csv_url: str = "/api/v1/insights/cash-forecast.csv"
    loading: bool = False
    loaded: bool = False
    error: str = ""

    @rx.event
    @guard("insights")
    async def load(self):
        self.loading = True
        yield  # the spinner shows while the records are read
        done = await self._call(cash_view.cash_page)  # an error is logged and shown, not raised
        self.loading = False
        if not done.ok:
            self.error = done.error
            return
        data = done.value
        self.error = ""
        self.range_text, self.today_text = data["range"], data["today"]
        self.currencies, self._charts = data["currencies"], data["charts"]
        if self.currency not in self.currencies:
            self.currency = self.currencies[0] if self.currencies else ""
        self.chart = self._charts.get(self.currency, [])
        self.rows, self.totals = data["rows"], data["totals"]
        self.aging, self.aging_totals, self.dso = data["aging"], data["aging_totals"], data["dso"]
        self.notes, self.csv_url = data["notes"], data["csv_url"]
        self.loaded = True

    @rx.event
    def pick_currency(self, currency: str):
        if currency in self._charts:
            self.currency = currency
            self.chart = self._charts[currency]
