"""Reads of the deal page (the deal, its timeline) and the team list of the owner pickers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from l2c_app.core.auth import list_users
from l2c_app.core.models import User
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.deals import _effective_probability, deal_json, get_deal
from l2c_app.pipeline.models import Account, Activity, Contact, PipelineStage

# --- the deal page --------------------------------------------------------------------------


def deal_detail(session: Session, deal_id: int) -> dict:
    deal = get_deal(session, deal_id)
    data = deal_json(session, deal)
    stage = session.get(PipelineStage, deal.stage_id)
    account = session.get(Account, deal.account_id) if deal.account_id else None
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    data.update(
        {
            "stage_name": stage.name if stage else "",
            "account_name": account.name if account else "",
            "owner_name": owner.name if owner else "",
            "effective_probability": _effective_probability(deal, stage),
            "value_major": f"{deal.value_minor / 100:.2f}",
        }
    )
    contacts = []
    if deal.account_id:
        contacts = list(session.exec(select(Contact).where(Contact.account_id == deal.account_id).order_by(Contact.id)))
    elif deal.contact_id:
        c = session.get(Contact, deal.contact_id)
        contacts = [c] if c else []
    data["contacts"] = [
        {
            "id": c.id,
            "name": c.name,
            "email": c.email or "",
            "phone": c.phone or "",
            "title": c.title or "",
            "primary": "primary" if c.id == deal.contact_id else "",
        }
        for c in contacts
    ]
    return data


def timeline(session: Session, deal_id: int, tz: str = "UTC") -> list[dict]:
    from l2c_app.core.timeutil import format_local

    users = {u.id: u.name for u in session.exec(select(User))}
    acts = session.exec(
        select(Activity).where(Activity.deal_id == deal_id).order_by(Activity.created_at.desc(), Activity.id.desc())
    ).all()
    now = utcnow()
    out = []
    for a in acts:
        overdue = a.kind == "task" and a.done_at is None and a.due_at is not None and _aware(a.due_at) < now
        out.append(
            {
                "id": a.id,
                "kind": a.kind,
                "subject": a.subject,
                "body": a.body or "",
                "who": users.get(a.user_id, "System") if a.user_id else "System",
                "when": format_local(a.created_at, tz),
                "due": format_local(a.due_at, tz) if a.due_at else "",
                "done": "done" if a.done_at else "",
                "overdue": "overdue" if overdue else "",
            }
        )
    return out


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def team_options(session: Session) -> list[dict]:
    return [
        {"id": str(u.id), "name": u.name, "email": u.email, "role": u.role}
        for u in list_users(session, active_only=True)
    ]
