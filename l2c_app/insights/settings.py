"""Insights' own settings: when each leak starts to count, and the daily digest e-mail.

Stored in `Organisation.settings` (JSON) under keys only Insights owns (`insights_*`,
tests/test_settings_owners.py). `insights_lead_days` left unset keeps the older rule: the
pipeline's stale-days when the organisation chose one, else 3.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import DomainError

DEFAULT_SETTINGS: dict[str, Any] = {
    "insights_lead_days": None,  # None: the pipeline's stale days if chosen, else 3
    "insights_draft_days": 7,  # a draft older than this was probably forgotten
    "insights_overdue_grace_days": 0,  # an invoice counts as overdue this many days after its due date
    "insights_digest": True,  # the daily e-mail of leaks to owners and admins
}

# (key, lowest, highest, label) of each whole-number threshold
LIMITS: dict[str, tuple[int, int, str]] = {
    "insights_lead_days": (1, 365, "Days before a new lead counts as untouched"),
    "insights_draft_days": (1, 365, "Days before a draft invoice counts as forgotten"),
    "insights_overdue_grace_days": (0, 365, "Grace days after the due date"),
}


class InsightsSettingsError(DomainError):
    pass


def insights_settings_of(stored: dict | None) -> dict[str, Any]:
    stored = stored or {}
    out = dict(DEFAULT_SETTINGS)
    out.update({k: stored[k] for k in DEFAULT_SETTINGS if k in stored})
    out["insights_digest"] = bool(out["insights_digest"])
    return out


def insights_settings(session: Session) -> dict[str, Any]:
    org = get_organisation(session)
    return insights_settings_of(org.settings if org else None)


def _whole(key: str, raw: Any) -> int:
    low, high, label = LIMITS[key]
    try:
        text = str(raw).strip()
        value = int(text)
        if str(value) != text.lstrip("+"):
            raise ValueError
    except (TypeError, ValueError):
        raise InsightsSettingsError(f"{label}: a whole number from {low} to {high}.", key) from None
    if not low <= value <= high:
        raise InsightsSettingsError(f"{label}: a whole number from {low} to {high}.", key)
    return value


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """The values as stored: whole numbers in range, the digest a bool; an empty lead-days means
    "follow the pipeline's stale days" (None). Unknown keys are refused."""
    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise InsightsSettingsError(f"Unknown Insights setting: {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        if key == "insights_digest":
            clean[key] = bool(raw)
        elif key == "insights_lead_days" and (raw is None or str(raw).strip() == ""):
            clean[key] = None
        else:
            clean[key] = _whole(key, raw)
    return clean


def save_insights_settings(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    org = get_organisation(session)
    if org is None:
        raise InsightsSettingsError("Set up the organisation first.")
    clean = validate(values)
    before = snapshot(org)
    org.settings = {**(org.settings or {}), **clean}  # a new dict: JSON columns miss in-place changes
    session.add(org)
    record_update(session, actor, org, before)
    return insights_settings(session)
