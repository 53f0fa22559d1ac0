"""Demo pipeline: leads converted into deals spread over the board, one won, one lost, with
activities and an overdue task (see l2c_app/demo.py). `ctx["deal_ids"]` lists the deals,
the won one first, for the later stages."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from l2c_app.core.audit import Actor
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.leads import service as leads
from l2c_app.leads.models import Lead
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.models import Deal


def load(session: Session, ctx: dict) -> None:
    if session.exec(select(Deal)).first() is not None:
        ctx.setdefault("deal_ids", [d.id for d in session.exec(select(Deal).order_by(Deal.id))])
        return
    users = ctx.get("users") or {}
    actor = Actor("user", users.get("owner@northwind.test"))
    stages = svc.open_stages(session)
    open_leads = session.exec(
        select(Lead).where(Lead.status.in_(("new", "qualified")), Lead.duplicate_of_lead_id.is_(None)).order_by(Lead.id)
    ).all()
    values = [1_250_000, 840_000, 360_000, 2_100_000, 480_000, 990_000]
    deals = []
    for i, lead in enumerate(open_leads[:6]):
        deal = leads.convert(session, actor, lead.id, value_minor=values[i % len(values)])
        deal.expected_close = org_today(session) + timedelta(days=20 + 15 * i)
        deals.append(deal)
    for deal, stage in zip(deals[1:], stages[1:], strict=False):
        svc.move_deal(session, actor, deal.id, stage.id)
    if deals:
        svc.add_activity(session, actor, deals[0].id, "call", "Discovery call", "Wants a shop with 200 products.")
        svc.add_activity(session, actor, deals[0].id, "task", "Send the proposal", due_at=utcnow() - timedelta(days=1))
        svc.mark_won(session, actor, deals[0].id)
    if len(deals) > 4:
        svc.mark_lost(session, actor, deals[4].id, "Chose a cheaper agency")
    if len(deals) > 2:
        svc.add_activity(session, actor, deals[2].id, "task", "Follow up on budget", due_at=utcnow())
    ctx["deal_ids"] = [d.id for d in deals]
    ctx.setdefault("counts", {})["deals"] = len(deals)
