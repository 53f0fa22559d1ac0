"""UI state of the Cost rates card on /team: thin; strings and parsing in team.cost_rates_view."""

from __future__ import annotations

from typing import Any

import reflex as rx

from l2c_app.team import cost_rates_view
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState


class CostRatesState(AuthState):
    rates: list[dict[str, Any]] = []
    people: list[dict[str, str]] = []
    currency: str = ""
    today: str = ""
    error: str = ""
    loaded: bool = False
    saving: bool = False

    async def _refresh(self) -> None:
        done = await self._call(cost_rates_view.cost_rates_card)
        if not done.ok:
            self.error = done.error
            return
        data = done.value
        self.rates, self.people = data["rows"], data["people"]
        self.currency, self.today = data["currency"], data["today"]
        self.loaded = True

    @rx.event
    @guard("team")
    async def load(self):
        self.error, self.loaded = "", False
        await self._refresh()

    @rx.event
    @guard("team")
    async def save(self, form: dict):
        self.saving = True
        yield
        done = await self._call(cost_rates_view.set_from_form, self._actor(), form)
        self.saving = False
        if not done.ok:
            self.error = done.error
            return
        self.error = ""
        await self._refresh()
        yield rx.toast.success("Cost rate saved")
