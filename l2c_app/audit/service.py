"""Reading the audit log: filters, pages, names for actors, before/after diffs, CSV.

The stored `actor` label stays what `core.audit` wrote (`user:3`, `api:website backend`,
`webhook:stripe`, `system`): it is the record. People read names, so every row shown or
exported carries the label resolved to a name (`actor_name`) beside it; a deleted or
renamed user shows the current name of that id, an unknown id shows the label itself.
Times are shown in the organisation's time zone, and the date filters are its days.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.auth import get_organisation
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog, User
from l2c_app.core.timeutil import format_local

PER_PAGE = 50
MAX_EXPORT = 50_000  # rows in one CSV; a narrower filter gets the rest
VALUE_PREVIEW = 120  # characters of one before/after value on the page (the CSV has all of it)
ACTOR_KINDS = {"api": "API key", "webhook": "Webhook", "system": "System"}


@dataclass(frozen=True)
class AuditFilters:
    entity: str = ""
    action: str = ""
    actor: str = ""  # a stored label (user:3, api:..., system)
    date_from: str = ""  # YYYY-MM-DD, the organisation's day, inclusive
    date_to: str = ""

    @classmethod
    def of(cls, data: dict[str, Any]) -> AuditFilters:
        return cls(**{k: str(data.get(k) or "").strip() for k in ("entity", "action", "actor", "date_from", "date_to")})


def _tz(session: Session) -> str:
    org = get_organisation(session)
    return (org.timezone if org else None) or "UTC"


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("Enter a date as YYYY-MM-DD.", field) from None


def _filtered(session: Session, stmt, f: AuditFilters):
    if f.entity:
        stmt = stmt.where(AuditLog.entity == f.entity)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.actor:
        stmt = stmt.where(AuditLog.actor == f.actor)
    start, end = _day(f.date_from, "date_from"), _day(f.date_to, "date_to")
    if start and end and end < start:
        raise DomainError("The end date is before the start date.", "date_to")
    zone = ZoneInfo(_tz(session))
    # The organisation's midnight, as the UTC instant the column stores (SQLite compares text:
    # the bound must be UTC like the stored values, not merely aware).
    if start:
        stmt = stmt.where(AuditLog.at >= datetime.combine(start, time(), zone).astimezone(UTC))
    if end:
        stmt = stmt.where(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC))
    return stmt


def actor_names(session: Session, labels: set[str]) -> dict[str, str]:
    """Stored actor label -> what a person reads ("Olivia Owner", "API key: website backend")."""
    ids = {int(lb[5:]) for lb in labels if lb.startswith("user:") and lb[5:].isdigit()}
    users = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(ids)))} if ids else {}
    names = {}
    for label in labels:
        kind, _, rest = label.partition(":")
        if kind == "user" and rest.isdigit() and int(rest) in users:
            names[label] = users[int(rest)]
        elif kind in ACTOR_KINDS:
            names[label] = f"{ACTOR_KINDS[kind]}: {rest}" if rest else ACTOR_KINDS[kind]
        else:
            names[label] = label
    return names


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field that differs; a create has only after, a
    delete only before. Sorted by field name."""
    before, after = before or {}, after or {}
    fields = sorted(set(before) | set(after))
    rows = [
        (k, _text(before.get(k)) if k in before else "—", _text(after.get(k)) if k in after else "—")
        for k in fields
        if before.get(k) != after.get(k) or (k in before) != (k in after)
    ]
    return [r for r in rows if r[1] != r[2]]  # a create's empty fields are not a change


def _short(value: str) -> str:
    return value if len(value) <= VALUE_PREVIEW else value[: VALUE_PREVIEW - 1] + "…"


def list_audit(session: Session, filters: AuditFilters, page: int = 1, per_page: int = PER_PAGE) -> dict:
    """One page of rows, newest first, with the total and the number of pages."""
    total = session.exec(_filtered(session, select(func.count()).select_from(AuditLog), filters)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.exec(
        _filtered(session, select(AuditLog), filters)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    names = actor_names(session, {r.actor for r in rows})
    tz = _tz(session)
    return {
        "rows": [
            {
                "id": r.id,
                "when": format_local(r.at, tz),
                "who": names.get(r.actor, r.actor),
                "actor": r.actor,
                "action": r.action,
                "entity": r.entity,
                "entity_id": "" if r.entity_id is None else str(r.entity_id),
                "changes": "\n".join(f"{k}: {_short(b)} → {_short(a)}" for k, b, a in changes(r.before, r.after))
                or "(no field changed)",
            }
            for r in rows
        ],
        "total": total,
        "page": page,
        "pages": pages,
        "timezone": tz,
    }


def filter_options(session: Session) -> dict[str, list]:
    """The values the filters offer: entities and actions present, actors with their names."""
    entities = sorted(session.exec(select(AuditLog.entity).distinct()).all())
    actions = sorted(session.exec(select(AuditLog.action).distinct()).all())
    labels = set(session.exec(select(AuditLog.actor).distinct()).all())
    names = actor_names(session, labels)
    # Two people with one name (two "Olivia Owner"s) must stay two choices a person can tell apart.
    seen = Counter(names.values())
    ids = {int(lb[5:]) for lb in labels if lb.startswith("user:") and lb[5:].isdigit() and seen[names[lb]] > 1}
    emails = {u.id: u.email for u in session.exec(select(User).where(User.id.in_(ids)))} if ids else {}
    for lb in labels:
        if lb.startswith("user:") and lb[5:].isdigit() and int(lb[5:]) in emails:
            names[lb] = f"{names[lb]} ({emails[int(lb[5:])]})"
    actors = sorted(({"value": lb, "label": names[lb]} for lb in labels), key=lambda a: a["label"].lower())
    return {"entities": entities, "actions": actions, "actors": actors}


CSV_HEADER = ["When", "Time zone", "Who", "Actor (stored)", "Action", "Record", "Record id", "Field", "Before", "After"]


def audit_csv(session: Session, filters: AuditFilters) -> str:
    """The filtered log as CSV, one line per changed field (a row without changes: one
    line with an empty field). Every cell goes through `safe_cell`: values come from the
    public lead form and from imports (CSV injection)."""
    rows = session.exec(
        _filtered(session, select(AuditLog), filters).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(MAX_EXPORT)
    ).all()
    names = actor_names(session, {r.actor for r in rows})
    tz = _tz(session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        head = [
            format_local(r.at, tz, "%Y-%m-%d %H:%M:%S"),
            tz,
            names.get(r.actor, r.actor),
            r.actor,
            r.action,
            r.entity,
            "" if r.entity_id is None else r.entity_id,
        ]
        for field, before, after in changes(r.before, r.after) or [("", "", "")]:
            writer.writerow([safe_cell(v) for v in [*head, field, before, after]])
    return out.getvalue()
