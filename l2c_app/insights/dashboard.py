"""The Insights page's data: every figure of the page as display strings (pages never format
money), each read once per request; the leak ledger reuses the same figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from l2c_app.core.auth import get_organisation
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import utcnow
from l2c_app.insights.basics import (
    Totals,
    _org_tz,
    money_text,
)
from l2c_app.insights.money_leaks import (
    client_credit,
    overdue_invoices,
    stale_drafts,
    unbilled_work,
    unmatched_payments,
)
from l2c_app.insights.month_cycle import cycle_figures
from l2c_app.insights.sales_leaks import handoff_gaps, lead_gaps

# --- the page ---------------------------------------------------------------------------------


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def dashboard(session: Session, today: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Everything the Insights page shows, as display strings (pages never format money)."""
    tz = _org_tz(session)
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(tz)).date()
    leads = lead_gaps(session, now)
    hand = handoff_gaps(session)
    unbilled = unbilled_work(session, today)
    overdue = overdue_invoices(session, today)
    drafts = stale_drafts(session, now)
    unmatched = unmatched_payments(session)
    cycle = cycle_figures(session, today, now)
    credit = client_credit(session)
    from l2c_app.insights import ledger  # money, age and action of each leak (it reads this module)

    leak_rows = ledger.leaks(
        session,
        today,
        now,
        {
            "leads": leads,
            "hand": hand,
            "unbilled": unbilled,
            "overdue": overdue,
            "drafts": drafts,
            "unmatched": unmatched,
            "credit": credit,
        },
    )

    org = get_organisation(session)
    zero = format_money(0, org.currency if org else "EUR")

    def m(totals: Totals) -> str:
        return money_text(totals, zero)

    figures = {
        "month": cycle["month"].strftime("%B %Y"),
        "open": m(cycle["open"]),
        "open_count": str(cycle["open_count"]),
        "weighted": m(cycle["weighted"]),
        "won": m(cycle["won"]),
        "won_count": str(cycle["won_count"]),
        "invoiced": m(cycle["invoiced"]),
        "collected": m(cycle["collected"]),
        "unowned": str(leads["unowned"]),
        "lead_days": str(leads["days"]),
        "stale_leads": str(leads["stale"]),
        "quotes": str(hand["quotes"]),
        "quotes_total": m(hand["quotes_total"]),
        "contracts": str(hand["contracts"]),
        "unbilled": m(unbilled["totals"]),
        "unbilled_count": str(unbilled["count"]),
        "overdue": str(overdue["count"]),
        "overdue_open": m(overdue["open"]),
        "overdue_oldest": _days(overdue["oldest_days"]),
        "grace_days": str(overdue["grace_days"]),
        "drafts": str(drafts["count"]),
        "drafts_total": m(drafts["totals"]),
        "draft_days": str(drafts["days"]),
        "unmatched": str(unmatched["count"]),
        "unmatched_total": m(unmatched["totals"]),
        "credit": str(credit["count"]),
        "credit_total": m(credit["totals"]),
        "written_off": m(credit["written_off"]),
        "leaks": str(
            leads["unowned"]
            + leads["stale"]
            + hand["quotes"]
            + hand["contracts"]
            + unbilled["count"]
            + overdue["count"]
            + drafts["count"]
            + unmatched["count"]
        ),
    }

    def lead_row(r):
        return {
            "label": r["name"] + (f" ({r['company']})" if r["company"] else ""),
            "href": r["href"],
            "detail": f"{_days(r['days'])} old" + (f" · {r['owner']}" if r["owner"] else ""),
        }

    return {
        "figures": figures,
        "ledger": {r["key"]: r for r in ledger.display(leak_rows, org.currency if org else "EUR")},
        "unowned_leads": [lead_row(r) for r in leads["unowned_rows"]],
        "stale_leads": [lead_row(r) for r in leads["stale_rows"]],
        "quotes": [
            {
                "label": f"{r['deal']}: {r['title']}",
                "href": r["href"],
                "detail": format_money(r["total_minor"], r["currency"])
                + (f" · accepted {r['accepted']}" if r["accepted"] else ""),
            }
            for r in hand["quote_rows"]
        ],
        "contracts": [
            {
                "label": f"{r['deal']}: {r['title']}",
                "href": r["href"],
                "detail": f"signed {r['signed']}" if r["signed"] else "signed",
            }
            for r in hand["contract_rows"]
        ],
        "unbilled": [
            {
                "label": p["name"] + (f" ({p['client']})" if p["client"] else ""),
                "href": p["href"],
                "detail": format_money(p["amount_minor"], p["currency"]),
            }
            for p in unbilled["projects"]
        ],
        "overdue": [
            {
                "label": r["number"] + (f" · {r['client']}" if r["client"] else ""),
                "href": r["href"],
                "detail": f"{format_money(r['open_minor'], r['currency'])} open · {_days(r['days'])} overdue",
            }
            for r in overdue["rows"]
        ],
        "credits": [
            {
                "label": r["client"],
                "href": r["href"],
                "detail": f"{format_money(r['balance_minor'], r['currency'])} credit"
                + (
                    f" of {format_money(r['held_minor'], r['currency'])} overpaid"
                    if r["held_minor"] != r["balance_minor"]
                    else " overpaid"
                ),
            }
            for r in credit["rows"]
        ],
        "drafts": [
            {
                "label": f"Draft {r['id']}" + (f" · {r['client']}" if r["client"] else ""),
                "href": r["href"],
                "detail": f"{format_money(r['total_minor'], r['currency'])} · {_days(r['days'])} old",
            }
            for r in drafts["rows"]
        ],
    }
