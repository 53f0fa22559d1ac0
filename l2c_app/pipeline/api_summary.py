"""The deal summary: what the deal page and Insights show about one deal's money, as figures.

    GET /api/v1/deals/{id}/summary

    quoted_minor     accepted quotes, net of tax (the plan's source)      projects.service.quote_net_total
    signed_minor     what the deal's projects deliver under contract        billing.service.contract_value
    planned_minor    the projects' plans, approved change orders included  projects.service.planned_total
    delivered_minor  time logged on the projects at its rates               projects.service.budget_report
    unbilled_minor   delivered or billable and not invoiced yet             billing.unbilled_totals
    invoiced_minor / collected_minor / open_minor                           billing.views.deal_money

Each figure is read from the function named beside it (never recomputed here).
Threat model: `require("pipeline")`; read-only.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.billing import service as billing
from l2c_app.billing.unbilled_totals import unbilled_totals
from l2c_app.billing.views import deal_money
from l2c_app.core.auth import Principal
from l2c_app.core.errors import NotFound
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.models import Deal
from l2c_app.projects import service as projects
from l2c_app.projects.models import Project
from l2c_app.quotes import service as quotes
from l2c_app.quotes.models import Quote

router = APIRouter(prefix="/api/v1", tags=["pipeline"])


class DealSummary(BaseModel):
    deal_id: int
    currency: str
    status: str
    value_minor: int
    quoted_minor: int
    signed_minor: int
    planned_minor: int
    delivered_minor: int
    unbilled_minor: int
    invoiced_minor: int
    collected_minor: int
    open_minor: int
    project_ids: list[int]


@router.get("/deals/{deal_id}/summary", response_model=DealSummary)
def deal_summary(deal_id: int, session: Session = Depends(db), _: Principal = Depends(require("pipeline"))) -> dict:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"No deal {deal_id}", "deal_id")
    accepted = session.exec(select(Quote).where(Quote.deal_id == deal_id, Quote.status == "accepted")).all()
    quoted = sum(projects.quote_net_total(q, quotes.quote_lines(session, q.id)) for q in accepted)
    today = org_today(session)
    project_rows = list(session.exec(select(Project).where(Project.deal_id == deal_id).order_by(Project.id)))
    signed = planned = delivered = 0
    for p in project_rows:
        signed += billing.contract_value(session, p)
        planned += projects.planned_total(session, p.id, include_change_orders=True)
        delivered += projects.budget_report(session, p.id)["total"]["actual_minor"]
    # all the deal's projects at once: unbilled_total's twin-tested set-based path
    unbilled = sum(unbilled_totals(session, [p.id for p in project_rows], today).values())
    money = deal_money(session, deal_id) or {"invoiced_minor": 0, "collected_minor": 0, "open_minor": 0}
    return {
        "deal_id": deal.id,
        "currency": deal.currency,
        "status": deal.status,
        "value_minor": deal.value_minor,
        "quoted_minor": quoted,
        "signed_minor": signed,
        "planned_minor": planned,
        "delivered_minor": delivered,
        "unbilled_minor": unbilled,
        "invoiced_minor": money["invoiced_minor"],
        "collected_minor": money["collected_minor"],
        "open_minor": money["open_minor"],
        "project_ids": [p.id for p in project_rows],
    }
