"""What the Cycle times page shows, as display strings: read from `cycle_times` and `forecast`
(no rule of its own), so the page state stays thin and runs no SQL."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from l2c_app.insights import cycle_times, forecast
from l2c_app.insights.service import money_text

GROUP_LABELS = {"month": "Month", "owner": "Owner", "source": "Lead source"}


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}".removesuffix(".0")


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)} %"


def page_data(session: Session, group: str, step: str) -> dict[str, Any]:
    data = cycle_times.cycle_times(session, group=group)
    figures = [
        {
            "step": r["label"],
            "group": r["group"],
            "count": str(r["count"]),
            "median": _days(r["median_days"]),
            "p90": _days(r["p90_days"]),
        }
        for r in data["rows"]
    ]
    chosen = [r for r in data["rows"] if r["step"] == step]
    chart = [{"group": r["group"], "median": r["median_days"] or 0, "p90": r["p90_days"] or 0} for r in chosen]
    deals = [
        {
            "group": r["group"],
            "title": d["title"],
            "days": str(d["days"]),
            "end": d["end"].isoformat(),
            "href": d["href"],
        }
        for r in chosen
        for d in r["deals"]
    ]
    waiting = [
        {
            "title": r["title"],
            "step": r["label"],
            "since": r["since"].isoformat(),
            "age": str(r["age_days"]),
            "owner": r["owner"],
            "href": r["href"],
        }
        for r in data["open"]
    ]
    fc = forecast.pipeline_forecast(session, group=group, deals_limit=0)  # the page shows the figures only
    fc_rows = [
        {
            "group": r["group"],
            "count": str(r["count"]),
            "value": money_text(r["value"]),
            "weighted": money_text(r["weighted"]),
        }
        for r in fc["rows"]
    ]
    stages = [
        {"name": r["name"], "closed": f"{r['won']} won / {r['lost']} lost", "rate": _rate(r["rate"])}
        for r in fc["by_stage"]
    ]
    sources = [
        {"name": r["source"], "closed": f"{r['won']} won / {r['lost']} lost", "rate": _rate(r["rate"])}
        for r in fc["by_source"]
    ]
    return {
        "figures": figures,
        "chart": chart,
        "deals": deals,
        "open": waiting,
        "forecast": fc_rows,
        "no_date": str(fc["no_date"]),
        "stages": stages,
        "sources": sources,
    }
