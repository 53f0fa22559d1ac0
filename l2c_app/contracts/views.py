"""Read models of contracts for the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.contracts import merge
from l2c_app.contracts.models import Contract
from l2c_app.contracts.records import _get, signers_of
from l2c_app.core import formats
from l2c_app.pipeline.models import Deal
from l2c_app.quotes.models import Quote

# --- read models for pages and the API ----------------------------------------------------------


def contract_json(session: Session, c: Contract) -> dict:
    return {
        "id": c.id,
        "deal_id": c.deal_id,
        "quote_id": c.quote_id,
        "title": c.title,
        "status": c.status,
        "provider": c.provider,
        "envelope_id": c.envelope_id,
        "original_sha256": c.original_sha256,
        "signed_sha256": c.signed_sha256,
        "sent_at": c.sent_at.isoformat() if c.sent_at else None,
        "completed_at": c.completed_at.isoformat() if c.completed_at else None,
        "void_reason": c.void_reason,
        "declined_reason": c.declined_reason,
        "created_at": c.created_at.isoformat(),
        "signers": [
            {
                "id": s.id,
                "kind": s.kind,
                "routing_order": s.routing_order,
                "name": s.name,
                "email": s.email,
                "status": s.status,
                "signed_at": s.signed_at.isoformat() if s.signed_at else None,
            }
            for s in signers_of(session, c.id)
        ],
    }


@dataclass
class ContractRow:
    """A contract of /contracts and a deal's contracts card (typed; the pages read `r["title"]`,
    which compiles as `r.title` does). Fields in the old dict's order: the same JSON."""

    id: int
    title: str
    status: str
    provider: str
    deal: str
    deal_id: int
    created: str
    signed: bool
    sent: str


def list_contracts(session: Session, deal_id: int | None = None, status: str | None = None) -> list[ContractRow]:
    stmt = select(Contract, Deal).join(Deal, Deal.id == Contract.deal_id).order_by(Contract.id.desc())
    if deal_id:
        stmt = stmt.where(Contract.deal_id == deal_id)
    if status:
        stmt = stmt.where(Contract.status == status)
    return [
        ContractRow(
            id=c.id,
            title=c.title,
            status=c.status,
            provider=c.provider,
            deal=d.title,
            deal_id=d.id,
            created=formats.day(c.created_at),
            signed=bool(c.signed_document_id),
            sent=formats.day(c.sent_at) if c.sent_at else "",
        )
        for c, d in session.exec(stmt).all()
    ]


def acceptable_quotes(session: Session, deal_id: int | None = None) -> list[dict]:
    """Accepted quotes (newest first) to make a contract from, with whether one exists already."""
    stmt = select(Quote, Deal).join(Deal, Deal.id == Quote.deal_id).where(Quote.status == "accepted")
    if deal_id:
        stmt = stmt.where(Quote.deal_id == deal_id)
    from l2c_app.quotes.service import quote_label

    used = {qid for qid in session.exec(select(Contract.quote_id).where(Contract.status != "voided")) if qid}
    return [
        {"id": q.id, "label": f"{d.title} · {quote_label(q)} · {q.title}", "has_contract": q.id in used}
        for q, d in session.exec(stmt.order_by(Quote.id.desc())).all()
    ]


def count_by_status(session: Session) -> dict[str, int]:
    return dict(session.exec(select(Contract.status, func.count()).group_by(Contract.status)).all())


def contract_detail(session: Session, contract_id: int) -> dict:
    c = _get(session, contract_id)
    from l2c_app.core.audit import history

    deal = session.get(Deal, c.deal_id)
    tz = formats.org_zone(session)
    data = contract_json(session, c)
    data.update(
        {
            "body": c.body,
            "deal": deal.title if deal else "",
            "trail": list(c.audit_trail),
            "unknown": merge.unknown_fields(c.body),
            "audit": [
                {"at": formats.moment(a.at, tz), "actor": a.actor, "action": a.action, "entity": a.entity}
                for a in history(session, "contract", c.id)
            ],
        }
    )
    return data


def _as_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
