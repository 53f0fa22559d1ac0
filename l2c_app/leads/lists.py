"""The lead list: filters, sorts, rows, the CSV export and the API's view of a lead."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.models import User
from l2c_app.core.timeutil import utcnow
from l2c_app.leads.common import OPEN_STATUSES
from l2c_app.leads.models import Lead

# --- lists ---------------------------------------------------------------------------------------

SORTS = {
    "created": Lead.created_at,
    "name": Lead.name,
    "email": Lead.email,
    "company": Lead.company,
    "status": Lead.status,
    "source": Lead.source,
}
AGES = {"1d": 1, "7d": 7, "30d": 30, "90d": 90}


def _filtered(
    stmt,
    *,
    q: str = "",
    status: str = "",
    owner_id: int | None = None,
    source: str = "",
    age: str = "",
    email: str = "",
):
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Lead.name).like(like), Lead.email.like(like), func.lower(Lead.company).like(like))
        )
    if status == "open":
        stmt = stmt.where(Lead.status.in_(OPEN_STATUSES))
    elif status == "duplicates":
        stmt = stmt.where(
            Lead.status.in_(OPEN_STATUSES),
            or_(Lead.duplicate_of_lead_id.is_not(None), Lead.duplicate_of_contact_id.is_not(None)),
        )
    elif status:
        stmt = stmt.where(Lead.status == status)
    if owner_id:
        stmt = stmt.where(Lead.owner_id == owner_id)
    if source:
        stmt = stmt.where(Lead.source == source)
    if email:
        stmt = stmt.where(Lead.email == email.strip().lower())
    if age in AGES:
        stmt = stmt.where(Lead.created_at >= utcnow() - timedelta(days=AGES[age]))
    return stmt


@dataclass
class LeadRow:
    """A lead of /leads (typed; the page reads `row["name"]`, which compiles as `row.name` does).
    `lead_row`'s keys in its order and value types, so the state's JSON is the dict's; the
    detail dialog and the CSV export keep the dict."""

    id: int
    name: str
    email: str
    company: str
    phone: str
    source: str
    status: str
    owner: str
    owner_email: str
    created: str
    message: str
    duplicate_of_lead_id: int
    duplicate_of_contact_id: int
    duplicate: str
    deal_id: int
    reason: str


def lead_row(lead: Lead, owners: dict[int, User], tz: str = "UTC") -> dict:
    from l2c_app.core.timeutil import format_local

    owner = owners.get(lead.owner_id) if lead.owner_id else None
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "company": lead.company or "",
        "phone": lead.phone or "",
        "source": lead.source,
        "status": lead.status,
        "owner": owner.name if owner else "",
        "owner_email": owner.email if owner else "",
        "created": format_local(lead.created_at, tz),
        "message": lead.message or "",
        "duplicate_of_lead_id": lead.duplicate_of_lead_id or 0,
        "duplicate_of_contact_id": lead.duplicate_of_contact_id or 0,
        "duplicate": "duplicate" if (lead.duplicate_of_lead_id or lead.duplicate_of_contact_id) else "",
        "deal_id": lead.deal_id or 0,
        "reason": lead.disqualify_reason or "",
    }


def list_leads(
    session: Session,
    *,
    q: str = "",
    status: str = "",
    owner_id: int | None = None,
    source: str = "",
    age: str = "",
    sort: str = "created",
    desc: bool = True,
    page: int = 1,
    per_page: int = 50,
    tz: str = "UTC",
) -> dict:
    """One page of the filtered, sorted list and the total count (indexes keep both quick at 50,000 leads)."""
    filters = dict(q=q, status=status, owner_id=owner_id, source=source, age=age)
    total = session.exec(_filtered(select(func.count()).select_from(Lead), **filters)).one()
    col = SORTS.get(sort, Lead.created_at)
    order = [col.desc() if desc else col.asc(), Lead.id.desc() if desc else Lead.id.asc()]
    page = max(1, page)
    rows = session.exec(
        _filtered(select(Lead), **filters).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    ).all()
    owners = {u.id: u for u in session.exec(select(User))}
    return {"rows": [LeadRow(**lead_row(r, owners, tz)) for r in rows], "total": total}


def export_csv(session: Session, **filters) -> str:
    """The whole filtered list as CSV (streamed from the database in chunks)."""
    owners = {u.id: u for u in session.exec(select(User))}
    out = io.StringIO()
    cols = [
        "id",
        "name",
        "email",
        "company",
        "phone",
        "source",
        "status",
        "owner_email",
        "created",
        "message",
        "duplicate_of_lead_id",
        "duplicate_of_contact_id",
        "deal_id",
        "reason",
    ]
    writer = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    stmt = _filtered(select(Lead), **{k: v for k, v in filters.items() if k not in ("sort", "desc")})
    for lead in session.exec(stmt.order_by(Lead.id).execution_options(yield_per=1000)):
        row = lead_row(lead, owners)
        # Neutralise spreadsheet formulas from untrusted input (CSV injection).
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue()


def sources(session: Session) -> list[str]:
    return sorted(s for s in session.exec(select(Lead.source).distinct()) if s)


def lead_api_json(session: Session, lead: Lead) -> dict:
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "company": lead.company,
        "phone": lead.phone,
        "message": lead.message,
        "source": lead.source,
        "utm_source": lead.utm_source,
        "utm_medium": lead.utm_medium,
        "utm_campaign": lead.utm_campaign,
        "status": lead.status,
        "owner_id": lead.owner_id,
        "owner_email": owner.email if owner else None,
        "consent": lead.consent,
        "duplicate_of_lead_id": lead.duplicate_of_lead_id,
        "duplicate_of_contact_id": lead.duplicate_of_contact_id,
        "deal_id": lead.deal_id,
        "disqualify_reason": lead.disqualify_reason,
        "created_at": lead.created_at.isoformat(),
    }
