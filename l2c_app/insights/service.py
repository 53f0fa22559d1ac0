"""Insights: where money leaks, read from the records every other stage already keeps.

No table of its own and no write: every figure is a set-based query over leads, quotes,
contracts, projects, invoices and payments, and every figure comes with the records
behind it (each with the link to open it). Unbilled work is billing's own rule
(`billing.service.unbilled_total`, the billed-once test included, asked for every project at
once through its twin-tested set-based path `billing.unbilled_totals`), never re-derived here.

Money stays integer minor units per currency (`{currency: minor}`); the display strings
are made with `core.money.format_money`, one per currency, joined with " + ".

The figures live in modules named for what they do; this module is their one public name
(`insights.service.X`, what pages, the ledger, the digest and the API call):

- basics.py       money_text, the organisation's zone, lead_days, the limits;
- sales_leaks.py  lead_gaps, handoff_gaps;
- money_leaks.py  unbilled_work, overdue_invoices, stale_drafts, unmatched_payments, client_credit;
- month_cycle.py  month_bounds, cycle_figures;
- dashboard.py    dashboard (the page's data).
"""

from __future__ import annotations

from l2c_app.core.money import format_money
from l2c_app.insights.basics import (
    DEFAULT_LEAD_DAYS,
    DRAFT_DAYS,
    ID_LIST_LIMIT,
    LIST_LIMIT,
    OPEN_LEAD_STATUSES,
    Totals,
    _aware,
    _org_tz,
    _totals,
    lead_days,
    money_text,
)
from l2c_app.insights.dashboard import _days, dashboard
from l2c_app.insights.money_leaks import (
    client_credit,
    overdue_invoices,
    stale_drafts,
    unbilled_work,
    unmatched_payments,
)
from l2c_app.insights.month_cycle import cycle_figures, month_bounds
from l2c_app.insights.sales_leaks import handoff_gaps, lead_gaps

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "DRAFT_DAYS",
    "ID_LIST_LIMIT",
    "LIST_LIMIT",
    "OPEN_LEAD_STATUSES",
    "Totals",
    "_aware",
    "_days",
    "_org_tz",
    "_totals",
    "client_credit",
    "cycle_figures",
    "dashboard",
    "format_money",
    "handoff_gaps",
    "lead_days",
    "lead_gaps",
    "money_text",
    "month_bounds",
    "overdue_invoices",
    "stale_drafts",
    "unbilled_work",
    "unmatched_payments",
]
