"""Demo data of the delivery stage (`l2c demo load`): every signed contract becomes a
project; the delivery person logs last week (approved) and this week (not yet); one
change order waits for the client's approval.

Reads the database rather than `ctx` keys of other stages, so it works whatever the
earlier stages left (and adds nothing when there is no signed contract).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from l2c_app.core.audit import SYSTEM
from l2c_app.core.formats import week_start
from l2c_app.core.models import User
from l2c_app.core.timeutil import org_today
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine, ChangeOrder, Project


def load(session: Session, ctx: dict) -> None:
    from l2c_app.contracts.models import Contract

    users = ctx.get("users", {})
    worker_id = users.get("dan@northwind.test") or session.exec(select(User.id)).first()
    lead_id = users.get("ada@northwind.test") or worker_id
    made = []
    for contract in session.exec(select(Contract).where(Contract.status == "completed").order_by(Contract.id)):
        if session.exec(select(Project).where(Project.contract_id == contract.id)).first() is None:
            try:
                made.append(svc.create_project_from_contract(session, SYSTEM, contract.id))
            except svc.DeliveryError:
                continue
    session.flush()
    monday = week_start(org_today(session))
    for project in made:
        project.lead_user_id = project.lead_user_id or lead_id
        line = session.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).first()
        if worker_id is None:
            continue
        if line is not None:
            svc.add_member(session, SYSTEM, project.id, worker_id, line.id)
        for weeks_back, hours in ((1, [7, 6, 8, 5, 4]), (0, [6, 7, 3])):
            start = monday - timedelta(weeks=weeks_back)
            for i, h in enumerate(hours):
                svc.upsert_time(
                    session,
                    SYSTEM,
                    user_id=worker_id,
                    project_id=project.id,
                    budget_line_id=line.id if line else None,
                    day=start + timedelta(days=i),
                    minutes=h * 60,
                    note="Build and review",
                )
        if lead_id:
            svc.approve_week(
                session, SYSTEM, lead_id, user_id=worker_id, project_id=project.id, monday=monday - timedelta(weeks=1)
            )
        if session.exec(select(ChangeOrder).where(ChangeOrder.project_id == project.id)).first() is None:
            co = svc.create_change_order(
                session,
                SYSTEM,
                project.id,
                description="Extra landing page for the launch campaign, with its own form.",
                amount_minor=180000,
            )
            try:
                svc.send_change_order(session, SYSTEM, co.id)
            except svc.DeliveryError:
                pass  # no client e-mail known: the change order stays a draft
    ctx.setdefault("counts", {})["projects"] = len(made)
    ctx["project_ids"] = [p.id for p in made]
