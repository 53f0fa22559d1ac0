"""The pipeline's stages (defaults, settings, the closing stages), its error type, the
input parsing the use cases share, and the stale-deal setting. Plain functions; no Reflex import."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import DomainError
from l2c_app.pipeline.models import Deal, PipelineStage


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


# --- input parsing shared by the use cases ---------------------------------------------------


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


# --- the stale-deal setting of "My day" ------------------------------------------------------


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
