"""UI state of Insights > Margin: thin; every figure and string comes from insights.margin_view."""

from __future__ import annotations

from typing import Any

import reflex as rx

from l2c_app.insights import margin_view
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

Rows = list[dict[str, str]]


class MarginState(AuthState):
    date_from: str = ""
    date_to: str = ""
    group: str = "project"
    range_text: str = ""
    group_label: str = "Project"
    rows: Rows = []
    chart: list[dict[str, Any]] = []
    chart_currency: str = ""
    utilisation: Rows = []
    capacity: str = ""
    notes: list[str] = []
    loading: bool = False
    loaded: bool = False
    error: str = ""
    capacity_error: str = ""

    async def _read(self):
        done = await self._call(margin_view.margin_page, self.date_from, self.date_to, self.group)
        if not done.ok:
            self.error = done.error
            return
        data = done.value
        self.error = ""
        self.range_text, self.group_label = data["range"], data["group_label"]
        self.rows, self.chart, self.chart_currency = data["rows"], data["chart"], data["chart_currency"]
        self.utilisation, self.capacity, self.notes = data["utilisation"], data["capacity"], data["notes"]
        self.loaded = True

    @rx.event
    @guard("margin")
    async def load(self):
        self.loading = True
        yield  # the spinner shows while the records are read
        if not self.date_from or not self.date_to:
            done = await self._call(margin_view.default_range)
            if done.ok:
                self.date_from, self.date_to = done.value
        await self._read()
        self.loading = False

    @rx.event
    @guard("margin")
    async def set_from(self, value: str):
        self.date_from = value
        await self._read()

    @rx.event
    @guard("margin")
    async def set_to(self, value: str):
        self.date_to = value
        await self._read()

    @rx.event
    @guard("margin")
    async def set_group(self, value: str):
        self.group = value
        await self._read()

    @rx.event
    @guard("settings")
    async def save_capacity(self, form: dict):
        done = await self._call(margin_view.save_capacity, self._actor(), str(form.get("capacity", "")))
        if not done.ok:
            self.capacity_error = done.error
            return None
        self.capacity_error = ""
        await self._read()
        return rx.toast.success(f"Capacity saved: {done.value} hours per week")
