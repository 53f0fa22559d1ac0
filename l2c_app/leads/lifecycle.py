"""A lead's transitions: qualify, disqualify, convert (to account, contact and deal), merge, assign."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.auth import can
from l2c_app.core.models import User
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import LeadAssigned
from l2c_app.leads.common import OPEN_STATUSES, LeadError
from l2c_app.leads.models import Lead
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Account, Activity, Contact, Deal
from l2c_app.pipeline.timeline import add_deal_event

# --- transitions ----------------------------------------------------------------------------------


def get_lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadError("No such lead.", kind="not_found")
    return lead


def qualify(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = get_lead(session, lead_id)
    if lead.status not in ("new", "disqualified"):
        raise LeadError(f"A {lead.status} lead cannot be qualified.", kind="conflict")
    before = snapshot(lead)
    lead.status, lead.disqualify_reason = "qualified", None
    record_update(session, actor, lead, before, action="qualify")
    return lead


def disqualify(session: Session, actor: Actor, lead_id: int, reason: str) -> Lead:
    lead = get_lead(session, lead_id)
    reason = (reason or "").strip()
    if not reason:
        raise LeadError({"reason": "say why the lead is disqualified"})
    if lead.status not in OPEN_STATUSES:
        raise LeadError(f"A {lead.status} lead cannot be disqualified.", kind="conflict")
    before = snapshot(lead)
    lead.status, lead.disqualify_reason = "disqualified", reason[:500]
    record_update(session, actor, lead, before, action="disqualify")
    return lead


def convert(
    session: Session, actor: Actor, lead_id: int, *, value_minor: int = 0, title: str | None = None, via: str = "ui"
) -> Deal:
    """Account (found by domain or name, else created) + Contact (by e-mail, else created) + Deal in the
    first open stage, carrying every field of the lead; the lead's own activities move to the deal."""
    lead = get_lead(session, lead_id)
    if lead.status == "converted" and lead.deal_id:
        raise LeadError(f"This lead is already converted (deal #{lead.deal_id}).", kind="conflict")
    if lead.status not in OPEN_STATUSES:
        raise LeadError(f"A {lead.status} lead cannot be converted.", kind="conflict")
    account = None
    contact = session.exec(select(Contact).where(func.lower(Contact.email) == lead.email.lower())).first()
    if contact is not None and contact.account_id:
        account = session.get(Account, contact.account_id)
    if account is None and lead.email_domain:
        account = session.exec(select(Account).where(func.lower(Account.domain) == lead.email_domain)).first()
    if account is None and lead.company:
        account = session.exec(select(Account).where(func.lower(Account.name) == lead.company.lower())).first()
    if account is None:
        account = Account(
            name=lead.company or lead.name, domain=lead.email_domain, phone=lead.phone, owner_id=lead.owner_id
        )
        session.add(account)
        record_create(session, actor, account)
    if contact is None:
        contact = Contact(account_id=account.id, name=lead.name, email=lead.email, phone=lead.phone)
        session.add(contact)
        record_create(session, actor, contact)
    elif contact.account_id is None:
        contact.account_id = account.id
    utm = ", ".join(
        f"{k}={v}"
        for k, v in (
            ("utm_source", lead.utm_source),
            ("utm_medium", lead.utm_medium),
            ("utm_campaign", lead.utm_campaign),
        )
        if v
    )
    description = "\n\n".join(p for p in (lead.message, f"Campaign: {utm}" if utm else None) if p) or None
    deal = pipeline.create_deal(
        session,
        actor,
        title=title or (lead.company or lead.name),
        value_minor=value_minor,
        account_id=account.id,
        contact_id=contact.id,
        owner_id=lead.owner_id or actor.user_id,
        source=lead.source,
        description=description,
        lead_id=lead.id,
        via=via,
    )
    for act in session.exec(select(Activity).where(Activity.lead_id == lead.id)):
        act.deal_id = deal.id
    before = snapshot(lead)
    lead.status, lead.deal_id, lead.converted_at = "converted", deal.id, utcnow()
    record_update(session, actor, lead, before, action="convert")
    add_deal_event(session, deal.id, f"Converted from lead {lead.name} <{lead.email}>", user_id=actor.user_id)
    return deal


MERGE_FIELDS = ("company", "phone", "utm_source", "utm_medium", "utm_campaign")


def merge(session: Session, actor: Actor, primary_id: int, duplicate_id: int) -> Lead:
    """Fold a duplicate into the primary lead: empty fields filled, messages kept, activities moved."""
    if primary_id == duplicate_id:
        raise LeadError("Pick two different leads to merge.")
    primary, dup = get_lead(session, primary_id), get_lead(session, duplicate_id)
    if dup.status in ("converted", "merged"):
        raise LeadError(f"Lead #{dup.id} is {dup.status} and cannot be merged.", kind="conflict")
    if primary.status in ("merged",):
        raise LeadError(f"Lead #{primary.id} is merged into another lead.", kind="conflict")
    before_p, before_d = snapshot(primary), snapshot(dup)
    for f in MERGE_FIELDS:
        if not getattr(primary, f) and getattr(dup, f):
            setattr(primary, f, getattr(dup, f))
    if dup.message and dup.message != primary.message:
        primary.message = "\n\n".join(m for m in (primary.message, f"[from lead #{dup.id}] {dup.message}") if m)
    primary.consent = primary.consent or dup.consent
    for act in session.exec(select(Activity).where(Activity.lead_id == dup.id)):
        act.lead_id = primary.id
    for other in session.exec(select(Lead).where(Lead.duplicate_of_lead_id == dup.id)):
        other.duplicate_of_lead_id = primary.id
    dup.status, dup.duplicate_of_lead_id = "merged", primary.id
    session.add(
        Activity(
            lead_id=primary.id,
            user_id=actor.user_id,
            kind="system",
            subject=f"Merged lead #{dup.id} ({dup.email})",
            done_at=utcnow(),
        )
    )
    record_update(session, actor, primary, before_p, action="merge")
    record_update(session, actor, dup, before_d, action="merged")
    return primary


def assign(session: Session, actor: Actor, lead_id: int, owner_id: int) -> Lead:
    lead = get_lead(session, lead_id)
    user = session.get(User, owner_id)
    if user is None or not user.is_active or not can(user.role, "leads"):
        raise LeadError({"owner_id": "no active team member with access to leads has this id"})
    if lead.owner_id == user.id:
        return lead
    before = snapshot(lead)
    lead.owner_id = user.id
    record_update(session, actor, lead, before, action="assign")
    emit(
        session,
        "lead.assigned",
        LeadAssigned(lead_id=lead.id, owner_id=user.id, previous_owner_id=before.get("owner_id")),
    )
    notify(session, user.id, "lead_assigned", f"Lead handed to you: {lead.name}", link=f"/leads?lead={lead.id}")
    return lead
