"""Where the journal posts: account codes (and names) and tax codes, per organisation.

Kept in `Organisation.settings["accounting"]` (one organisation per installation). Every
role has a sensible default, so the journal posts before anyone opens Settings > Accounting;
a bookkeeper then types the codes of their own chart. Changing an account later does not move
what is already posted: a correction goes to the account its role was first posted to.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Organisation

# Invoice line kinds (billing.models.SOURCE_TYPES; None = a manual line) and the catalog item
# kind each comes from: hourly items are billed as time, fixed as milestones, recurring as
# retainer periods.
LINE_KINDS: dict[str, str] = {
    "time": "Hourly work (time)",
    "milestone": "Fixed items (milestones)",
    "retainer_period": "Recurring (retainer periods)",
    "change_order": "Change orders",
    "expense": "Rebilled expenses",
    "deposit": "Deposits (and their deduction)",
    "manual": "Manual lines",
}

# role -> (default code, default name, label on the page)
ACCOUNT_ROLES: dict[str, tuple[str, str, str]] = {
    "receivable": ("1200", "Accounts receivable", "Receivable"),
    "bank": ("1000", "Bank", "Bank (manual payments, Stripe payouts)"),
    "stripe_clearing": ("1010", "Stripe clearing", "Stripe clearing (the Stripe balance)"),
    "fees": ("6150", "Payment fees", "Payment fees (Stripe)"),
    "write_off": ("6900", "Bad debts written off", "Write-offs"),
    "client_credit": ("2400", "Client credit", "Client credit (overpayments held)"),
    "unallocated": ("2450", "Unallocated receipts", "Payments not matched to an invoice"),
    "tax": ("2200", "Tax payable", "Tax payable (default for every rate)"),
    "income": ("4000", "Sales", "Income (default for every line kind)"),
}
DEFAULT_INCOME: dict[str, tuple[str, str]] = {
    "expense": ("4900", "Rebilled expenses"),
    "deposit": ("2350", "Customer deposits"),
}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .:/_-]{0,39}$")


def _org(session: Session) -> Organisation | None:
    return session.exec(select(Organisation).order_by(Organisation.id)).first()


def accounting_settings(session: Session) -> dict[str, Any]:
    """{"accounts": {role: {code, name}}, "income": {line kind: {code, name}},
    "tax": {str(rate_id): {code, name, tax_code}}} with the defaults filled in."""
    org = _org(session)
    stored = dict(((org.settings or {}) if org else {}).get("accounting") or {})
    accounts = {role: {"code": code, "name": name} for role, (code, name, _label) in ACCOUNT_ROLES.items()}
    for role, value in (stored.get("accounts") or {}).items():
        if role in accounts and isinstance(value, dict):
            accounts[role].update({k: str(v) for k, v in value.items() if k in ("code", "name") and v})
    income = {}
    for kind in LINE_KINDS:
        code, name = DEFAULT_INCOME.get(kind, (accounts["income"]["code"], accounts["income"]["name"]))
        income[kind] = {"code": code, "name": name}
        value = (stored.get("income") or {}).get(kind)
        if isinstance(value, dict):
            income[kind].update({k: str(v) for k, v in value.items() if k in ("code", "name") and v})
    tax = {str(k): dict(v) for k, v in (stored.get("tax") or {}).items() if isinstance(v, dict)}
    return {"accounts": accounts, "income": income, "tax": tax}


def income_account(cfg: dict, source_type: str | None) -> tuple[str, str]:
    row = cfg["income"].get(source_type or "manual") or cfg["accounts"]["income"]
    return row["code"], row["name"]


def tax_account(cfg: dict, rate_id: int | None, percent: str) -> tuple[str, str, str]:
    """(account code, name, tax code) of a tax rate; the tax code defaults to the percent."""
    base = cfg["accounts"]["tax"]
    row = cfg["tax"].get(str(rate_id)) or {}
    return (row.get("code") or base["code"], row.get("name") or base["name"], row.get("tax_code") or f"TAX{percent}")


def _clean(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise DomainError("An account is a code and a name", field)
    out: dict[str, str] = {}
    code = str(value.get("code") or "").strip()
    if code:
        if not CODE_RE.match(code):
            raise DomainError("An account code is up to 40 letters, digits, spaces or . : / _ -", field)
        out["code"] = code
    name = str(value.get("name") or "").strip()
    if name:
        out["name"] = name[:120]
    tax_code = str(value.get("tax_code") or "").strip()
    if tax_code:
        if not CODE_RE.match(tax_code):
            raise DomainError("A tax code is up to 40 letters, digits, spaces or . : / _ -", field)
        out["tax_code"] = tax_code
    return out


def save_accounting_settings(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Store the accounts (only the roles given change); audited. Returns the merged settings."""
    org = _org(session)
    if org is None:
        raise DomainError("The organisation is not set up yet")
    stored = dict((org.settings or {}).get("accounting") or {})
    for section, allowed in (("accounts", ACCOUNT_ROLES), ("income", LINE_KINDS), ("tax", None)):
        given = values.get(section)
        if given is None:
            continue
        if not isinstance(given, dict):
            raise DomainError(f"{section}: an object of accounts", section)
        merged = dict(stored.get(section) or {})
        for key, value in given.items():
            if allowed is not None and key not in allowed:
                raise DomainError(f"Unknown {section} entry {key!r}", section)
            if allowed is None and not str(key).isdigit():
                raise DomainError("Tax accounts are given per tax rate id", section)
            merged[str(key)] = _clean(value, f"{section}.{key}")
        stored[section] = merged
    before = snapshot(org)
    org.settings = {**(org.settings or {}), "accounting": stored}
    session.add(org)
    record_update(session, actor, org, before, action="accounting_settings")
    return accounting_settings(session)
