"""Settings > Catalog's forms: a tax rate or a catalog item as the form shows it, and the
submitted item form as the service's fields (plain functions; `CatalogState` calls them)."""

from __future__ import annotations

from typing import Any

from l2c_app.core.money import to_minor
from l2c_app.quotes import service as svc
from l2c_app.quotes.builder_form import NO_TAX, major


def tax_form(rate: dict[str, Any]) -> dict[str, str]:
    return {
        "name": rate["name"],
        "percent": str(rate["percent"]),
        "inclusive": "on" if rate["inclusive"] else "",
    }


def item_fields(form: dict[str, Any], kind: str) -> dict[str, Any]:
    """The submitted item form as the service's fields; a price it cannot read is a QuoteError."""
    currency = (form.get("currency") or "EUR").strip().upper()
    try:
        price = to_minor(form.get("price") or "", currency)
    except ValueError as exc:
        raise svc.QuoteError(f"Price: {exc}", "price") from None
    tax = form.get("tax_rate_id")
    return dict(
        name=form.get("name"),
        kind=kind,
        role=form.get("role"),
        unit=form.get("unit") or None,
        unit_price_minor=price,
        currency=currency,
        description=form.get("description"),
        tax_rate_id=None if tax in (None, "", NO_TAX) else tax,
    )


def item_form(item: dict[str, Any]) -> dict[str, str]:
    return {
        "name": item["name"],
        "role": item["role"],
        "unit": item["unit"],
        "price": major(int(item["unit_price_minor"]), item["currency"]),
        "currency": item["currency"],
        "description": item["description"],
        "tax_rate_id": str(item["tax_rate_id"]) if item["tax_rate_id"] else NO_TAX,
    }
