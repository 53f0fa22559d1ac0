"""Use cases of lead capture: capture (validation, honeypot, dedupe, assignment, notification),
qualify / disqualify / convert, merge duplicates, the leads list, settings. No Reflex import.

Threat model of `capture`: its input comes from anyone on the internet (the public form and
`POST /api/v1/leads` without a key). Every field is length-checked and stored as plain text
(never rendered as HTML); a filled honeypot is answered like a success and stores nothing, so
bots learn nothing; only an API key (a trusted server) may set the owner, the source and UTM
fields; the routes limit public posts per IP before capture (leads/rate_limit.py: every post
counts, in Redis when REDIS_URL is set so the limit holds across workers).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, text, union_all
from sqlmodel import Session, col, select

from l2c_app.core.audit import SYSTEM, Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.auth import can, get_organisation
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.errors import DomainError, Kind
from l2c_app.core.models import User
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import LeadAssigned, LeadCreated
from l2c_app.leads import write_gate
from l2c_app.leads.models import Lead
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Account, Activity, Contact, Deal
from l2c_app.pipeline.timeline import add_deal_event

OPEN_STATUSES = ("new", "qualified")
STATUSES = ("new", "qualified", "disqualified", "converted", "merged")
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "hotmail.com", "hotmail.fr", "outlook.com", "live.com",
    "msn.com", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com",
    "mail.com", "yandex.ru", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "t-online.de",
})
DEFAULT_CONSENT = "I agree that {org} stores my details to answer my request."
DEFAULT_RATE_LIMIT = 10  # stored public leads per IP per minute
LIMITS = {"name": 200, "email": 320, "company": 200, "phone": 50, "message": 10_000, "source": 100,
          "utm_source": 100, "utm_medium": 100, "utm_campaign": 100}


class LeadError(DomainError):
    """Bad input; `errors` maps each bad field to what is wrong with it ("detail": not one field)."""

    def __init__(self, errors: dict[str, str] | str, *, kind: Kind | None = None):
        if isinstance(errors, str):
            errors = {"detail": errors}
        self.errors = errors
        fields = [k for k in errors if k != "detail"]
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()) if fields else errors["detail"],
                         fields[0] if len(fields) == 1 else None, kind=kind)

    def as_json(self) -> dict:
        fields = {k: v for k, v in self.errors.items() if k != "detail"}
        if not fields:
            return super().as_json()
        # Per-field errors keep the list shape of FastAPI's own validation errors.
        return {"detail": [{"loc": ["body", k], "field": k, "msg": v} for k, v in self.errors.items()],
                "error": {**self.error_json(), "errors": self.errors}}


@dataclass
class CaptureResult:
    lead: Lead | None  # None when the honeypot caught a bot
    duplicate: bool = False
    notes: list[str] = field(default_factory=list)


# --- settings ----------------------------------------------------------------------------------

def lead_settings(session: Session) -> dict:
    org = get_organisation(session)
    raw = dict(((org.settings or {}).get("leads") or {}) if org else {})
    raw.setdefault("mode", "round_robin")  # round_robin, by_source, owner
    raw.setdefault("users", [])  # user ids of the round-robin
    raw.setdefault("by_source", {})  # source -> user id
    raw.setdefault("consent_text", DEFAULT_CONSENT.format(org=org.name if org else "us"))
    raw.setdefault("rate_limit_per_minute", DEFAULT_RATE_LIMIT)
    if org is not None:
        raw["org_id"] = org.id
    return raw


def save_lead_settings(session: Session, actor: Actor, *, mode: str, users: list[int],
                       by_source: dict[str, int], consent_text: str,
                       rate_limit_per_minute: int | None = None) -> dict:
    org = get_organisation(session)
    if org is None:
        raise LeadError("l2c is not set up yet.")
    errors: dict[str, str] = {}
    if mode not in ("round_robin", "by_source", "owner"):
        errors["mode"] = "one of round_robin, by_source, owner"
    # Only people who may open the Leads page can own leads.
    active = {u.id for u in session.exec(select(User).where(User.is_active)) if can(u.role, "leads")}
    users = [int(u) for u in users]
    if any(u not in active for u in users):
        errors["users"] = "only active team members with access to leads can receive leads"
    clean_sources: dict[str, int] = {}
    for src, uid in (by_source or {}).items():
        src = str(src).strip().lower()
        if not src:
            continue
        if int(uid) not in active:
            errors["by_source"] = f"source {src}: not an active team member with access to leads"
        clean_sources[src] = int(uid)
    consent_text = (consent_text or "").strip()
    if not consent_text:
        errors["consent_text"] = "enter the text people agree to"
    elif len(consent_text) > 1000:
        errors["consent_text"] = "at most 1000 characters"
    limit = DEFAULT_RATE_LIMIT if rate_limit_per_minute is None else rate_limit_per_minute
    try:
        limit = int(limit)
        if limit < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["rate_limit_per_minute"] = "a whole number of at least 1"
    if errors:
        raise LeadError(errors)
    before = snapshot(org)
    settings = dict(org.settings or {})
    settings["leads"] = {"mode": mode, "users": users, "by_source": clean_sources, "consent_text": consent_text,
                         "rate_limit_per_minute": limit}
    org.settings = settings
    record_update(session, actor, org, before)
    return settings["leads"]


def public_form_info(session: Session) -> dict:
    org = get_organisation(session)
    return {"org_name": org.name if org else "l2c", "consent_text": lead_settings(session)["consent_text"]}


# --- validation ---------------------------------------------------------------------------------

def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        return "\0invalid"
    return str(value).strip()


def email_domain(email: str) -> str | None:
    domain = email.rpartition("@")[2].lower()
    return None if not domain or domain in FREE_MAIL else domain


def validate(data: dict[str, Any], trusted: bool) -> dict[str, Any]:
    """Clean input or LeadError naming every bad field at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    allowed = ["name", "email", "company", "phone", "message"]
    if trusted:
        allowed += ["source", "utm_source", "utm_medium", "utm_campaign"]
    for key in allowed:
        value = _text(data, key)
        if value == "\0invalid":
            errors[key] = "must be text"
            continue
        if len(value) > LIMITS[key]:
            errors[key] = f"at most {LIMITS[key]} characters"
        clean[key] = value or None
    if not clean.get("name"):
        errors.setdefault("name", "enter a name")
    email = (clean.get("email") or "").lower()
    local, _, domain = email.partition("@")
    if not email:
        errors.setdefault("email", "enter an e-mail address")
    elif not local or "." not in domain or " " in email or domain.startswith(".") or domain.endswith("."):
        errors.setdefault("email", "not a valid e-mail address, like name@company.com")
    clean["email"] = email
    phone = clean.get("phone")
    if phone and not all(c.isdigit() or c in "+-() ./" for c in phone):
        errors.setdefault("phone", "digits, spaces and + - ( ) only")
    consent = data.get("consent")
    clean["consent"] = str(consent).lower() in ("1", "true", "on", "yes") if consent is not None else False
    if trusted and data.get("owner_email"):
        clean["owner_email"] = _text(data, "owner_email").lower()
    elif data.get("owner_email") and not trusted:
        errors["owner_email"] = "only an API key may choose the owner"
    if not trusted:
        for key in ("source", "utm_source", "utm_medium", "utm_campaign"):
            if data.get(key):
                errors[key] = "only an API key may set this field"
    if clean.get("source"):
        clean["source"] = clean["source"].lower()
    if errors:
        raise LeadError(errors)
    return clean


# --- assignment ---------------------------------------------------------------------------------

def org_owner(session: Session) -> User | None:
    return session.exec(select(User).where(User.role == "owner", User.is_active).order_by(User.id)).first()


@functools.cache
def _last_owner_statement(size: int) -> Any:
    """The owner of the newest lead given to one of `size` users: max(id) per user is one index
    lookup each (an IN with ORDER BY id sorts all their leads on SQLite, growing with the table)."""
    per_user = [select(func.max(col(Lead.id)).label("m")).where(col(Lead.owner_id) == bindparam(f"u{i}"))
                for i in range(size)]
    maxes = (union_all(*per_user) if size > 1 else per_user[0]).subquery()
    return select(col(Lead.owner_id)).where(col(Lead.id) == select(func.max(maxes.c.m)).scalar_subquery())


def _context(session: Session, rules: dict | None = None) -> dict:
    """What stays the same across the captures of one transaction: the rules and the active people.

    One read of the organisation and one of the users per transaction (an import chunk shares
    it across its rows through `leads_import_cache`)."""
    cache = session.info.get("leads_import_cache")
    ctx = cache if cache is not None else {}
    if "rules" not in ctx:
        ctx["rules"] = rules if rules is not None else lead_settings(session)
    if "users" not in ctx:
        ctx["users"] = {u.id: u for u in session.exec(select(User).where(User.is_active).order_by(User.id))}
        ctx["active"] = {uid: u for uid, u in ctx["users"].items() if can(u.role, "leads")}
    return ctx


def choose_owner(session: Session, source: str, rules: dict | None = None, ctx: dict | None = None) -> User | None:
    """Who gets a new lead: by source, else round-robin among the chosen users, else the org owner.

    Round-robin is stateless: the next user after the owner of the latest lead given to one of
    them, so the rotation survives restarts and needs no counter row. That is one query: the
    newest lead of any of them, from one index lookup per user.
    """
    ctx = ctx if ctx is not None else _context(session, rules)
    rules = rules if rules is not None else ctx["rules"]
    active = ctx["active"]
    mode = rules.get("mode", "round_robin")
    if mode == "by_source":
        uid = (rules.get("by_source") or {}).get((source or "").lower())
        if uid is not None and int(uid) in active:
            return active[int(uid)]
    pool = [int(u) for u in rules.get("users") or [] if int(u) in active]
    if mode in ("round_robin", "by_source") and pool:
        if ctx.get("rr_last") in pool:
            last = ctx["rr_last"]
        else:
            last = session.execute(_last_owner_statement(len(pool)), {f"u{i}": u for i, u in enumerate(pool)}).scalar()
        nxt = pool[(pool.index(last) + 1) % len(pool)] if last in pool else pool[0]
        if "leads_import_cache" in session.info:  # within one chunk the rotation is known
            ctx["rr_last"] = nxt
        return active[nxt]
    owners = [u for u in ctx["users"].values() if u.role == "owner"]
    return min(owners, key=lambda u: u.id or 0) if owners else None


# --- dedupe -----------------------------------------------------------------------------------------

@functools.cache
def _dedupe_statements() -> tuple[Any, Any]:
    """The two dedupe queries, built once (building a UNION costs more than running it); bound per call."""
    def first_ids(table_id, cond, limit: int):
        sub = select(table_id.label("id")).where(cond).order_by(table_id).limit(limit).subquery()
        return select(sub.c.id)

    open_lead = col(Lead.status).in_(OPEN_STATUSES) & (col(Lead.id) != bindparam("exclude"))
    lead_ids = union_all(first_ids(col(Lead.id), open_lead & (col(Lead.email) == bindparam("email")), 10),
                         first_ids(col(Lead.id), open_lead & (col(Lead.email_domain) == bindparam("domain")), 10))
    leads = select(Lead).where(col(Lead.id).in_(lead_ids)).order_by(col(Lead.id))
    account = (select(col(Account.id)).where(col(Account.domain) == bindparam("domain")).order_by(col(Account.id))
               .limit(1).scalar_subquery())
    contact_ids = union_all(first_ids(col(Contact.id), col(Contact.email) == bindparam("email"), 1),
                            first_ids(col(Contact.id), col(Contact.account_id) == account, 1))
    contacts = select(Contact).where(col(Contact.id).in_(contact_ids)).order_by(col(Contact.id))
    return leads, contacts


def find_duplicate(session: Session, email: str, domain: str | None,
                   exclude_id: int | None = None) -> tuple[Lead | None, Contact | None]:
    """An open lead or a contact with the same e-mail (case-insensitive), else the same company domain.

    Order: same e-mail on an open lead, same e-mail on a contact, same domain on an open lead,
    same domain on an account or a contact. The original is preferred over its own duplicates.
    Two queries at most: the open leads by e-mail or domain (a UNION of two indexed lookups: an
    OR across two columns scans the table), then, unless a lead has the e-mail, the contacts by
    e-mail or by the domain's account.
    """
    email = email.lower()
    leads_stmt, contacts_stmt = _dedupe_statements()
    leads = list(session.execute(leads_stmt, {"email": email, "domain": domain, "exclude": exclude_id or 0})
                 .scalars())

    def original(rows: list[Lead]) -> Lead | None:
        rows = sorted(rows, key=lambda ld: (ld.duplicate_of_lead_id is not None, ld.id))  # the original first
        return rows[0] if rows else None

    by_email = original([ld for ld in leads if ld.email == email])
    if by_email is not None:
        return by_email, None
    by_domain = original([ld for ld in leads if domain and ld.email_domain == domain])
    contacts = list(session.execute(contacts_stmt, {"email": email, "domain": None if by_domain else domain})
                    .scalars())
    mail_contact = next((c for c in contacts if c.email == email), None)
    if mail_contact is not None:
        return None, mail_contact
    if by_domain is not None:
        return by_domain, None
    return None, contacts[0] if contacts else None


# --- capture --------------------------------------------------------------------------------------

def _serialise_ip(session: Session, ip: str) -> None:
    """Hold a lock for this IP until the transaction ends, so counting and inserting are one step.

    Without it a burst of 60 concurrent posts all counted 9 and stored 15 against a limit of 10.
    PostgreSQL: a transaction-scoped advisory lock keyed by the IP (other IPs do not wait).
    SQLite: a write statement takes the database's write lock now rather than at the insert
    (writes are serialised there anyway; the count then sees every committed lead)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"lead-rate:{ip}"})
    else:
        session.execute(text("UPDATE organisation SET id = id WHERE id = -1"))


def rate_limited(session: Session, ip: str | None) -> int:
    """Seconds to wait before this IP may post another public lead (0 = go ahead), by the leads
    it stored in the last minute. The public routes count posts instead (leads/rate_limit.py).

    Call it in the transaction that then inserts the lead: it locks the IP until commit."""
    if not ip:
        return 0
    _serialise_ip(session, ip)
    limit = int(lead_settings(session).get("rate_limit_per_minute", DEFAULT_RATE_LIMIT))
    since = utcnow() - timedelta(minutes=1)
    count, first = session.exec(select(func.count(), func.min(Lead.created_at))
                                .where(Lead.ip == ip, Lead.created_at >= since)).one()
    if count < limit or first is None:
        return 0
    if first.tzinfo is None:
        first = first.replace(tzinfo=since.tzinfo)
    return max(1, int((first + timedelta(minutes=1) - utcnow()).total_seconds() + 0.999))


def capture(session: Session, data: dict[str, Any], *, trusted: bool = False, ip: str | None = None,
            actor: Actor = SYSTEM, notify_owner: bool = True, rules: dict | None = None) -> CaptureResult:
    """Store a lead from the public form, the API or an import. Raises LeadError naming each bad field.

    `rules`: the lead settings when the caller has read them already (the public routes read
    them for the rate limit). Reads first (settings, people, dedupe, rotation), then the writes:
    the lead, then its audit, activity, notification, e-mail and event in two flushes, so on
    SQLite the write lock is held only for the inserts."""
    if str(data.get("website") or data.get("hp") or "").strip():
        return CaptureResult(None)  # honeypot: a bot filled the hidden field
    clean = validate(data, trusted)
    ctx = _context(session, rules)
    owner: User | None = None
    if clean.get("owner_email"):
        owner = next((u for u in ctx["users"].values() if u.email == clean["owner_email"]), None)
        if owner is None or not can(owner.role, "leads"):
            raise LeadError({"owner_email": "no active team member with access to leads has this e-mail"})
    domain = email_domain(clean["email"])
    dup_lead, dup_contact = find_duplicate(session, clean["email"], domain)
    lead = Lead(name=clean["name"], email=clean["email"], email_domain=domain, company=clean.get("company"),
                phone=clean.get("phone"), message=clean.get("message"), source=clean.get("source") or "web",
                utm_source=clean.get("utm_source"), utm_medium=clean.get("utm_medium"),
                utm_campaign=clean.get("utm_campaign"), consent=clean["consent"], ip=ip,
                duplicate_of_lead_id=dup_lead.id if dup_lead else None,
                duplicate_of_contact_id=dup_contact.id if dup_contact else None)
    if owner is None and dup_lead is not None and dup_lead.owner_id:
        # A duplicate goes to whoever already talks to this person or company (if still active).
        owner = ctx["users"].get(dup_lead.owner_id)
    if owner is None:
        owner = choose_owner(session, lead.source, ctx=ctx)
    lead.owner_id = owner.id if owner else None
    write_gate.enter(session)  # SQLite: the reads are done; writers of this process take turns from here
    session.add(lead)
    record_create(session, actor, lead)
    notes = []
    if dup_lead or dup_contact:
        what = f"lead #{dup_lead.id}" if dup_lead else f"contact {dup_contact.name}"
        notes.append(f"Possible duplicate of {what}")
        session.add(Activity(lead_id=lead.id, kind="system", subject=f"Flagged as a possible duplicate of {what}",
                             done_at=utcnow()))
    if owner is not None and notify_owner:
        text = f"New lead: {lead.name}" + (f" ({lead.company})" if lead.company else "")
        if dup_lead or dup_contact:
            text += " - possible duplicate"
        notify(session, owner.id, "lead_assigned", text, link=f"/leads?lead={lead.id}")
    if "org_id" in ctx["rules"]:
        session.info.setdefault("l2c_org_id", ctx["rules"]["org_id"])  # the event bus reads it (events.bus._org_id)
    emit(session, "lead.created", LeadCreated(lead_id=lead.id, source=lead.source or "", owner_id=lead.owner_id))
    return CaptureResult(lead, duplicate=bool(dup_lead or dup_contact), notes=notes)


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


def convert(session: Session, actor: Actor, lead_id: int, *, value_minor: int = 0, title: str | None = None,
            via: str = "ui") -> Deal:
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
        account = Account(name=lead.company or lead.name, domain=lead.email_domain, phone=lead.phone,
                          owner_id=lead.owner_id)
        session.add(account)
        record_create(session, actor, account)
    if contact is None:
        contact = Contact(account_id=account.id, name=lead.name, email=lead.email, phone=lead.phone)
        session.add(contact)
        record_create(session, actor, contact)
    elif contact.account_id is None:
        contact.account_id = account.id
    utm = ", ".join(f"{k}={v}" for k, v in (("utm_source", lead.utm_source), ("utm_medium", lead.utm_medium),
                                            ("utm_campaign", lead.utm_campaign)) if v)
    description = "\n\n".join(p for p in (lead.message, f"Campaign: {utm}" if utm else None) if p) or None
    deal = pipeline.create_deal(session, actor, title=title or (lead.company or lead.name), value_minor=value_minor,
                                account_id=account.id, contact_id=contact.id, owner_id=lead.owner_id or actor.user_id,
                                source=lead.source, description=description, lead_id=lead.id, via=via)
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
    session.add(Activity(lead_id=primary.id, user_id=actor.user_id, kind="system",
                         subject=f"Merged lead #{dup.id} ({dup.email})", done_at=utcnow()))
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
    emit(session, "lead.assigned", LeadAssigned(lead_id=lead.id, owner_id=user.id,
                                                previous_owner_id=before.get("owner_id")))
    notify(session, user.id, "lead_assigned", f"Lead handed to you: {lead.name}", link=f"/leads?lead={lead.id}")
    return lead


# --- lists ---------------------------------------------------------------------------------------

SORTS = {"created": Lead.created_at, "name": Lead.name, "email": Lead.email, "company": Lead.company,
         "status": Lead.status, "source": Lead.source}
AGES = {"1d": 1, "7d": 7, "30d": 30, "90d": 90}


def _filtered(stmt, *, q: str = "", status: str = "", owner_id: int | None = None, source: str = "",
              age: str = "", email: str = ""):
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Lead.name).like(like), Lead.email.like(like),
                              func.lower(Lead.company).like(like)))
    if status == "open":
        stmt = stmt.where(Lead.status.in_(OPEN_STATUSES))
    elif status == "duplicates":
        stmt = stmt.where(Lead.status.in_(OPEN_STATUSES),
                          or_(Lead.duplicate_of_lead_id.is_not(None), Lead.duplicate_of_contact_id.is_not(None)))
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


def lead_row(lead: Lead, owners: dict[int, User], tz: str = "UTC") -> dict:
    from l2c_app.core.timeutil import format_local

    owner = owners.get(lead.owner_id) if lead.owner_id else None
    return {"id": lead.id, "name": lead.name, "email": lead.email, "company": lead.company or "",
            "phone": lead.phone or "", "source": lead.source, "status": lead.status,
            "owner": owner.name if owner else "", "owner_email": owner.email if owner else "",
            "created": format_local(lead.created_at, tz), "message": lead.message or "",
            "duplicate_of_lead_id": lead.duplicate_of_lead_id or 0,
            "duplicate_of_contact_id": lead.duplicate_of_contact_id or 0,
            "duplicate": "duplicate" if (lead.duplicate_of_lead_id or lead.duplicate_of_contact_id) else "",
            "deal_id": lead.deal_id or 0, "reason": lead.disqualify_reason or ""}


def list_leads(session: Session, *, q: str = "", status: str = "", owner_id: int | None = None, source: str = "",
               age: str = "", sort: str = "created", desc: bool = True, page: int = 1, per_page: int = 50,
               tz: str = "UTC") -> dict:
    """One page of the filtered, sorted list and the total count (indexes keep both quick at 50,000 leads)."""
    filters = dict(q=q, status=status, owner_id=owner_id, source=source, age=age)
    total = session.exec(_filtered(select(func.count()).select_from(Lead), **filters)).one()
    col = SORTS.get(sort, Lead.created_at)
    order = [col.desc() if desc else col.asc(), Lead.id.desc() if desc else Lead.id.asc()]
    page = max(1, page)
    rows = session.exec(_filtered(select(Lead), **filters).order_by(*order)
                        .offset((page - 1) * per_page).limit(per_page)).all()
    owners = {u.id: u for u in session.exec(select(User))}
    return {"rows": [lead_row(r, owners, tz) for r in rows], "total": total}


def export_csv(session: Session, **filters) -> str:
    """The whole filtered list as CSV (streamed from the database in chunks)."""
    owners = {u.id: u for u in session.exec(select(User))}
    out = io.StringIO()
    cols = ["id", "name", "email", "company", "phone", "source", "status", "owner_email", "created", "message",
            "duplicate_of_lead_id", "duplicate_of_contact_id", "deal_id", "reason"]
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
    return {"id": lead.id, "name": lead.name, "email": lead.email, "company": lead.company, "phone": lead.phone,
            "message": lead.message, "source": lead.source, "utm_source": lead.utm_source,
            "utm_medium": lead.utm_medium, "utm_campaign": lead.utm_campaign, "status": lead.status,
            "owner_id": lead.owner_id, "owner_email": owner.email if owner else None, "consent": lead.consent,
            "duplicate_of_lead_id": lead.duplicate_of_lead_id,
            "duplicate_of_contact_id": lead.duplicate_of_contact_id, "deal_id": lead.deal_id,
            "disqualify_reason": lead.disqualify_reason, "created_at": lead.created_at.isoformat()}


# --- notifications (the bell) ------------------------------------------------------------------

def notifications(session: Session, user_id: int, limit: int = 15) -> dict:
    from l2c_app.core.models import Notification

    unread = session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).one()
    from l2c_app.core.auth import get_organisation
    from l2c_app.core.timeutil import format_local

    rows = session.exec(select(Notification).where(Notification.user_id == user_id)
                        .order_by(Notification.id.desc()).limit(limit)).all()
    org = get_organisation(session)
    tz = (org.timezone if org else None) or "UTC"
    return {"unread": unread, "items": [{"id": n.id, "text": n.text, "link": n.link or "",
                                         "at": format_local(n.created_at, tz, "%d %b %Y, %H:%M"),
                                         "unread": "unread" if n.read_at is None else ""} for n in rows]}


def mark_read(session: Session, user_id: int, note_id: int | None = None) -> None:
    from l2c_app.core.models import Notification

    stmt = select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if note_id:
        stmt = stmt.where(Notification.id == note_id)
    now = utcnow()
    for n in session.exec(stmt):
        n.read_at = now


def audit_lead_action(session: Session, actor: Actor, lead_id: int, action: str, detail: dict) -> None:
    record_action(session, actor, "lead", lead_id, action, detail)


# --- CSV import --------------------------------------------------------------------------------

IMPORT_FIELDS = ("name", "email", "company", "phone", "message", "source")
_GUESSES = {"name": ("name", "full name", "fullname", "contact", "contact name", "nom"),
            "email": ("email", "e-mail", "mail", "email address", "e-mail address"),
            "company": ("company", "organisation", "organization", "account", "company name", "societe"),
            "phone": ("phone", "telephone", "tel", "mobile", "phone number"),
            "message": ("message", "notes", "note", "comment", "comments", "description"),
            "source": ("source", "lead source", "channel")}
MAX_IMPORT_ROWS = 100_000


def parse_csv(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of an uploaded CSV (UTF-8 with or without BOM, else Latin-1; , or ; or tab)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise LeadError({"file": "the file is empty"})
    headers = [h.strip() for h in rows[0]]
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise LeadError({"file": f"at most {MAX_IMPORT_ROWS} rows per import"})
    return headers, rows[1:]


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Field -> CSV header, guessed from common column names ("" = not imported)."""
    lower = {h.lower().strip(): h for h in headers}
    return {f: next((lower[g] for g in _GUESSES[f] if g in lower), "") for f in IMPORT_FIELDS}


def map_row(headers: list[str], row: list[str], mapping: dict[str, str]) -> dict[str, str]:
    index = {h: i for i, h in enumerate(headers)}
    out = {}
    for field_name, header in mapping.items():
        i = index.get(header) if header else None
        out[field_name] = row[i].strip() if i is not None and i < len(row) else ""
    return out


@dataclass
class ImportChunk:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row number, field, message
    owners: dict[int, int] = field(default_factory=dict)  # owner id -> leads given


def import_chunk(session: Session, actor: Actor, headers: list[str], rows: list[list[str]],
                 mapping: dict[str, str], first_row_number: int) -> ImportChunk:
    """Capture a slice of an import; a bad row is reported (row number, field) and the others kept.

    Each row runs in a savepoint so one failure never undoes its neighbours; owners get one
    summary notification per import (`notify_import`), not one per row.
    """
    if not mapping.get("name") or not mapping.get("email"):
        raise LeadError({"mapping": "map the name and e-mail columns"})
    out = ImportChunk()
    session.info["leads_import_cache"] = {}
    try:
        _import_rows(session, actor, headers, rows, mapping, first_row_number, out)
    finally:
        session.info.pop("leads_import_cache", None)
    return out


def _import_rows(session: Session, actor: Actor, headers: list[str], rows: list[list[str]],
                 mapping: dict[str, str], first_row_number: int, out: ImportChunk) -> None:
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        data = map_row(headers, row, mapping)
        if not data.get("source"):
            data["source"] = "import"
        try:
            with session.begin_nested():
                result = capture(session, data, trusted=True, actor=actor, notify_owner=False)
        except LeadError as exc:
            for f, msg in exc.errors.items():
                out.errors.append((number, f, msg))
            continue
        lead = result.lead
        out.imported += 1
        out.duplicates += int(result.duplicate)
        if lead is not None and lead.owner_id:
            out.owners[lead.owner_id] = out.owners.get(lead.owner_id, 0) + 1


def notify_import(session: Session, owners: dict[int, int]) -> None:
    for owner_id, count in owners.items():
        notify(session, owner_id, "lead_assigned", f"{count} imported lead(s) assigned to you",
               link="/leads?status=new")


def errors_csv(errors: list[tuple[int, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "error"])
    writer.writerows([[safe_cell(c) for c in row] for row in errors])
    return out.getvalue()


CONTACT_FIELDS = ("name", "email", "company", "phone", "title")
_GUESSES["title"] = ("title", "job title", "position", "role")


def guess_contact_mapping(headers: list[str]) -> dict[str, str]:
    lower = {h.lower().strip(): h for h in headers}
    return {f: next((lower[g] for g in _GUESSES[f] if g in lower), "") for f in CONTACT_FIELDS}


def import_contacts_chunk(session: Session, actor: Actor, headers: list[str], rows: list[list[str]],
                          mapping: dict[str, str], first_row_number: int) -> ImportChunk:
    """Contacts (with their account, found by e-mail domain or company name, else created).

    A contact whose e-mail already exists is reported, not duplicated.
    """
    if not mapping.get("name"):
        raise LeadError({"mapping": "map the name column"})
    out = ImportChunk()
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        data = map_row(headers, row, mapping)
        errors: dict[str, str] = {}
        name, email = data.get("name", ""), (data.get("email") or "").lower()
        if not name:
            errors["name"] = "enter a name"
        if email:
            local, _, domain = email.partition("@")
            if not local or "." not in domain or " " in email:
                errors["email"] = "not a valid e-mail address, like name@company.com"
            elif session.exec(select(Contact).where(Contact.email == email)).first() is not None:
                errors["email"] = "already a contact"
        for f, limit in (("name", 200), ("company", 200), ("phone", 50), ("title", 100)):
            if len(data.get(f) or "") > limit:
                errors[f] = f"at most {limit} characters"
        if errors:
            out.errors.extend((number, f, m) for f, m in errors.items())
            continue
        domain = email_domain(email) if email else None
        company = data.get("company") or None
        account = None
        if domain:
            account = session.exec(select(Account).where(Account.domain == domain)).first()
        if account is None and company:
            account = session.exec(select(Account).where(func.lower(Account.name) == company.lower())).first()
        if account is None and (company or domain):
            account = Account(name=company or domain, domain=domain)
            session.add(account)
            record_create(session, actor, account)
        contact = Contact(account_id=account.id if account else None, name=name, email=email or None,
                          phone=data.get("phone") or None, title=data.get("title") or None)
        session.add(contact)
        record_create(session, actor, contact)
        out.imported += 1
    return out
