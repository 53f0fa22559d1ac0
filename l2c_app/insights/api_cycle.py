"""Cycle times and the pipeline forecast over REST (read-only).

    GET /api/v1/insights/cycle-times?from=YYYY-MM-DD&to=YYYY-MM-DD&group=month|owner|source
    GET /api/v1/insights/forecast?from=...&to=...&group=month|owner|source[&include=deals]

Figures come from `insights.cycle_times` and `insights.forecast` (never recomputed here). Days
are whole calendar days in the organisation's zone; percentiles are percentile_cont (see
cycle_times). Money is integer minor units per currency ({"EUR": 123450}).
Threat model: `require("insights")` (the roles of the Insights page; an API key needs
insights:read); read-only, no write, no outside call.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.core.auth import Principal
from l2c_app.core.errors import DomainError
from l2c_app.insights import cycle_times, forecast

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])

Group = Literal["month", "owner", "source"]
# A forecast row lists its largest deals, not all of them: 50,000 open deals through the typed
# model and JSON take seconds; `include=deals` asks for every one (an export, an integration).
FORECAST_DEALS = 20


class StepDeal(BaseModel):
    deal_id: int
    title: str
    days: int
    end: date
    href: str


class CycleRow(BaseModel):
    step: str
    label: str
    group: str
    count: int
    median_days: float | None
    p90_days: float | None
    deals: list[StepDeal]


class OpenHandoff(BaseModel):
    deal_id: int
    title: str
    step: str
    label: str
    since: date
    age_days: int
    owner: str
    source: str
    href: str


class Step(BaseModel):
    key: str
    label: str


class CycleTimes(BaseModel):
    group: Group
    start: date | None
    end: date | None
    percentile: str = "percentile_cont (linear interpolation at rank p x (n - 1)), whole days"
    steps: list[Step]
    rows: list[CycleRow]
    open: list[OpenHandoff]


class ForecastDeal(BaseModel):
    deal_id: int
    title: str
    currency: str
    value_minor: int
    probability: int
    expected_close: date | None
    href: str


class ForecastRow(BaseModel):
    group: str
    count: int
    value: dict[str, int]
    weighted: dict[str, int]
    deals_total: int = Field(description="every deal behind the row (= count)")
    deals: list[ForecastDeal] = Field(
        description=f"the largest {FORECAST_DEALS} of them (value, then id); every one with include=deals"
    )


class StageRate(BaseModel):
    stage_id: int
    name: str
    probability: int
    won: int
    lost: int
    rate: float | None


class SourceRate(BaseModel):
    source: str
    won: int
    lost: int
    rate: float | None


class Forecast(BaseModel):
    group: Group
    start: date | None
    end: date | None
    no_date: int
    rows: list[ForecastRow]
    by_stage: list[StageRate]
    by_source: list[SourceRate]


def _bounds(start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise DomainError("from must be on or before to", "from")


@router.get("/cycle-times", response_model=CycleTimes)
def get_cycle_times(
    start: date | None = Query(None, alias="from", description="first day (of the later event)"),
    end: date | None = Query(None, alias="to", description="last day (of the later event)"),
    group: Group = Query("month"),
    session: Session = Depends(db),
    _: Principal = Depends(require("insights")),
) -> CycleTimes:
    _bounds(start, end)
    return CycleTimes.model_validate(cycle_times.cycle_times(session, group=group, start=start, end=end))


@router.get("/forecast", response_model=Forecast)
def get_forecast(
    start: date | None = Query(None, alias="from", description="first expected close / closing day"),
    end: date | None = Query(None, alias="to", description="last expected close / closing day"),
    group: Group = Query("month"),
    include: Literal["deals"] | None = Query(None, description="deals: every deal behind each row, not the largest"),
    session: Session = Depends(db),
    _: Principal = Depends(require("insights")),
) -> Forecast:
    _bounds(start, end)
    limit = None if include == "deals" else FORECAST_DEALS
    return Forecast.model_validate(
        forecast.pipeline_forecast(session, group=group, start=start, end=end, deals_limit=limit)
    )
