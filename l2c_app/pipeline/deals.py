"""Deal use cases: create, move between stages, won/lost, edit, hand over, and activities.

Every move of a deal between stages (board drag, "Move to" menu, API PATCH) goes
through `move_deal`, so each one is a StageChange, an audit row and a timeline event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.models import User
from l2c_app.core.money import check_amount
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import DealClosed, DealStageChanged
from l2c_app.pipeline import board_events
from l2c_app.pipeline.models import Account, Activity, Contact, Deal, PipelineStage, StageChange
from l2c_app.pipeline.stages import (
    ACTIVITY_KINDS,
    PipelineError,
    _parse_date,
    _parse_int,
    closing_stage,
    first_open_stage,
)
from l2c_app.pipeline.timeline import add_deal_event

board_events.install()  # every committed change of a deal is told to the open boards (board_events.py)


# --- deals -------------------------------------------------------------------------------


def _effective_probability(deal: Deal, stage: PipelineStage | None) -> int:
    if deal.probability is not None:
        return deal.probability
    return stage.probability if stage else 0


def deal_json(session: Session, deal: Deal) -> dict:
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    return {
        "id": deal.id,
        "title": deal.title,
        "account_id": deal.account_id,
        "contact_id": deal.contact_id,
        "stage_id": deal.stage_id,
        "status": deal.status,
        "value": deal.value_minor,
        "currency": deal.currency,
        "probability": deal.probability,
        "owner_id": deal.owner_id,
        "owner_email": owner.email if owner else None,
        "lead_id": deal.lead_id,
        "source": deal.source,
        "description": deal.description,
        "lost_reason": deal.lost_reason,
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
        "created_at": deal.created_at.isoformat(),
        "updated_at": deal.updated_at.isoformat(),
        "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
    }


def _user_ok(session: Session, user_id: int | None, field: str = "owner_id") -> User:
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise PipelineError(f"{field}: no active team member with this id.", field)
    return user


def _deal_owner_ok(session: Session, user_id: int | None) -> User:
    """A deal's owner must be able to open the pipeline (the lead path already refuses others)."""
    from l2c_app.core.auth import can

    user = _user_ok(session, user_id)
    if not can(user.role, "pipeline"):
        raise PipelineError(
            f"owner_id: {user.name} ({user.role}) cannot open the pipeline, so cannot own a deal.", "owner_id"
        )
    return user


def contact_of_account(session: Session, contact_id: Any, account_id: int | None) -> Contact | None:
    """The contact, refused when it belongs to another client than `account_id`.

    Threat model: ids are typed or sent by callers; a contact of client B on client A's deal
    would put B's person on A's quotes and contracts (and e-mail them A's documents)."""
    if contact_id in (None, ""):
        return None
    contact = session.get(Contact, int(contact_id))
    if contact is None:
        raise PipelineError("contact_id: no such contact.", "contact_id")
    if account_id is not None and contact.account_id is not None and contact.account_id != account_id:
        raise PipelineError("contact_id: this contact belongs to another client.", "contact_id")
    return contact


def create_deal(
    session: Session,
    actor: Actor,
    *,
    title: str,
    value_minor: int = 0,
    currency: str | None = None,
    account_id: int | None = None,
    contact_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    expected_close: Any = None,
    probability: int | None = None,
    source: str | None = None,
    description: str | None = None,
    lead_id: int | None = None,
    via: str = "ui",
) -> Deal:
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(PipelineError("title: enter a title.", "title"))
    if errors:
        raise errors[0]
    value_minor = check_amount(_parse_int(value_minor, "value", 0), "value", "The deal value")
    org = get_organisation(session)
    currency = (currency or (org.currency if org else "EUR")).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise PipelineError("currency: use an ISO code like EUR.", "currency")
    if stage_id is not None:
        stage = session.get(PipelineStage, int(stage_id))
        if stage is None or stage.kind != "open":
            raise PipelineError("stage_id: not an open stage of the pipeline.", "stage_id")
    else:
        stage = first_open_stage(session)
    if account_id is not None and session.get(Account, account_id) is None:
        raise PipelineError("account_id: no such account.", "account_id")
    contact_of_account(session, contact_id, account_id)
    if owner_id is None:
        owner_id = actor.user_id or _org_owner_id(session)
        if owner_id is not None and not _can_own(session, owner_id):
            owner_id = _org_owner_id(session)  # e.g. a delivery user converting: the organisation's owner
    _deal_owner_ok(session, owner_id)
    if probability is not None:
        probability = _parse_int(probability, "probability", 0, 100)
    deal = Deal(
        title=title[:200],
        value_minor=value_minor,
        currency=currency,
        account_id=account_id,
        contact_id=contact_id,
        stage_id=stage.id,
        owner_id=owner_id,
        expected_close=_parse_date(expected_close),
        probability=probability,
        source=source,
        description=description,
        lead_id=lead_id,
    )
    session.add(deal)
    record_create(session, actor, deal)
    session.add(StageChange(deal_id=deal.id, from_stage_id=None, to_stage_id=stage.id, user_id=actor.user_id, via=via))
    add_deal_event(session, deal.id, f"Deal created in {stage.name}", user_id=actor.user_id)
    return deal


def _can_own(session: Session, user_id: int) -> bool:
    from l2c_app.core.auth import can

    user = session.get(User, user_id)
    return user is not None and can(user.role, "pipeline")


def _org_owner_id(session: Session) -> int | None:
    user = session.exec(select(User).where(User.role == "owner", User.is_active).order_by(User.id)).first()
    return user.id if user else None


def get_deal(session: Session, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise PipelineError("No such deal.", kind="not_found")
    return deal


def move_deal(
    session: Session, actor: Actor, deal_id: int, stage_id: int, via: str = "ui", lost_reason: str | None = None
) -> Deal:
    """Move a deal to a stage; a won/lost stage closes it (lost needs a reason). Recorded everywhere."""
    deal = get_deal(session, deal_id)
    stage = session.get(PipelineStage, int(stage_id))
    if stage is None:
        raise PipelineError("stage_id: no such stage.", "stage_id")
    if stage.id == deal.stage_id:
        return deal
    if stage.kind == "lost" and not (lost_reason or "").strip():
        raise PipelineError("lost_reason: say why the deal was lost.", "lost_reason")
    before = snapshot(deal)
    old = session.get(PipelineStage, deal.stage_id)
    now = utcnow()
    deal.stage_id, deal.stage_entered_at, deal.updated_at = stage.id, now, now
    if stage.kind == "open":
        deal.status, deal.closed_at, deal.lost_reason = "open", None, None
    else:
        deal.status, deal.closed_at = stage.kind, now
        if stage.kind == "lost":
            deal.lost_reason = lost_reason.strip()[:500]
    session.add(
        StageChange(
            deal_id=deal.id,
            from_stage_id=old.id if old else None,
            to_stage_id=stage.id,
            user_id=actor.user_id,
            via=via,
            at=now,
        )
    )
    action = {"won": "won", "lost": "lost"}.get(stage.kind, "move")
    record_update(session, actor, deal, before, action=action)
    text = f"Moved from {old.name if old else '-'} to {stage.name}"
    if stage.kind == "lost":
        text = f"Marked lost: {deal.lost_reason}"
    elif stage.kind == "won":
        text = "Marked won"
    add_deal_event(session, deal.id, text, user_id=actor.user_id, kind="stage")
    emit(
        session,
        "deal.stage_changed",
        DealStageChanged(deal_id=deal.id, stage_id=stage.id, previous_stage_id=old.id if old else None),
    )
    if stage.kind in ("won", "lost"):
        emit(
            session,
            f"deal.{stage.kind}",
            DealClosed(
                deal_id=deal.id, amount_minor=deal.value_minor, currency=deal.currency, reason=deal.lost_reason or ""
            ),
        )
    return deal


def mark_won(session: Session, actor: Actor, deal_id: int, via: str = "ui") -> Deal:
    return move_deal(session, actor, deal_id, closing_stage(session, "won").id, via)


def mark_lost(session: Session, actor: Actor, deal_id: int, reason: str, via: str = "ui") -> Deal:
    return move_deal(session, actor, deal_id, closing_stage(session, "lost").id, via, lost_reason=reason)


EDITABLE = (
    "title",
    "value",
    "currency",
    "probability",
    "expected_close",
    "description",
    "account_id",
    "contact_id",
    "source",
)


def update_deal(session: Session, actor: Actor, deal_id: int, changes: dict[str, Any], via: str = "ui") -> Deal:
    """Edit fields in place; `stage_id`, `owner_id` and `status` route to their own use cases."""
    deal = get_deal(session, deal_id)
    unknown = set(changes) - set(EDITABLE) - {"stage_id", "owner_id", "status", "lost_reason"}
    if unknown:
        field = sorted(unknown)[0]
        raise PipelineError(f"{field}: not a field of a deal (or not editable).", field)
    before = snapshot(deal)
    if "title" in changes:
        title = str(changes["title"] or "").strip()
        if not title:
            raise PipelineError("title: enter a title.", "title")
        deal.title = title[:200]
    if "value" in changes:
        deal.value_minor = check_amount(_parse_int(changes["value"], "value", 0), "value", "The deal value")
    if "currency" in changes:
        cur = str(changes["currency"] or "").upper()
        if len(cur) != 3 or not cur.isalpha():
            raise PipelineError("currency: use an ISO code like EUR.", "currency")
        deal.currency = cur
    if "probability" in changes:
        p = changes["probability"]
        deal.probability = None if p in (None, "") else _parse_int(p, "probability", 0, 100)
    if "expected_close" in changes:
        deal.expected_close = _parse_date(changes["expected_close"])
    if "description" in changes:
        deal.description = changes["description"] or None
    if "source" in changes:
        deal.source = changes["source"] or None
    if "account_id" in changes:
        aid = changes["account_id"]
        if aid is not None and session.get(Account, int(aid)) is None:
            raise PipelineError("account_id: no such account.", "account_id")
        deal.account_id = aid
    if "contact_id" in changes or "account_id" in changes:
        cid = changes["contact_id"] if "contact_id" in changes else deal.contact_id
        contact_of_account(session, cid, deal.account_id)
        deal.contact_id = cid
    deal.updated_at = utcnow()
    record_update(session, actor, deal, before)
    if changes.get("owner_id") is not None and changes["owner_id"] != deal.owner_id:
        reassign(session, actor, deal_id, int(changes["owner_id"]))
    status = changes.get("status")
    if status is not None and status != deal.status:
        if status == "won":
            mark_won(session, actor, deal_id, via)
        elif status == "lost":
            mark_lost(session, actor, deal_id, changes.get("lost_reason") or "", via)
        elif status == "open":
            move_deal(session, actor, deal_id, changes.get("stage_id") or first_open_stage(session).id, via)
        else:
            raise PipelineError("status: one of open, won, lost.", "status")
    elif changes.get("stage_id") is not None:
        move_deal(session, actor, deal_id, int(changes["stage_id"]), via, lost_reason=changes.get("lost_reason"))
    return deal


def reassign(session: Session, actor: Actor, deal_id: int, new_owner_id: int) -> Deal:
    """Hand the deal (and its whole history) to a colleague; they are notified."""
    deal = get_deal(session, deal_id)
    new_owner = _deal_owner_ok(session, new_owner_id)
    if deal.owner_id == new_owner.id:
        return deal
    old = session.get(User, deal.owner_id) if deal.owner_id else None
    before = snapshot(deal)
    deal.owner_id, deal.updated_at = new_owner.id, utcnow()
    record_update(session, actor, deal, before, action="reassign")
    # Open tasks follow the deal to its new owner.
    for task in session.exec(
        select(Activity).where(Activity.deal_id == deal.id, Activity.kind == "task", Activity.done_at.is_(None))
    ):
        task.user_id = new_owner.id
    add_deal_event(
        session,
        deal.id,
        f"Handed over from {old.name if old else 'nobody'} to {new_owner.name}",
        user_id=actor.user_id,
        kind="system",
    )
    notify(session, new_owner.id, "deal_assigned", f"Deal handed to you: {deal.title}", link=f"/deals/{deal.id}")
    return deal


# --- activities -----------------------------------------------------------------------------


def add_activity(
    session: Session,
    actor: Actor,
    deal_id: int,
    kind: str,
    subject: str,
    body: str | None = None,
    due_at: datetime | None = None,
) -> Activity:
    deal = get_deal(session, deal_id)
    if kind not in ACTIVITY_KINDS:
        raise PipelineError(f"kind: one of {', '.join(ACTIVITY_KINDS)}.", "kind")
    subject = (subject or "").strip()
    if not subject:
        raise PipelineError("subject: say what happened or what is to do.", "subject")
    act = Activity(
        deal_id=deal.id,
        user_id=actor.user_id if kind != "task" else (deal.owner_id or actor.user_id),
        kind=kind,
        subject=subject[:300],
        body=body or None,
        due_at=due_at if kind == "task" else None,
        done_at=None if kind == "task" else utcnow(),
    )
    session.add(act)
    deal.last_activity_at = utcnow()
    record_create(session, actor, act)
    return act


def set_task_done(session: Session, actor: Actor, activity_id: int, done: bool = True) -> Activity:
    act = session.get(Activity, activity_id)
    if act is None or act.kind != "task":
        raise PipelineError("No such task.", kind="not_found")
    before = snapshot(act)
    act.done_at = utcnow() if done else None
    record_update(session, actor, act, before, action="done" if done else "reopen")
    if act.deal_id:
        deal = session.get(Deal, act.deal_id)
        if deal:
            deal.last_activity_at = utcnow()
    return act
