"""Use cases of the pipeline: stages, the board, deal moves, won/lost, the deal page,
activities and "My day". Plain functions over a Session; no Reflex import.

Every move of a deal between stages (board drag, "Move to" menu, API PATCH) goes
through `move_deal`, so each one is a StageChange, an audit row and a timeline event.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation, list_users
from l2c_app.core.errors import DomainError
from l2c_app.core.models import User
from l2c_app.core.money import check_amount
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import DealClosed, DealStageChanged
from l2c_app.pipeline import board_events
from l2c_app.pipeline.models import Account, Activity, Contact, Deal, PipelineStage, StageChange
from l2c_app.pipeline.timeline import add_deal_event

board_events.install()  # every committed change of a deal is told to the open boards (board_events.py)


class PipelineError(DomainError):
    """A user-facing message; `field` names the offending input when there is one."""


DEFAULT_STAGES = [
    ("New", 10, "open"),
    ("Qualified", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
]
ACTIVITY_KINDS = ("note", "call", "meeting", "email", "task")
DEFAULT_STALE_DAYS = 14


# --- stages ------------------------------------------------------------------------------


def ensure_stages(session: Session) -> list[PipelineStage]:
    """The stages in board order; the defaults are created the first time (no seed migration)."""
    stages = list(session.exec(select(PipelineStage).order_by(PipelineStage.position, PipelineStage.id)))
    if stages:
        return stages
    for pos, (name, prob, kind) in enumerate(DEFAULT_STAGES):
        session.add(PipelineStage(name=name, position=pos, probability=prob, kind=kind))
    session.flush()
    return list(session.exec(select(PipelineStage).order_by(PipelineStage.position, PipelineStage.id)))


def open_stages(session: Session) -> list[PipelineStage]:
    return [s for s in ensure_stages(session) if s.kind == "open"]


def first_open_stage(session: Session) -> PipelineStage:
    stages = open_stages(session)
    if not stages:
        raise PipelineError("The pipeline has no open stage: add one on Settings > Pipeline stages.")
    return stages[0]


def closing_stage(session: Session, kind: str) -> PipelineStage:
    for s in ensure_stages(session):
        if s.kind == kind:
            return s
    stage = PipelineStage(name=kind.capitalize(), position=99, probability=100 if kind == "won" else 0, kind=kind)
    session.add(stage)
    session.flush()
    return stage


def stages_json(session: Session, updated_since: datetime | None = None) -> list[dict]:
    """The stages in board order, or (`updated_since`) those changed since then, by (updated_at, id)."""
    from l2c_app.api.pagination import changed_since

    return [
        {"id": s.id, "name": s.name, "position": s.position, "probability": s.probability, "kind": s.kind}
        for s in changed_since(ensure_stages(session), updated_since)
    ]


def save_stages(session: Session, actor: Actor, rows: list[dict]) -> list[dict]:
    """Rename, reorder, re-weigh, add (no id) or delete (`delete`: true) stages.

    A stage that still holds deals cannot be deleted; exactly one won and one lost stage remain.
    """
    existing = {s.id: s for s in ensure_stages(session)}
    for i, row in enumerate(rows):
        name = str(row.get("name", "")).strip()
        try:
            prob = int(row.get("probability", 0))
            position = int(row.get("position", i))
        except (TypeError, ValueError):
            raise PipelineError(f"Stage {i + 1}: probability and order must be whole numbers.", "probability") from None
        if not 0 <= prob <= 100:
            raise PipelineError(f"Stage {name or i + 1}: probability must be between 0 and 100.", "probability")
        sid = row.get("id")
        stage = existing.get(int(sid)) if sid else None
        if row.get("delete"):
            if stage is None:
                continue
            if stage.kind != "open":
                raise PipelineError(f"{stage.name} closes deals ({stage.kind}) and cannot be deleted.", "delete")
            used = session.exec(select(func.count()).select_from(Deal).where(Deal.stage_id == stage.id)).one()
            if used:
                raise PipelineError(f"{stage.name} still holds {used} deal(s): move them first.", "delete")
            record_action(session, actor, "pipelinestage", stage.id, "delete", snapshot(stage))
            session.delete(stage)
            continue
        if not name:
            raise PipelineError(f"Stage {i + 1}: enter a name.", "name")
        if stage is None:
            stage = PipelineStage(name=name, position=position, probability=prob, kind="open")
            session.add(stage)
            record_create(session, actor, stage)
        else:
            before = snapshot(stage)
            stage.name, stage.position, stage.probability = name, position, prob
            record_update(session, actor, stage, before)
    session.flush()
    if not open_stages(session):
        raise PipelineError("Keep at least one open stage.", "delete")
    return stages_json(session)


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


def _parse_date(value: Any, field: str = "expected_close") -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PipelineError(f"{field}: use a date like 2026-12-31.", field) from None


def _parse_int(value: Any, field: str, lo: int | None = None, hi: int | None = None) -> int:
    try:
        n = int(value)
        if isinstance(value, float) and value != n:
            raise ValueError
    except (TypeError, ValueError):
        raise PipelineError(f"{field}: must be a whole number.", field) from None
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise PipelineError(f"{field}: must be between {lo} and {hi}.", field)
    return n


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


# --- the board ---------------------------------------------------------------------------


def board_version(session: Session) -> str:
    """A cheap fingerprint of the board: changes whenever a deal is created, moved or edited."""
    count, last = session.exec(select(func.count(), func.max(Deal.updated_at))).one()
    return f"{count}:{last.isoformat() if last else ''}"


def board(
    session: Session,
    owner_id: int | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    tz: str = "UTC",
    per_column: int = 100,
    only: set[int] | None = None,
) -> list[dict]:
    """The open stages as columns, with cards and header figures (count, total, weighted).

    Header figures cover every deal; each column carries at most `per_column` cards (most recent
    in stage first) and says how many more there are, so the browser stays smooth with thousands.

    One query for the deals with their account and owner names, one for the next open task
    of each deal: stays quick with thousands of open deals.

    `only`: cards for these deal ids alone (no per-column cap), header figures still for all:
    what a live patch of the board needs (pipeline/board_events.py).
    """
    stages = open_stages(session)
    cols = {
        s.id: {
            "id": s.id,
            "name": s.name,
            "probability": s.probability,
            "cards": [],
            "count": 0,
            "totals": {},
            "weighted": {},
        }
        for s in stages
    }
    stmt = (
        select(
            Deal.id,
            Deal.title,
            Deal.stage_id,
            Deal.value_minor,
            Deal.currency,
            Deal.probability,
            Deal.stage_entered_at,
            Deal.expected_close,
            Account.name,
            User.name,
        )
        .join(Account, Account.id == Deal.account_id, isouter=True)
        .join(User, User.id == Deal.owner_id, isouter=True)
        .where(Deal.status == "open")
    )
    names: dict[int, tuple] = {}
    if only is not None:  # figures need every deal, names only the patched ones: no join, no order
        names = {r[0]: r[8:] for r in session.exec(stmt.where(Deal.id.in_(only))).all()}  # type: ignore[union-attr]
        stmt = select(
            Deal.id,
            Deal.title,
            Deal.stage_id,
            Deal.value_minor,
            Deal.currency,  # type: ignore[assignment]
            Deal.probability,
            Deal.stage_entered_at,
            Deal.expected_close,
            Deal.account_id,
            Deal.owner_id,
        ).where(Deal.status == "open")
    if owner_id:
        stmt = stmt.where(Deal.owner_id == owner_id)
    if close_from:
        stmt = stmt.where(Deal.expected_close >= close_from)
    if close_to:
        stmt = stmt.where(Deal.expected_close <= close_to)
    rows = session.exec(stmt.order_by(Deal.stage_entered_at.desc()) if only is None else stmt).all()
    next_tasks: dict[int, tuple] = {}
    task_rows = session.exec(
        select(Activity.deal_id, Activity.subject, Activity.due_at)
        .join(Deal, Deal.id == Activity.deal_id)
        .where(
            Deal.status == "open",
            Activity.kind == "task",
            Activity.done_at.is_(None),
            *([Deal.id.in_(only)] if only is not None else []),
        )  # type: ignore[union-attr]
        .order_by(Activity.due_at)
    ).all()
    for did, subject, due in task_rows:
        next_tasks.setdefault(did, (subject, due))
    now = utcnow()
    from l2c_app.core.money import format_money

    for did, title, stage_id, value, cur, prob, entered, close, account, owner in rows:
        col = cols.get(stage_id)
        if col is None:
            continue
        p = prob if prob is not None else col["probability"]
        col["count"] += 1
        col["totals"][cur] = col["totals"].get(cur, 0) + value
        col["weighted"][cur] = col["weighted"].get(cur, 0) + value * p
        if only is not None:
            if did not in only:
                continue
            account, owner = names.get(did, (None, None))
        elif len(col["cards"]) >= per_column:
            continue
        if entered and entered.tzinfo is None:
            entered = entered.replace(tzinfo=now.tzinfo)
        days = (now - entered).days if entered else 0
        nxt = next_tasks.get(did)
        col["cards"].append(
            {
                "id": did,
                "title": title,
                "account": account or "",
                "owner": owner or "",
                "value": format_money(value, cur),
                "age": f"{days} d in stage",
                "next": (nxt[0] + (f" (due {nxt[1].date().isoformat()})" if nxt[1] else "")) if nxt else "",
                "close": close.isoformat() if close else "",
                "entered": entered.isoformat() if entered else "",
            }
        )
    from decimal import Decimal

    from l2c_app.core.money import round_minor

    out = []
    for s in stages:
        col = cols[s.id]
        # Weighted value = value x probability %: summed exactly, rounded once per column (round_minor).
        col["total_text"] = " + ".join(format_money(v, c) for c, v in sorted(col["totals"].items())) or "-"
        col["weighted_text"] = (
            " + ".join(format_money(round_minor(Decimal(v) / 100), c) for c, v in sorted(col["weighted"].items()))
            or "-"
        )
        del col["totals"], col["weighted"]
        col["more"] = col["count"] - len(col["cards"])
        out.append(col)
    return out


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


# --- my day -----------------------------------------------------------------------------------


def stale_days(session: Session) -> int:
    org = get_organisation(session)
    try:
        return (
            int(((org.settings or {}).get("pipeline") or {}).get("stale_days", DEFAULT_STALE_DAYS))
            if org
            else DEFAULT_STALE_DAYS
        )
    except (TypeError, ValueError):
        return DEFAULT_STALE_DAYS


def set_stale_days(session: Session, actor: Actor, days: int) -> None:
    days = _parse_int(days, "stale_days", 1, 365)
    org = get_organisation(session)
    if org is None:
        raise PipelineError("l2c is not set up yet.")
    before = snapshot(org)
    settings = dict(org.settings or {})
    settings["pipeline"] = {**(settings.get("pipeline") or {}), "stale_days": days}
    org.settings = settings
    record_update(session, actor, org, before)


def my_day(session: Session, user_id: int, tz: str = "UTC") -> dict:
    """The user's overdue and due-today tasks, and their open deals with no activity for N days."""
    from zoneinfo import ZoneInfo

    from l2c_app.core.timeutil import format_local

    now = utcnow()
    local_now = now.astimezone(ZoneInfo(tz))
    end_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    tasks = session.exec(
        select(Activity, Deal.title)
        .join(Deal, Deal.id == Activity.deal_id, isouter=True)
        .where(
            Activity.kind == "task",
            Activity.done_at.is_(None),
            Activity.user_id == user_id,
            Activity.due_at.is_not(None),
            Activity.due_at < end_of_day,
        )
        .order_by(Activity.due_at)
    ).all()
    days = stale_days(session)
    stale = session.exec(
        select(Deal)
        .where(Deal.owner_id == user_id, Deal.status == "open", Deal.last_activity_at < now - timedelta(days=days))
        .order_by(Deal.last_activity_at)
        .limit(50)
    ).all()
    # With no open deal at all, "every deal moved recently" would be true and useless: the
    # page says how to get a first deal instead.
    open_deals = session.exec(
        select(func.count()).select_from(Deal).where(Deal.owner_id == user_id, Deal.status == "open")
    ).one()
    return {
        "tasks": [
            {
                "id": a.id,
                "subject": a.subject,
                "deal": title or "",
                "deal_id": a.deal_id or 0,
                "due": format_local(a.due_at, tz),
                "overdue": "overdue" if _aware(a.due_at) < now else "today",
            }
            for a, title in tasks
        ],
        "stale": [
            {"id": d.id, "title": d.title, "idle": f"{(now - _aware(d.last_activity_at)).days} days idle"}
            for d in stale
        ],
        "stale_days": days,
        "open_deals": int(open_deals),
    }
