"""Cash forecast and AR aging over REST, and the forecast as CSV (read-only).

    GET /api/v1/insights/cash-forecast       ?from=&to= | ?weeks=   &group=week|client
    GET /api/v1/insights/cash-forecast.csv   the same weeks, one row per week and currency
    GET /api/v1/insights/ar-aging            ?group=client|currency

Money is integer minor units per currency; the rules are those of `insights.cash_forecast`
and `insights.ar_aging` (stated in their docstrings and in `rule` of each answer).
Threat model: `require("insights")` (roles owner, admin, sales, billing; API keys need
`insights:read`); no write, so no Idempotency-Key.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.core.auth import Principal
from l2c_app.insights import ar_aging, cash_forecast

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])

FORECAST_RULE = (
    "Open invoices on their due date + the client's lateness (lower median of the days late of its "
    "paid invoices, early = 0, none = 0); planned milestones and retainer months on their day + the "
    "client's terms + lateness; unbilled work today + terms + lateness; open deals on their expected "
    "close, value x probability, rounded once per week and currency. Days before today count today."
)
AGING_RULE = (
    "Open amount of sent and partially paid invoices (billing's: total - credit notes - net paid - written "
    "off), by days past the due date; DSO = open AR / what the invoices issued in the last 90 days ask "
    "for x 90, per currency."
)


class Parts(BaseModel):
    currency: str
    overdue: int
    invoiced: int
    scheduled: int
    unbilled: int
    pipeline: int
    total: int


class ForecastWeek(BaseModel):
    start: date
    end: date
    amounts: list[Parts]


class ClientForecast(Parts):
    account_id: int | None
    client: str
    lateness_days: int


class CashForecast(BaseModel):
    today: date
    start: date
    end: date
    group: str
    currencies: list[str]
    weeks: list[ForecastWeek]
    clients: list[ClientForecast]
    totals: list[Parts]
    undated_milestones: int
    undated_deals: int
    rule: str


class AgingRow(BaseModel):
    account_id: int | None
    client: str
    currency: str
    invoices: int
    current: int
    d1_30: int
    d31_60: int
    d61_90: int
    d90_plus: int
    total: int


class Dso(BaseModel):
    currency: str
    ar_minor: int
    revenue_minor: int
    dso_days: str | None  # a decimal string ("73.5"); null without revenue in the window


class ArAging(BaseModel):
    today: date
    group: str
    rows: list[AgingRow]
    totals: list[AgingRow]
    dso: list[Dso]
    dso_window_days: int
    rule: str


def _parts(cur: str, parts: dict[str, int]) -> Parts:
    return Parts(currency=cur, **{k: parts[k] for k in (*cash_forecast.PARTS, "total")})


def _forecast(session: Session, start: date | None, end: date | None, weeks: int | None) -> dict:
    return cash_forecast.forecast(session, start=start, end=end, weeks=weeks)


@router.get("/cash-forecast", response_model=CashForecast)
def get_cash_forecast(
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    weeks: int | None = Query(None, ge=1, le=cash_forecast.MAX_WEEKS),
    group: Literal["week", "client"] = "week",
    session: Session = Depends(db),
    _: Principal = Depends(require("insights")),
) -> CashForecast:
    """The weeks from the week of `from` (default: the organisation's today) to the week of `to`
    (or `weeks` weeks, default 13), each week's parts per currency; `group=client` sums the same
    range per client instead."""
    data = _forecast(session, start, end, weeks)
    return CashForecast(
        today=data["today"],
        start=data["from"],
        end=data["to"],
        group=group,
        currencies=data["currencies"],
        weeks=[
            ForecastWeek(start=w["start"], end=w["end"], amounts=[_parts(c, p) for c, p in w["amounts"].items()])
            for w in data["weeks"]
        ]
        if group == "week"
        else [],
        clients=[ClientForecast(**c) for c in data["clients"]] if group == "client" else [],
        totals=[_parts(c, p) for c, p in data["totals"].items()],
        undated_milestones=data["notes"]["undated_milestones"],
        undated_deals=data["notes"]["undated_deals"],
        rule=FORECAST_RULE,
    )


@router.get("/cash-forecast.csv")
def get_cash_forecast_csv(
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    weeks: int | None = Query(None, ge=1, le=cash_forecast.MAX_WEEKS),
    session: Session = Depends(db),
    _: Principal = Depends(require("insights")),
) -> Response:
    """The forecast's weeks as CSV (minor units and amounts); the Cash page's Download CSV."""
    data = _forecast(session, start, end, weeks)
    name = f"cash-forecast-{data['from'].isoformat()}.csv"
    return Response(
        cash_forecast.forecast_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/ar-aging", response_model=ArAging)
def get_ar_aging(
    group: Literal["client", "currency"] = "client",
    session: Session = Depends(db),
    _: Principal = Depends(require("insights")),
) -> ArAging:
    """Open AR per client (or per currency) in the buckets current, 1-30, 31-60, 61-90, 90+ days
    past due, and DSO per currency."""
    data = ar_aging.aging(session, group=group)
    totals = [AgingRow(account_id=None, client="All clients", currency=c, **t) for c, t in data["totals"].items()]
    dso = [
        Dso(
            currency=c,
            ar_minor=data["totals"].get(c, {}).get("total", 0),
            revenue_minor=data["revenue"].get(c, 0),
            dso_days=None if v is None else str(v),
        )
        for c, v in data["dso"].items()
    ]
    return ArAging(
        today=data["today"],
        group=group,
        rows=[AgingRow(**r) for r in data["rows"]],
        totals=totals,
        dso=dso,
        dso_window_days=data["dso_window_days"],
        rule=AGING_RULE,
    )
