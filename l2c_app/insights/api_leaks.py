"""The leak ledger as figures, for integrations and the Insights benchmark.

    GET /api/v1/insights/leaks

Each leak of the Insights page (insights.ledger.leaks): its count, its money per currency
(integer minor units; `money` is null for a leak that has none, e.g. leads), the age in days
of its oldest record (null with no records), the action that fixes it and the page where it
is done. The thresholds are the organisation's (Settings > Insights).
Threat model: `require("insights")`; read-only.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.core.auth import Principal
from l2c_app.core.timeutil import org_today
from l2c_app.insights import ledger

router = APIRouter(prefix="/api/v1", tags=["insights"])


class Money(BaseModel):
    currency: str
    amount_minor: int


class Leak(BaseModel):
    key: str
    title: str
    count: int
    money: list[Money] | None
    age_days: int | None
    action: str
    href: str


class LeakLedger(BaseModel):
    day: date
    leaks: list[Leak]


@router.get("/insights/leaks", response_model=LeakLedger)
def insights_leaks(session: Session = Depends(db), _: Principal = Depends(require("insights"))) -> LeakLedger:
    today = org_today(session)
    rows = ledger.leaks(session, today)
    return LeakLedger(
        day=today,
        leaks=[
            Leak(
                key=r["key"],
                title=r["title"],
                count=r["count"],
                age_days=r["age_days"],
                action=r["action"],
                href=r["href"],
                money=None
                if r["money"] is None
                else [Money(currency=c, amount_minor=v) for c, v in sorted(r["money"].items())],
            )
            for r in rows
        ],
    )
