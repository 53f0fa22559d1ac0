"""What Settings > Accounting and its Export page show, and the form they save (no Reflex here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from l2c_app.accounting import export, journal
from l2c_app.accounting import settings as acct
from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import format_local
from l2c_app.quotes.models import TaxRate


def settings_rows(session: Session) -> dict[str, list[dict[str, str]]]:
    """Form rows: key (the input's name prefix), label, code, name (and tax code for rates)."""
    cfg = acct.accounting_settings(session)
    accounts = [
        {"key": f"accounts.{role}", "label": label, **cfg["accounts"][role], "tax_code": ""}
        for role, (_c, _n, label) in acct.ACCOUNT_ROLES.items()
    ]
    income = [
        {"key": f"income.{kind}", "label": label, **cfg["income"][kind], "tax_code": ""}
        for kind, label in acct.LINE_KINDS.items()
    ]
    taxes = []
    for rate in session.exec(select(TaxRate).where(TaxRate.archived_at.is_(None)).order_by(TaxRate.id)):  # type: ignore[union-attr]
        code, name, tax_code = acct.tax_account(cfg, rate.id, journal._pct(rate.percent))
        taxes.append({"key": f"tax.{rate.id}", "label": rate.name, "code": code, "name": name, "tax_code": tax_code})
    return {"accounts": accounts, "income": income, "tax": taxes}


def save_form(session: Session, actor: Actor, form: dict[str, Any]) -> dict:
    """`accounts.bank.code=1000`, `tax.3.tax_code=S20` ... -> save_accounting_settings."""
    values: dict[str, dict[str, dict[str, str]]] = {}
    for name, value in form.items():
        parts = str(name).split(".")
        if (
            len(parts) != 3
            or parts[0] not in ("accounts", "income", "tax")
            or parts[2] not in ("code", "name", "tax_code")
        ):
            continue
        values.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = str(value or "")
    return acct.save_accounting_settings(session, actor, values)


def export_overview(session: Session) -> dict[str, Any]:
    """Posts what is pending (idempotent), then: how many entries wait, and the past batches."""
    journal.post_pending(session)
    from l2c_app.core.models import Organisation

    tz = session.exec(select(Organisation.timezone).order_by(Organisation.id)).first() or "UTC"
    return {
        "pending": export.pending_count(session),
        "batches": [
            {
                "id": str(b.id),
                "created": format_local(b.created_at, tz),
                "range": f"{b.date_from or 'start'} to {b.date_to or 'today'}",
                "entries": str(b.entry_count),
                "csv": export.batch_json(b)["csv"],
            }
            for b in export.batches(session)
        ],
    }


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("A date as YYYY-MM-DD", field) from None


def export_batch(session: Session, actor: Actor, date_from: str, date_to: str) -> dict[str, Any]:
    batch = export.create_batch(session, actor, _day(date_from, "from"), _day(date_to, "to"))
    return export.batch_json(batch)
