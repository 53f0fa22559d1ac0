"""Tax rates and catalog items: the price list quotes are built from.

A rate or item in use is archived, not deleted, so every document keeps what it was made with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_delete, record_update, snapshot
from l2c_app.core.timeutil import utcnow
from l2c_app.quotes.inputs import CATALOG_KINDS, NotFound, QuoteError, _org, _text, parse_decimal, parse_minor
from l2c_app.quotes.models import CatalogItem, QuoteLine, TaxRate

# --- tax rates --------------------------------------------------------------------------------


def list_tax_rates(session: Session, include_archived: bool = False) -> list[TaxRate]:
    stmt = select(TaxRate).order_by(TaxRate.name, TaxRate.id)
    if not include_archived:
        stmt = stmt.where(TaxRate.archived_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def _tax_in_use(session: Session, tax_rate_id: int) -> bool:
    used_by_line = session.exec(
        select(func.count()).select_from(QuoteLine).where(QuoteLine.tax_rate_id == tax_rate_id)
    ).one()
    used_by_item = session.exec(
        select(func.count()).select_from(CatalogItem).where(CatalogItem.tax_rate_id == tax_rate_id)
    ).one()
    return bool(used_by_line or used_by_item)


def _tax_fields(name: Any, percent: Any) -> tuple[str, Decimal]:
    return (
        _text(name, "name", "Tax name", 100, required=True),  # type: ignore[return-value]
        parse_decimal(percent, "percent", "Tax percent", places=4, maximum=Decimal(100)),
    )


def create_tax_rate(session: Session, actor: Actor, *, name: Any, percent: Any, inclusive: bool = False) -> TaxRate:
    name, pct = _tax_fields(name, percent)
    rate = TaxRate(name=name, percent=pct, inclusive=bool(inclusive))
    session.add(rate)
    record_create(session, actor, rate)
    return rate


def get_tax_rate(session: Session, tax_rate_id: int) -> TaxRate:
    rate = session.get(TaxRate, tax_rate_id)
    if rate is None:
        raise NotFound(f"Tax rate {tax_rate_id}", "tax_rate_id")
    return rate


def update_tax_rate(
    session: Session, actor: Actor, tax_rate_id: int, *, name: Any, percent: Any, inclusive: bool
) -> TaxRate:
    """A rate in use keeps its percent and mode (sent quotes must not change): archive it and add a new one."""
    rate = get_tax_rate(session, tax_rate_id)
    name, pct = _tax_fields(name, percent)
    if (pct != rate.percent or bool(inclusive) != rate.inclusive) and _tax_in_use(session, rate.id):  # type: ignore[arg-type]
        raise QuoteError(
            f"{rate.name} is used by quotes or catalog items: its percent cannot change. "
            "Archive it and create a new rate.",
            "percent",
        )
    before = snapshot(rate)
    rate.name, rate.percent, rate.inclusive = name, pct, bool(inclusive)
    record_update(session, actor, rate, before)
    return rate


def remove_tax_rate(session: Session, actor: Actor, tax_rate_id: int) -> str:
    """Delete an unused rate; archive one that is in use. Returns 'deleted' or 'archived'."""
    rate = get_tax_rate(session, tax_rate_id)
    return _archive_or_delete(session, actor, rate, _tax_in_use(session, tax_rate_id))


def restore_tax_rate(session: Session, actor: Actor, tax_rate_id: int) -> TaxRate:
    return _restore(session, actor, get_tax_rate(session, tax_rate_id))


def _usable_tax(
    session: Session, tax_rate_id: Any, field: str = "tax_rate_id", allow_archived_id: int | None = None
) -> int | None:
    if tax_rate_id in (None, "", 0, "0", "none"):
        return None
    try:
        tid = int(tax_rate_id)
    except (TypeError, ValueError):
        raise QuoteError(f"Unknown tax rate {tax_rate_id!r}.", field) from None
    rate = session.get(TaxRate, tid)
    if rate is None:
        raise QuoteError(f"Unknown tax rate {tax_rate_id!r}: define it under Settings > Catalog first.", field)
    if rate.archived_at is not None and tid != allow_archived_id:
        raise QuoteError(f"The tax rate {rate.name} is archived; choose another.", field)
    return tid


# --- catalog ----------------------------------------------------------------------------------


def list_catalog(session: Session, include_archived: bool = False) -> list[CatalogItem]:
    stmt = select(CatalogItem).order_by(CatalogItem.name, CatalogItem.id)
    if not include_archived:
        stmt = stmt.where(CatalogItem.archived_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def get_catalog_item(session: Session, item_id: int) -> CatalogItem:
    item = session.get(CatalogItem, item_id)
    if item is None:
        raise NotFound(f"Catalog item {item_id}", "catalog_item_id")
    return item


def _catalog_fields(session: Session, data: dict[str, Any], current: CatalogItem | None = None) -> dict[str, Any]:
    kind = str(data.get("kind", current.kind if current else "fixed")).strip()
    if kind not in CATALOG_KINDS:
        raise QuoteError(f"Kind must be one of: {', '.join(CATALOG_KINDS)}.", "kind")
    currency = str(data.get("currency", current.currency if current else "")).strip().upper()
    if not currency:
        org = _org(session)
        currency = org.currency if org else "EUR"
    if len(currency) != 3 or not currency.isalpha():
        raise QuoteError("Currency must be an ISO code like EUR.", "currency")
    role = _text(data.get("role", current.role if current else None), "role", "Role", 100)
    if kind == "hourly" and not role:
        raise QuoteError("An hourly item needs a role, e.g. Senior developer.", "role")
    return {
        "name": _text(data.get("name", current.name if current else None), "name", "Name", 200, required=True),
        "description": _text(
            data.get("description", current.description if current else None), "description", "Description", 5000
        ),
        "kind": kind,
        "unit": _text(
            data.get("unit") or (current.unit if current and "kind" not in data else CATALOG_KINDS[kind]),
            "unit",
            "Unit",
            20,
            required=True,
        ),
        "role": role if kind == "hourly" else None,
        "unit_price_minor": parse_minor(
            data.get("unit_price_minor", current.unit_price_minor if current else None), "unit_price_minor", "Price"
        ),
        "currency": currency,
        "tax_rate_id": _usable_tax(
            session,
            data.get("tax_rate_id", current.tax_rate_id if current else None),
            allow_archived_id=current.tax_rate_id if current else None,
        ),
    }


def create_catalog_item(session: Session, actor: Actor, **data: Any) -> CatalogItem:
    item = CatalogItem(**_catalog_fields(session, data))
    session.add(item)
    record_create(session, actor, item)
    return item


def update_catalog_item(session: Session, actor: Actor, item_id: int, **data: Any) -> CatalogItem:
    item = get_catalog_item(session, item_id)
    fields = _catalog_fields(session, data, item)
    before = snapshot(item)
    for k, v in fields.items():
        setattr(item, k, v)
    record_update(session, actor, item, before)
    return item


def remove_catalog_item(session: Session, actor: Actor, item_id: int) -> str:
    """Delete an unused item; archive one a quote already uses. Returns 'deleted' or 'archived'."""
    item = get_catalog_item(session, item_id)
    used = session.exec(select(func.count()).select_from(QuoteLine).where(QuoteLine.catalog_item_id == item_id)).one()
    return _archive_or_delete(session, actor, item, bool(used))


def restore_catalog_item(session: Session, actor: Actor, item_id: int) -> CatalogItem:
    return _restore(session, actor, get_catalog_item(session, item_id))


def _archive_or_delete(session: Session, actor: Actor, row, used: bool) -> str:
    """Once used by a quote, a rate or an item is archived (old quotes keep pointing at it);
    never used, it is deleted."""
    if used:
        before = snapshot(row)
        row.archived_at = row.archived_at or utcnow()
        record_update(session, actor, row, before, action="archive")
        return "archived"
    record_delete(session, actor, row)
    session.delete(row)
    return "deleted"


def _restore(session: Session, actor: Actor, row):
    before = snapshot(row)
    row.archived_at = None
    record_update(session, actor, row, before, action="restore")
    return row
