"""Capturing a lead: validation (every bad field named, nothing stored), assignment (by source,
else round-robin, else the owner), dedupe (linked and flagged, never dropped) and the capture
itself, shared by the public form, the API and the import.

Threat model of `capture`: its input comes from anyone on the internet (the public form and
`POST /api/v1/leads` without a key). Every field is length-checked and stored as plain text
(never rendered as HTML); a filled honeypot is answered like a success and stores nothing, so
bots learn nothing; only an API key (a trusted server) may set the owner, the source and UTM
fields; the routes limit public posts per IP before capture (leads/rate_limit.py: every post
counts, in Redis when REDIS_URL is set so the limit holds across workers).
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, literal_column, text, union_all
from sqlmodel import Session, col, select

from l2c_app.core.audit import SYSTEM, Actor, record_create_row, snapshot
from l2c_app.core.auth import can
from l2c_app.core.models import User
from l2c_app.core.notify import notify
from l2c_app.core.row_writes import deferred, insert_new, insert_row, instance, row_values
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit_later
from l2c_app.events.types import LeadCreated
from l2c_app.leads import rules_cache, write_gate
from l2c_app.leads.batch_dedupe import BatchDedupe
from l2c_app.leads.common import (
    DEFAULT_RATE_LIMIT,
    FREE_MAIL,
    LIMITS,
    OPEN_STATUSES,
    CaptureResult,
    LeadError,
    lead_settings,
    pick_duplicate,
)
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Account, Activity, Contact

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


def dedupe_key(data: dict[str, Any]) -> tuple[str, str | None]:
    """The (e-mail, company domain) a valid body's capture dedupes by, as `validate` cleans them."""
    email = _text(data, "email").lower()
    return email, email_domain(email)


def is_honeypot(data: dict[str, Any]) -> bool:
    """A bot filled the hidden field: answered like a success, nothing stored."""
    return bool(str(data.get("website") or data.get("hp") or "").strip())


# --- assignment ---------------------------------------------------------------------------------


def org_owner(session: Session) -> User | None:
    return session.exec(select(User).where(User.role == "owner", User.is_active).order_by(User.id)).first()


@functools.cache
def _last_owner_statement(size: int) -> Any:
    """The owner of the newest lead given to one of `size` users: the newest id per user is one
    lookup each in the index on (owner_id, id), read from the end of the user's range (an IN
    with ORDER BY id sorts all their leads on SQLite, growing with the table). Written as ORDER
    BY id DESC LIMIT 1, not max(id): a fresh PostgreSQL database has no statistics, and with
    max() the planner, expecting one row per user, read every index entry of the user."""

    def newest(i: int) -> Any:
        sub = (
            select(col(Lead.id).label("m"))
            .where(col(Lead.owner_id) == bindparam(f"u{i}"))
            .order_by(col(Lead.id).desc())
            .limit(1)
            .subquery()
        )
        return select(sub.c.m)

    per_user = [newest(i) for i in range(size)]
    maxes = (union_all(*per_user) if size > 1 else per_user[0]).subquery()
    return select(col(Lead.owner_id)).where(col(Lead.id) == select(func.max(maxes.c.m)).scalar_subquery())


def _context(session: Session, rules: dict | None = None) -> dict:
    """What stays the same across captures: the rules and the active people.

    Kept per process (leads/rules_cache.py: dropped when a commit changes the organisation or a
    user, and after a second); an import chunk also shares its rotation across its rows through
    `leads_import_cache`."""
    cache = session.info.get("leads_import_cache")
    ctx = cache if cache is not None else {}
    if "rules" not in ctx:
        ctx["rules"] = rules if rules is not None else rules_cache.lead_rules(session)
    if "users" not in ctx:
        ctx["users"], ctx["active"] = rules_cache.people(session)
    return ctx


def _pool(rules: dict, active: dict) -> list[int]:
    return [int(u) for u in rules.get("users") or [] if int(u) in active]


def _rotation(rules: dict, active: dict) -> list[int]:
    """The active users round-robin rotates among ([] when the rules do not rotate)."""
    return _pool(rules, active) if rules.get("mode", "round_robin") in ("round_robin", "by_source") else []


def _note_rotation(session: Session, ctx: dict, owner_id: int | None) -> None:
    """Within a chunk or batch (`leads_import_cache`): a lead just given to one of the rotation's
    users is the newest lead of any of them, the one the rotation's query would find next."""
    if "leads_import_cache" in session.info and owner_id is not None and owner_id in _pool(ctx["rules"], ctx["active"]):
        ctx["rr_last"] = owner_id


def choose_owner(
    session: Session, source: str, rules: dict | None = None, ctx: dict | None = None
) -> rules_cache.Person | None:
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
    pool = _rotation(rules, active)
    if pool:
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


def start_batch(session: Session, keys: list[tuple[str, str | None]]) -> None:
    """A group-commit batch of captures with these (e-mail, domain) keys (leads/batch_dedupe.py):
    their dedupe reads, their lead ids and the rotation's last owner, in one statement. The
    session must carry `leads_import_cache` (the batch's context)."""
    ctx = _context(session)
    batch = ctx["batch"] = BatchDedupe()
    batch.expected = len(keys)
    pool = _rotation(ctx["rules"], ctx["active"])
    last = batch.prefetch(session, keys, pool)
    if last in pool:  # what choose_owner's query would read for the batch's first lead
        ctx["rr_last"] = last


# --- dedupe -----------------------------------------------------------------------------------------


@functools.cache
def _dedupe_statements() -> tuple[Any, Any]:
    """The two dedupe queries, built once (building a UNION costs more than running it); bound per call."""

    def first_ids(table_id, cond, limit: int):
        sub = select(table_id.label("id")).where(cond).order_by(table_id).limit(limit).subquery()
        return select(sub.c.id)

    # The open statuses written in the statement (constants): an IN of bound values is expanded
    # per execution (12 % of a batched capture's CPU went to rendering it).
    statuses = [literal_column(f"'{s}'") for s in OPEN_STATUSES]
    open_lead = col(Lead.status).in_(statuses) & (col(Lead.id) != bindparam("exclude"))
    lead_ids = union_all(
        first_ids(col(Lead.id), open_lead & (col(Lead.email) == bindparam("email")), 10),
        first_ids(col(Lead.id), open_lead & (col(Lead.email_domain) == bindparam("domain")), 10),
    )
    leads = select(Lead).where(col(Lead.id).in_(lead_ids)).order_by(col(Lead.id))
    account = (
        select(col(Account.id))
        .where(col(Account.domain) == bindparam("domain"))
        .order_by(col(Account.id))
        .limit(1)
        .scalar_subquery()
    )
    contact_ids = union_all(
        first_ids(col(Contact.id), col(Contact.email) == bindparam("email"), 1),
        first_ids(col(Contact.id), col(Contact.account_id) == account, 1),
    )
    contacts = select(Contact).where(col(Contact.id).in_(contact_ids)).order_by(col(Contact.id))
    return leads, contacts


def find_duplicate(session: Session, email: str, domain: str | None, exclude_id: int | None = None) -> tuple[Any, Any]:
    """An open lead or a contact with the same e-mail (case-insensitive), else the same company domain.

    Order: same e-mail on an open lead, same e-mail on a contact, same domain on an open lead,
    same domain on an account or a contact. The original is preferred over its own duplicates.
    Two queries at most: the open leads by e-mail or domain (a UNION of two indexed lookups: an
    OR across two columns scans the table), then, unless a lead has the e-mail, the contacts by
    e-mail or by the domain's account.

    The two are read as plain rows (the columns of Lead and Contact, attributes by name), not
    ORM objects: loading them into the session cost more than the queries; the session's
    pending changes are flushed first, as the ORM's autoflush would.
    """
    email = email.lower()
    leads_stmt, contacts_stmt = _dedupe_statements()
    if session.new or session.dirty or session.deleted:
        session.flush()
    conn = session.connection()
    leads = list(conn.execute(leads_stmt, {"email": email, "domain": domain, "exclude": exclude_id or 0}))

    def contacts(with_domain: bool) -> tuple[Any, Any]:
        found = list(conn.execute(contacts_stmt, {"email": email, "domain": domain if with_domain else None}))
        mail_contact = next((c for c in found if c.email == email), None)
        return mail_contact, None if mail_contact is not None or not found else found[0]

    email_rows = [ld for ld in leads if ld.email == email]
    return pick_duplicate(email_rows, [ld for ld in leads if domain and ld.email_domain == domain], contacts)


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
    count, first = session.exec(
        select(func.count(), func.min(Lead.created_at)).where(Lead.ip == ip, Lead.created_at >= since)
    ).one()
    if count < limit or first is None:
        return 0
    if first.tzinfo is None:
        first = first.replace(tzinfo=since.tzinfo)
    return max(1, int((first + timedelta(minutes=1) - utcnow()).total_seconds() + 0.999))


def capture(
    session: Session,
    data: dict[str, Any],
    *,
    trusted: bool = False,
    ip: str | None = None,
    actor: Actor = SYSTEM,
    notify_owner: bool = True,
    rules: dict | None = None,
    clean: dict[str, Any] | None = None,
) -> CaptureResult:
    """Store a lead from the public form, the API or an import. Raises LeadError naming each bad field.

    `rules`: the lead settings when the caller has read them already (the public routes read
    them for the rate limit). Reads first (settings, people, dedupe, rotation), then the writes:
    the lead, then its audit, activity, notification, e-mail and event in two flushes, so on
    SQLite the write lock is held only for the inserts."""
    if is_honeypot(data):
        return CaptureResult(None)
    clean = clean if clean is not None else validate(data, trusted)  # `clean`: validated by the caller already
    ctx = _context(session, rules)
    owner: rules_cache.Person | None = None
    if clean.get("owner_email"):
        owner = next((u for u in ctx["users"].values() if u.email == clean["owner_email"]), None)
        if owner is None or not can(owner.role, "leads"):
            raise LeadError({"owner_email": "no active team member with access to leads has this e-mail"})
    domain = email_domain(clean["email"])
    # A group-commit batch (leads/batch_dedupe.py) dedupes from what it read for all its
    # captures at once and its own new leads, and hands out the lead's id: no statement here.
    batch = ctx.get("batch")
    if batch is not None:
        dup_lead, dup_contact = batch.find(session, clean["email"], domain)
    else:
        dup_lead, dup_contact = find_duplicate(session, clean["email"], domain)
    values = {
        "name": clean["name"],
        "email": clean["email"],
        "email_domain": domain,
        "company": clean.get("company"),
        "phone": clean.get("phone"),
        "message": clean.get("message"),
        "source": clean.get("source") or "web",
        "utm_source": clean.get("utm_source"),
        "utm_medium": clean.get("utm_medium"),
        "utm_campaign": clean.get("utm_campaign"),
        "consent": clean["consent"],
        "ip": ip,
        "duplicate_of_lead_id": dup_lead.id if dup_lead else None,
        "duplicate_of_contact_id": dup_contact.id if dup_contact else None,
    }
    if owner is None and dup_lead is not None and dup_lead.owner_id:
        # A duplicate goes to whoever already talks to this person or company (if still active).
        owner = ctx["users"].get(dup_lead.owner_id)
    if owner is None:
        owner = choose_owner(session, values["source"], ctx=ctx)
    values["owner_id"] = owner.id if owner else None
    _note_rotation(session, ctx, values["owner_id"])
    write_gate.enter(session)  # SQLite: the reads are done; writers of this process take turns from here
    lead: Lead
    if batch is not None:
        # The row is queued with the side rows (written one executemany per table before the
        # commit); the lead is a plain, transient object the batch's callers only read.
        full = row_values(Lead, {"id": batch.next_id(session), **values})
        with deferred(session):
            insert_row(session, Lead, full)
        lead = instance(Lead, full)
        batch.add(lead)
    else:
        # One Core INSERT; the lead is an ORM object (as if loaded) callers read and change.
        lead = insert_new(session, Lead, values)
    # The rest are plain Core inserts (core/row_writes.py): no ORM object, no flush; in a
    # group-commit batch they are queued and written one executemany per table before its commit.
    with deferred(session):
        notes = _side_rows(session, actor, lead, owner, dup_lead, dup_contact, notify_owner)
    if "org_id" in ctx["rules"]:
        session.info.setdefault("l2c_org_id", ctx["rules"]["org_id"])  # the event bus reads it (events.bus._org_id)
    emit_later(session, "lead.created", LeadCreated(lead_id=lead.id, source=lead.source or "", owner_id=lead.owner_id))
    return CaptureResult(lead, duplicate=bool(dup_lead or dup_contact), notes=notes)


def _side_rows(
    session: Session,
    actor: Actor,
    lead: Lead,
    owner: rules_cache.Person | None,
    dup_lead: Any,
    dup_contact: Any,
    notify_owner: bool,
) -> list[str]:
    """The lead's audit, its duplicate flag on the timeline and its owner's notification and e-mail."""
    record_create_row(session, actor, "lead", lead.id, snapshot(lead))  # type: ignore[arg-type]
    notes = []
    if dup_lead or dup_contact:
        what = f"lead #{dup_lead.id}" if dup_lead else f"contact {dup_contact.name}"  # type: ignore[union-attr]
        notes.append(f"Possible duplicate of {what}")
        insert_row(
            session,
            Activity,
            {
                "lead_id": lead.id,
                "kind": "system",
                "subject": f"Flagged as a possible duplicate of {what}",
                "done_at": utcnow(),
            },
        )
    if owner is not None and notify_owner:
        text = f"New lead: {lead.name}" + (f" ({lead.company})" if lead.company else "")
        if dup_lead or dup_contact:
            text += " - possible duplicate"
        notify(session, owner.id, "lead_assigned", text, link=f"/leads?lead={lead.id}", to=owner.email)
    return notes
