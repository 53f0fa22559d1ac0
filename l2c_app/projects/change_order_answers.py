"""The client's answer to a change order: by its public token, or DocuSign's envelope status
(and the re-poll of stalled envelopes). Approving raises the budget and makes it billable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.models import Organisation
from l2c_app.core.notify import notify
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import ChangeOrderApproved
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.projects.change_order_sending import _docusign_signer
from l2c_app.projects.change_orders import _change_order, change_order_total
from l2c_app.projects.common import DeliveryError, NotFound, _project
from l2c_app.projects.models import BudgetLine, ChangeOrder, Project


def change_order_by_token(session: Session, token: str) -> ChangeOrder | None:
    if not plausible_token(token, 64):
        return None
    return session.exec(select(ChangeOrder).where(ChangeOrder.public_token == token)).first()


def public_change_order(session: Session, token: str) -> dict | None:
    """What the client sees on /co/<token>: nothing beyond this one change order."""
    from l2c_app.pipeline.models import Account

    co = change_order_by_token(session, token)
    if co is None:
        return None
    project = session.get(Project, co.project_id)
    account = session.get(Account, project.account_id) if project and project.account_id else None
    org = session.exec(select(Organisation)).first()
    return {
        "number": co.number,
        "description": co.description,
        "kind": co.kind,
        "amount_minor": co.amount_minor,
        "tax_percent": f"{Decimal(co.tax_percent or 0).normalize():f}",
        "tax_inclusive": bool(co.tax_inclusive),
        "tax_minor": co.tax_minor,
        "total_minor": change_order_total(co),
        "minutes": co.minutes,
        "rate_minor": co.rate_minor,
        "role": co.role or "",
        "status": co.status,
        "currency": project.currency if project else "EUR",
        "project_name": project.name if project else "",
        "client": account.name if account else "",
        "org_name": org.name if org else "",
        "approved_name": co.approved_name or "",
        "provider": co.provider,
        "approved_at": co.approved_at.isoformat() if co.approved_at else "",
    }


def approve_change_order(
    session: Session, actor: Actor, change_order_id: int, typed_name: str, ip: str | None = None
) -> ChangeOrder:
    """The client's approval (typed name): the budget rises and the change becomes billable."""
    co = _change_order(session, change_order_id)
    name = (typed_name or "").strip()
    if co.status not in ("draft", "sent"):
        raise DeliveryError(f"Change order #{co.number} is already {co.status}.", kind="conflict")
    if len(name) < 2:
        raise DeliveryError("Type your full name to approve.", field="name")
    before = snapshot(co)
    co.status, co.approved_name, co.approved_at, co.approved_ip = "approved", name[:200], utcnow(), ip
    session.add(co)
    record_update(session, actor, co, before, action="approved")
    project = _project(session, co.project_id)
    if co.kind == "hours":
        bl = BudgetLine(
            project_id=project.id,
            change_order_id=co.id,
            role=co.role or f"Change order #{co.number}",
            budget_minutes=co.minutes,
            rate_minor=co.rate_minor,
            amount_minor=co.amount_minor,
            tax_rate_id=co.tax_rate_id,
        )
        session.add(bl)
        record_create(session, actor, bl)
    add_deal_event(session, project.deal_id, f"Change order #{co.number} approved by {name}", user_id=actor.user_id)
    notify(
        session,
        project.lead_user_id,
        "change_order_approved",
        f"Change order #{co.number} on “{project.name}” was approved by {name}.",
        f"/projects/{project.id}",
    )
    emit(
        session,
        "change_order.approved",
        ChangeOrderApproved(
            change_order_id=co.id, project_id=project.id, amount_minor=co.amount_minor, currency=project.currency
        ),
    )
    return co


def decline_change_order(session: Session, actor: Actor, change_order_id: int, reason: str = "") -> ChangeOrder:
    co = _change_order(session, change_order_id)
    if co.status not in ("draft", "sent"):
        raise DeliveryError(f"Change order #{co.number} is already {co.status}.", kind="conflict")
    before = snapshot(co)
    co.status = "declined"
    session.add(co)
    record_update(session, actor, co, before, action="declined")
    project = _project(session, co.project_id)
    add_deal_event(
        session,
        project.deal_id,
        f"Change order #{co.number} declined",
        (reason or "").strip()[:500] or None,
        user_id=actor.user_id,
    )
    notify(
        session,
        project.lead_user_id,
        "change_order_declined",
        f"Change order #{co.number} on “{project.name}” was declined.",
        f"/projects/{project.id}",
    )
    return co


def change_order_for_envelope(session: Session, envelope_id: str, change_order_id: int | None) -> ChangeOrder | None:
    """The change order a DocuSign envelope belongs to: by envelope id, else (our send crashed
    after DocuSign accepted it) by the signed custom field, adopting the envelope only when that
    change order has none."""
    co = session.exec(select(ChangeOrder).where(ChangeOrder.envelope_id == envelope_id).with_for_update()).first()
    if co is None and change_order_id:
        candidate = session.exec(select(ChangeOrder).where(ChangeOrder.id == change_order_id).with_for_update()).first()
        if candidate is not None and candidate.envelope_id is None and candidate.status in ("draft", "sent"):
            candidate.provider, candidate.envelope_id = "docusign", envelope_id
            co = candidate
    return co


def apply_envelope_status(
    session: Session,
    co: ChangeOrder,
    status: str,
    signer_name: str | None = None,
    source: str = "docusign",
    reason: str = "",
) -> bool:
    """A DocuSign envelope status reaching a change order, forward-only: `completed` approves it
    (the same approval as the public link), `declined`/`voided` decline it; anything else, or a
    change order already decided, changes nothing. Returns whether it changed."""
    if co.status not in ("draft", "sent"):
        return False
    actor = Actor("webhook" if source == "docusign" else "system", None, source)
    if status == "completed":
        name = (signer_name or "").strip()
        if len(name) < 2:  # the payload lacks the signer: the contract's signer signed it
            signer = _docusign_signer(session, _project(session, co.project_id))
            name = signer.name if signer is not None else "DocuSign signer"
        approve_change_order(session, actor, co.id, name)
        return True
    if status in ("declined", "voided"):
        decline_change_order(session, actor, co.id, reason or f"{status} in DocuSign")
        return True
    return False


def stalled_change_orders(session: Session, hours: int = 24) -> list[ChangeOrder]:
    """DocuSign change orders still out for signature `hours` after they were created."""
    cutoff = utcnow() - timedelta(hours=hours)
    rows = session.exec(
        select(ChangeOrder).where(
            ChangeOrder.provider == "docusign", ChangeOrder.status == "sent", ChangeOrder.envelope_id.is_not(None)
        )
    ).all()  # type: ignore[union-attr]
    return [c for c in rows if _utc(c.created_at) <= cutoff]


def _utc(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def repoll_change_orders(session: Session, client, hours: int = 24) -> list[tuple[int, str]]:
    """Ask DocuSign about change-order envelopes (a lost Connect message leaves nothing stuck)."""
    out = []
    for co in stalled_change_orders(session, hours):
        status = client.status(co.envelope_id)  # client: a signature provider (ports/signatures.py)
        changed = apply_envelope_status(session, co, status, source="docusign:repoll")
        out.append((co.id, status if changed else f"{status} (unchanged)"))
    return out


def approve_change_order_by_token(session: Session, token: str, typed_name: str, ip: str | None = None) -> ChangeOrder:
    co = change_order_by_token(session, token)
    if co is None:
        raise NotFound("Change order")
    if co.provider == "docusign" and co.status == "sent":  # one way to decide: DocuSign's envelope
        raise DeliveryError(
            "This change order is out for signature in DocuSign: please use DocuSign's e-mail.", kind="conflict"
        )
    return approve_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, typed_name, ip)


def decline_change_order_by_token(session: Session, token: str, reason: str = "") -> ChangeOrder:
    co = change_order_by_token(session, token)
    if co is None:
        raise NotFound("Change order")
    if co.provider == "docusign" and co.status == "sent":  # one way to decide: DocuSign's envelope
        raise DeliveryError(
            "This change order is out for signature in DocuSign: please use DocuSign's e-mail.", kind="conflict"
        )
    return decline_change_order(session, Actor("client", None, f"co:{co.id}"), co.id, reason)
