"""Leads: limits, statuses, `LeadError`, the capture result and the lead settings (assignment
rules, consent text, rate limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.auth import can, get_organisation
from l2c_app.core.errors import DomainError, Kind
from l2c_app.core.models import User
from l2c_app.leads.models import Lead

OPEN_STATUSES = ("new", "qualified")
STATUSES = ("new", "qualified", "disqualified", "converted", "merged")
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.fr",
        "hotmail.com",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.ru",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "wanadoo.fr",
        "t-online.de",
    }
)
DEFAULT_CONSENT = "I agree that {org} stores my details to answer my request."
DEFAULT_RATE_LIMIT = 10  # stored public leads per IP per minute
LIMITS = {
    "name": 200,
    "email": 320,
    "company": 200,
    "phone": 50,
    "message": 10_000,
    "source": 100,
    "utm_source": 100,
    "utm_medium": 100,
    "utm_campaign": 100,
}


class LeadError(DomainError):
    """Bad input; `errors` maps each bad field to what is wrong with it ("detail": not one field)."""

    def __init__(self, errors: dict[str, str] | str, *, kind: Kind | None = None):
        if isinstance(errors, str):
            errors = {"detail": errors}
        self.errors = errors
        fields = [k for k in errors if k != "detail"]
        super().__init__(
            "; ".join(f"{k}: {v}" for k, v in errors.items()) if fields else errors["detail"],
            fields[0] if len(fields) == 1 else None,
            kind=kind,
        )

    def as_json(self) -> dict:
        fields = {k: v for k, v in self.errors.items() if k != "detail"}
        if not fields:
            return super().as_json()
        # Per-field errors keep the list shape of FastAPI's own validation errors.
        return {
            "detail": [{"loc": ["body", k], "field": k, "msg": v} for k, v in self.errors.items()],
            "error": {**self.error_json(), "errors": self.errors},
        }


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


def save_lead_settings(
    session: Session,
    actor: Actor,
    *,
    mode: str,
    users: list[int],
    by_source: dict[str, int],
    consent_text: str,
    rate_limit_per_minute: int | None = None,
) -> dict:
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
    settings["leads"] = {
        "mode": mode,
        "users": users,
        "by_source": clean_sources,
        "consent_text": consent_text,
        "rate_limit_per_minute": limit,
    }
    org.settings = settings
    record_update(session, actor, org, before)
    return settings["leads"]


def public_form_info(session: Session) -> dict:
    org = get_organisation(session)
    return {"org_name": org.name if org else "l2c", "consent_text": lead_settings(session)["consent_text"]}


def pick_duplicate(
    email_rows: list[Any], domain_rows: list[Any], contacts: Callable[[bool], tuple[Any, Any]]
) -> tuple[Any, Any]:
    """The dedupe rule, on the open leads read with the e-mail and with the domain (the first 10
    by id of each) however they were read (capture.find_duplicate's queries, a batch's prefetch:
    leads/batch_dedupe.py): (lead, None), (None, contact) or (None, None).

    Order: same e-mail on an open lead, same e-mail on a contact, same domain on an open lead,
    same domain on an account's contact; of leads, the original before its own duplicates.
    `contacts(with_domain)` gives (the e-mail's contact, the domain's), asked only when no lead
    has the e-mail; the domain's is not needed when a lead has the domain."""

    def original(rows: list[Any]) -> Any:
        rows = sorted(rows, key=lambda ld: (ld.duplicate_of_lead_id is not None, ld.id))  # the original first
        return rows[0] if rows else None

    by_email = original(email_rows)
    if by_email is not None:
        return by_email, None
    by_domain = original(domain_rows)
    mail_contact, domain_contact = contacts(by_domain is None)
    if mail_contact is not None:
        return None, mail_contact
    if by_domain is not None:
        return by_domain, None
    return None, domain_contact
