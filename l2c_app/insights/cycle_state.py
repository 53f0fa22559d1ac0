"""UI state of the Cycle times page: thin; every figure comes from insights.cycle_view."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.db import run_db
from l2c_app.insights import cycle_view
from l2c_app.insights.cycle_times import GROUPS, STEP_KEYS, STEPS
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

Rows = list[dict[str, str]]
STEP_OPTIONS = {label: key for key, label, _a, _b in STEPS}


class CycleState(AuthState):
    group: str = "month"
    step_label: str = STEPS[-1][1]  # First contact -> cash
    figures: Rows = []
    chart: list[dict[str, str | float]] = []
    deals: Rows = []
    waiting: Rows = []
    forecast: Rows = []
    no_date: str = "0"
    stages: Rows = []
    sources: Rows = []
    loading: bool = False
    loaded: bool = False

    @rx.event
    @guard("insights")
    async def load(self):
        self.loading = True
        yield  # the spinner shows while the records are read
        try:
            step = STEP_OPTIONS.get(self.step_label, STEP_KEYS[-1])
            group = self.group if self.group in GROUPS else "month"
            data = await run_db(cycle_view.page_data, group, step)
        finally:
            self.loading = False
        self.figures, self.chart, self.deals, self.waiting = data["figures"], data["chart"], data["deals"], data["open"]
        self.forecast, self.no_date = data["forecast"], data["no_date"]
        self.stages, self.sources = data["stages"], data["sources"]
        self.loaded = True

    @rx.event
    def set_group(self, value: str):
        self.group = value if value in GROUPS else "month"
        return CycleState.load  # read again, through the guard

    @rx.event
    def set_step(self, value: str):
        self.step_label = value if value in STEP_OPTIONS else STEPS[-1][1]
        return CycleState.load
