"""REST routes of margin and utilisation (insights/margin.py holds the rules).

    GET /api/v1/insights/margin?from=&to=&group=project|client|month
    GET /api/v1/insights/utilisation?from=&to=&group=person|week
    PUT /api/v1/insights/capacity   {hours_per_week}

Threat model: the `margin` section (owner, admin, billing; API keys scoped `margin:read` or
`margin:write`): margins reveal what people cost, which sellers and delivery do not see.
Money is integer minor units, one row per currency.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.core.auth import Principal
from l2c_app.insights import margin as svc

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])


class MarginRowOut(BaseModel):
    key: str
    label: str
    currency: str
    billed_minor: int
    unbilled_minor: int
    revenue_minor: int
    time_cost_minor: int
    expense_minor: int
    margin_minor: int
    uncosted_minutes: int


class MarginOut(BaseModel):
    date_from: date
    date_to: date
    group: str
    rows: list[MarginRowOut]


class UtilisationRowOut(BaseModel):
    user_id: int
    name: str
    period: str
    billable_minutes: int
    total_minutes: int
    capacity_minutes: int
    utilisation_percent: str | None


class UtilisationOut(BaseModel):
    date_from: date
    date_to: date
    group: str
    capacity_hours_per_week: int
    rows: list[UtilisationRowOut]


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours_per_week: StrictInt


class CapacityOut(BaseModel):
    hours_per_week: int


def margin_rows(rows: list[svc.MarginRow]) -> list[MarginRowOut]:
    return [
        MarginRowOut(
            key=r.key,
            label=str(r.label),
            currency=r.currency,
            billed_minor=r.billed_minor,
            unbilled_minor=r.unbilled_minor,
            revenue_minor=r.revenue_minor,
            time_cost_minor=r.time_cost_minor,
            expense_minor=r.expense_minor,
            margin_minor=r.margin_minor,
            uncosted_minutes=r.uncosted_minutes,
        )
        for r in rows
    ]


def utilisation_rows(rows: list[svc.UtilisationRow]) -> list[UtilisationRowOut]:
    return [
        UtilisationRowOut(
            user_id=r.user_id,
            name=r.name,
            period=r.period,
            billable_minutes=r.billable_minutes,
            total_minutes=r.total_minutes,
            capacity_minutes=r.capacity_minutes,
            utilisation_percent=None if r.utilisation_percent is None else str(r.utilisation_percent),
        )
        for r in rows
    ]


@router.get("/margin", response_model=MarginOut)
def get_margin(
    date_from: date = Query(alias="from"),
    date_to: date = Query(alias="to"),
    group: str = Query("project", pattern="^(project|client|month)$"),
    session: Session = Depends(db),
    who: Principal = Depends(require("margin")),
) -> MarginOut:
    rows = svc.margin(session, date_from, date_to, group)
    return MarginOut(date_from=date_from, date_to=date_to, group=group, rows=margin_rows(rows))


@router.get("/utilisation", response_model=UtilisationOut)
def get_utilisation(
    date_from: date = Query(alias="from"),
    date_to: date = Query(alias="to"),
    group: str = Query("person", pattern="^(person|week)$"),
    session: Session = Depends(db),
    who: Principal = Depends(require("margin")),
) -> UtilisationOut:
    rows = svc.utilisation(session, date_from, date_to, group)
    return UtilisationOut(
        date_from=date_from,
        date_to=date_to,
        group=group,
        capacity_hours_per_week=svc.capacity_hours(session),
        rows=utilisation_rows(rows),
    )


@router.put("/capacity", response_model=CapacityOut)
def put_capacity(
    body: CapacityIn, session: Session = Depends(db), who: Principal = Depends(require("settings"))
) -> CapacityOut:
    hours = svc.save_capacity_hours(session, who.actor, body.hours_per_week)
    session.commit()
    return CapacityOut(hours_per_week=hours)
