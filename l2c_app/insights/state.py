"""UI state of the Insights page: thin; every figure comes from insights.service."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.db import run_db
from l2c_app.insights import service
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState

Rows = list[dict[str, str]]


class InsightsState(AuthState):
    figures: dict[str, str] = {}
    ledger: dict[str, dict[str, str]] = {}  # per leak key: count, money, age, action, href
    unowned_leads: Rows = []
    stale_leads: Rows = []
    quotes: Rows = []
    contracts: Rows = []
    unbilled: Rows = []
    overdue: Rows = []
    drafts: Rows = []
    credits: Rows = []
    loading: bool = False
    loaded: bool = False

    @rx.event
    @guard("insights")
    async def load(self):
        self.loading = True
        yield  # the spinner shows while the records are read
        try:
            data = await run_db(service.dashboard)
        finally:
            self.loading = False
        self.figures = data["figures"]
        self.ledger = data["ledger"]
        self.unowned_leads, self.stale_leads = data["unowned_leads"], data["stale_leads"]
        self.quotes, self.contracts = data["quotes"], data["contracts"]
        self.unbilled, self.overdue, self.drafts = data["unbilled"], data["overdue"], data["drafts"]
        self.credits = data["credits"]
        self.loaded = True
