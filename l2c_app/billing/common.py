"""Billing: limits, errors, the SQLite write lock and the billing settings."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Organisation
from l2c_app.projects.service import delivery_settings_of

DEFAULT_PATTERN = "INV-{year}-{seq:04d}"
DEFAULT_CREDIT_PATTERN = "CN-{year}-{seq:04d}"
TERMS = {"due_on_receipt": 0, "net_15": 15, "net_30": 30, "net_45": 45, "net_60": 60}
MANUAL_METHODS = ("bank_transfer", "check", "cash", "other")
OPEN_STATUSES = ("sent", "partially_paid")


class BillingError(DomainError):
    """A user-facing message; `field` names the input, `kind` gives the API's status."""


def begin_write(session: Session) -> None:
    """SQLite: take the write lock first (BEGIN IMMEDIATE), waiting up to busy_timeout.

    pysqlite opens a transaction lazily, before the first INSERT/UPDATE; a SAVEPOINT
    issued before that would become the outermost transaction, and its RELEASE would
    commit half of the work. A transaction that reads and then writes could also fail at
    once with SQLITE_BUSY when another writer committed in between. Starting with the
    write lock avoids both; PostgreSQL needs nothing here (row locks do the work).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- settings -------------------------------------------------------------------------------

DEFAULT_SETTINGS: dict[str, Any] = {
    "invoice_number_pattern": DEFAULT_PATTERN,
    "credit_note_number_pattern": DEFAULT_CREDIT_PATTERN,
    "invoice_terms": "net_30",
    "itemise_time": False,
    "reminder_days_before": 3,
    "reminder_days_after": [1, 7, 14],
    "payment_instructions": "Bank transfer: please quote the invoice number as the reference.",
}


def billing_settings(session: Session) -> dict[str, Any]:
    """Billing's own settings, plus `time_approval_required`, which delivery owns (Settings >
    Delivery): billing reads it to bill only approved time, and never stores it."""
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    merged = dict(DEFAULT_SETTINGS)
    if org is not None:
        merged.update({k: v for k, v in (org.settings or {}).items() if k in DEFAULT_SETTINGS})
    merged["time_approval_required"] = delivery_settings_of(org.settings if org else None)["time_approval_required"]
    return merged


def validate_pattern(pattern: str) -> str:
    pattern = pattern.strip()
    if "{seq" not in pattern:
        raise BillingError(
            "The number pattern must contain {seq} (e.g. INV-{year}-{seq:04d})", "invoice_number_pattern"
        )
    try:
        pattern.format(year=2026, seq=1, month=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise BillingError(f"The number pattern is not valid: {exc}", "invoice_number_pattern") from None
    if len(pattern.format(year=2026, seq=999999, month=12)) > 40:
        raise BillingError("Invoice numbers are at most 40 characters", "invoice_number_pattern")
    return pattern


def save_billing_settings(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    begin_write(session)
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        raise BillingError("The organisation is not set up yet")
    clean: dict[str, Any] = {}
    if "invoice_number_pattern" in values:
        clean["invoice_number_pattern"] = validate_pattern(str(values["invoice_number_pattern"]))
    if "credit_note_number_pattern" in values:
        clean["credit_note_number_pattern"] = validate_pattern(str(values["credit_note_number_pattern"]))
    if "invoice_terms" in values:
        if values["invoice_terms"] not in TERMS:
            raise BillingError(f"Terms must be one of {', '.join(TERMS)}", "invoice_terms")
        clean["invoice_terms"] = values["invoice_terms"]
    if "itemise_time" in values:
        clean["itemise_time"] = bool(values["itemise_time"])
    if "reminder_days_before" in values:
        try:
            clean["reminder_days_before"] = max(0, int(values["reminder_days_before"]))
        except (TypeError, ValueError):
            raise BillingError("Days before the due date must be a whole number", "reminder_days_before") from None
    if "reminder_days_after" in values:
        raw = values["reminder_days_after"]
        items = raw if isinstance(raw, list) else [p for p in str(raw).replace(" ", "").split(",") if p]
        try:
            clean["reminder_days_after"] = sorted({int(p) for p in items if int(p) > 0})
        except (TypeError, ValueError):
            raise BillingError(
                "Days after the due date: whole numbers separated by commas", "reminder_days_after"
            ) from None
    if "payment_instructions" in values:
        clean["payment_instructions"] = str(values["payment_instructions"])[:1000]
    before = snapshot(org)
    org.settings = {**(org.settings or {}), **clean}
    record_update(session, actor, org, before, action="billing_settings")
    return billing_settings(session)
