"""Delivery settings and time rules, each key with one owner (this stage owns
`time_approval_required`; billing reads it).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.timeutil import org_today
from l2c_app.projects.common import DeliveryError

# --- settings ---------------------------------------------------------------------------------

DEFAULT_SETTINGS = {
    "time_approval_required": True,
    "auto_project_on_signature": False,
    # Time rules: future days are locked unless allowed; a person never approves
    # their own week, unless they are the project's only approver and this allows it.
    "allow_future_time": False,
    "sole_approver_self_approval": True,
}


def delivery_settings_of(stored: dict | None) -> dict[str, bool]:
    """Delivery's settings from the organisation's stored settings (defaults filled in)."""
    stored = stored or {}
    return {k: bool(stored.get(k, v)) for k, v in DEFAULT_SETTINGS.items()}


def delivery_settings(session: Session) -> dict[str, bool]:
    org = get_organisation(session)
    return delivery_settings_of(org.settings if org else None)


def save_delivery_settings(
    session: Session, actor: Actor, *, time_approval_required: bool, auto_project_on_signature: bool
) -> dict[str, bool]:
    org = get_organisation(session)
    if org is None:
        raise DeliveryError("Set up the organisation first.")
    before = snapshot(org)
    # A new dict: SQLAlchemy does not see in-place changes of a JSON column.
    org.settings = {
        **(org.settings or {}),
        "time_approval_required": bool(time_approval_required),
        "auto_project_on_signature": bool(auto_project_on_signature),
    }
    session.add(org)
    record_update(session, actor, org, before)
    return delivery_settings(session)


def save_time_rules(
    session: Session, actor: Actor, *, allow_future_time: bool, sole_approver_self_approval: bool
) -> dict[str, bool]:
    """The time grid's rules (owned here with the rest of delivery's settings)."""
    org = get_organisation(session)
    if org is None:
        raise DeliveryError("Set up the organisation first.")
    before = snapshot(org)
    org.settings = {
        **(org.settings or {}),
        "allow_future_time": bool(allow_future_time),
        "sole_approver_self_approval": bool(sole_approver_self_approval),
    }
    session.add(org)
    record_update(session, actor, org, before)
    return delivery_settings(session)


FUTURE_LOCK = "a future day (logging future days is off in Settings → Time rules)"


def future_day_refusal(session: Session, day: date, settings: dict[str, bool] | None = None) -> str:
    """Why time cannot be logged on `day` (empty when it can): a day after the organisation's
    today, unless the organisation allows logging future days."""
    settings = settings or delivery_settings(session)
    if settings["allow_future_time"] or day <= org_today(session):
        return ""
    return f"{formats.day(day)} is in the future: time is logged on the day or after it."
