"""What the Cash page shows, as display strings and chart points (pages never format money).

The figures come from `insights.cash_forecast` and `insights.ar_aging`; this module only
formats them (`core.formats.money`, the organisation's locale). Chart bars are whole major
units (integers, half-up once: a bar's height, never an amount anyone adds up); the table
beside the chart shows the exact amounts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.money import minor_digits, round_minor
from l2c_app.insights import ar_aging, cash_forecast

PARTS = cash_forecast.PARTS
CHART_COLORS = {
    "overdue": "var(--tomato-9)",
    "invoiced": "var(--blue-9)",
    "scheduled": "var(--violet-9)",
    "unbilled": "var(--amber-9)",
    "pipeline": "var(--grass-9)",
}


def whole_units(amount_minor: int, currency: str) -> int:
    return round_minor(Decimal(amount_minor) / (10 ** minor_digits(currency)))


def _money(amount: int, currency: str, fmt: formats.Formats) -> str:
    return formats.money(amount, currency, fmt) if amount else "-"


def _week_label(start: date, fmt: formats.Formats) -> str:
    return formats.day(start, fmt, "short")


def cash_page(session: Session, start: date | None = None, weeks: int | None = None) -> dict[str, Any]:
    fmt = formats.formats(session)
    data = cash_forecast.forecast(session, start=start, weeks=weeks)
    aging = ar_aging.aging(session, today=data["today"])
    currencies = data["currencies"]
    charts: dict[str, list[dict[str, Any]]] = {c: [] for c in currencies}
    rows = []
    for w in data["weeks"]:
        label = _week_label(w["start"], fmt)
        for cur in currencies:
            parts = w["amounts"].get(cur, {p: 0 for p in (*PARTS, "total")})
            charts[cur].append({"week": label, **{p: whole_units(parts[p], cur) for p in PARTS}})
            if parts["total"]:
                rows.append(
                    {"week": label, "currency": cur, **{p: _money(parts[p], cur, fmt) for p in (*PARTS, "total")}}
                )
    totals = [
        {
            "week": "13 weeks" if len(data["weeks"]) == 13 else f"{len(data['weeks'])} weeks",
            "currency": cur,
            **{p: _money(t[p], cur, fmt) for p in (*PARTS, "total")},
        }
        for cur, t in data["totals"].items()
    ]
    aging_rows = [
        {
            "client": r["client"],
            "currency": r["currency"],
            "invoices": str(r["invoices"]),
            **{b: _money(r[b], r["currency"], fmt) for b in (*ar_aging.BUCKETS, "total")},
        }
        for r in aging["rows"]
    ]
    aging_totals = [
        {
            "client": "All clients",
            "currency": c,
            "invoices": str(t["invoices"]),
            **{b: _money(t[b], c, fmt) for b in (*ar_aging.BUCKETS, "total")},
        }
        for c, t in aging["totals"].items()
    ]
    dso = [
        {
            "currency": c,
            "days": "-" if v is None else formats.number(v, fmt, 1),
            "detail": f"{_money(aging['totals'].get(c, {}).get('total', 0), c, fmt)} open / "
            f"{_money(aging['revenue'].get(c, 0), c, fmt)} invoiced in the last {ar_aging.DSO_DAYS} days",
        }
        for c, v in aging["dso"].items()
    ]
    notes = []
    for key, one, many in (
        (
            "undated_milestones",
            "planned milestone has no due date and is",
            "planned milestones have no due date and are",
        ),
        (
            "undated_deals",
            "open deal has no expected close date and is",
            "open deals have no expected close date and are",
        ),
    ):
        n = data["notes"][key]
        if n:
            notes.append(f"{n} {one if n == 1 else many} not placed.")
    return {
        "range": f"{formats.day(data['from'], fmt)} – {formats.day(data['to'], fmt)}",
        "today": formats.day(data["today"], fmt),
        "currencies": currencies,
        "charts": charts,
        "rows": rows,
        "totals": totals,
        "aging": aging_rows,
        "aging_totals": aging_totals,
        "dso": dso,
        "notes": notes,
        "csv_url": "/api/v1/insights/cash-forecast.csv"
        + (f"?from={data['from'].isoformat()}&weeks={len(data['weeks'])}" if start or weeks else ""),
    }
