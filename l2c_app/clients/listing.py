"""The Clients list: search over name, domain and contacts, filters, sort, and its CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from l2c_app.clients.common import default_currency
from l2c_app.clients.summary import open_by_account
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.errors import DomainError
from l2c_app.core.models import User
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.models import Account, Contact
from l2c_app.projects.models import Project

SORTS = ("name", "newest", "open_balance")


def list_clients(
    session: Session,
    *,
    q: str = "",
    has_open_balance: bool = False,
    has_active_project: bool = False,
    owner_id: int | None = None,
    sort: str = "name",
) -> list[dict[str, Any]]:
    """Clients matching the search (name, domain, a contact's name or e-mail) and the filters."""
    if sort not in SORTS:
        raise DomainError(f"Sort by one of {', '.join(SORTS)}.", "sort")
    stmt = select(Account)
    q = (q or "").strip().lower()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(
                func.lower(Account.name).like(like),
                func.lower(Account.domain).like(like),
                Account.id.in_(
                    select(Contact.account_id).where(
                        or_(func.lower(Contact.name).like(like), func.lower(Contact.email).like(like))
                    )
                ),
            )
        )
    if owner_id:
        stmt = stmt.where(Account.owner_id == owner_id)
    if has_active_project:
        stmt = stmt.where(Account.id.in_(select(Project.account_id).where(Project.status == "active")))
    accounts = list(session.exec(stmt))
    today = org_today(session)
    opens = open_by_account(session, today, [a.id for a in accounts]) if accounts else {}
    owners = {u.id: u.name for u in session.exec(select(User))}
    active = {
        int(i)
        for i in session.execute(
            select(Project.account_id).where(Project.status == "active", Project.account_id.is_not(None))
        ).scalars()
    }
    rows = []
    for a in accounts:
        cur = default_currency(session, a)
        per = opens.get(a.id, {})
        open_minor = sum(v["open"] for v in per.values())
        if has_open_balance and open_minor <= 0:
            continue
        mine = per.get(cur, {"open": 0, "overdue": 0})
        others = {c: v for c, v in per.items() if c != cur and v["open"]}
        rows.append(
            {
                "id": a.id,
                "name": a.name,
                "domain": a.domain or "",
                "owner_id": a.owner_id,
                "owner": owners.get(a.owner_id, "") if a.owner_id else "",
                "currency": cur,
                "open_minor": mine["open"],
                "overdue_minor": mine["overdue"],
                "open_other": {c: v["open"] for c, v in others.items()},
                "has_active_project": a.id in active,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }
        )
    if sort == "name":
        rows.sort(key=lambda r: (r["name"].lower(), r["id"]))
    elif sort == "newest":
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    else:
        rows.sort(key=lambda r: (-r["open_minor"], r["name"].lower()))
    return rows


def clients_csv(session: Session, **filters) -> str:
    """The list as CSV; every text cell through `core.csvsafe.safe_cell` (CSV injection)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "name", "domain", "owner", "currency", "open_balance", "overdue", "active_project"])
    for r in list_clients(session, **filters):
        w.writerow(
            [
                r["id"],
                safe_cell(r["name"]),
                safe_cell(r["domain"]),
                safe_cell(r["owner"]),
                r["currency"],
                _decimal(r["open_minor"]),
                _decimal(r["overdue_minor"]),
                "yes" if r["has_active_project"] else "no",
            ]
        )
    return buf.getvalue()


def _decimal(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"
