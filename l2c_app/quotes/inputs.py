"""Quotes: limits, errors and the small parsers shared by the UI, the API and the tests.

Every change is validated first and raises `QuoteError` (naming the field) before anything is
written, so bad input changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from l2c_app.core import timeutil
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Organisation
from l2c_app.core.money import check_amount, to_minor
from l2c_app.quotes.models import Quote

CATALOG_KINDS = {"fixed": "unit", "hourly": "hour", "recurring": "month"}
BILLING_KINDS = ("fixed", "milestone", "hourly", "recurring")
# Catalog kind -> billing kind of a line made from it.
_KIND_TO_BILLING = {"fixed": "fixed", "hourly": "hourly", "recurring": "recurring"}
EDITABLE = ("draft",)
DEFAULT_VALID_DAYS = 30
MAX_LINES = 1000


class QuoteError(DomainError):
    """A message for the person (or API client) who asked; `field` names the bad input."""


class NotFound(QuoteError):
    default_kind = "not_found"

    def __init__(self, what: str, field: str | None = None):
        super().__init__(f"{what} not found.", field)


# --- small parsers (the same for the UI, the API and the tests) ------------------------------


def parse_decimal(
    value: Any,
    field: str,
    label: str,
    *,
    places: int,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    text = str(value).strip().replace(",", ".") if value is not None else ""
    if text == "":
        raise QuoteError(f"{label} is required.", field)
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise QuoteError(f"{label} must be a number (got {value!r}).", field) from None
    if not d.is_finite():
        raise QuoteError(f"{label} must be a number (got {value!r}).", field)
    if minimum is not None and d < minimum:
        raise QuoteError(
            f"{label} cannot be negative." if minimum == 0 else f"{label} must be at least {minimum}.", field
        )
    if maximum is not None and d > maximum:
        raise QuoteError(f"{label} must be at most {maximum}.", field)
    if d != d.quantize(Decimal(1).scaleb(-places)):
        raise QuoteError(f"{label} has at most {places} decimals.", field)
    return d


def parse_minor(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise QuoteError(f"{label} must be a whole number of minor units (cents).", field) from None
    if value < 0:
        raise QuoteError(f"{label} cannot be negative.", field)
    return check_amount(value, field, label)


def parse_date(value: Any, field: str, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise QuoteError(f"{label} must be a date like 2026-12-31 (got {value!r}).", field) from None


def _text(value: Any, field: str, label: str, max_len: int, required: bool = False) -> str | None:
    text = str(value).strip() if value is not None else ""
    if required and not text:
        raise QuoteError(f"{label} is required.", field)
    if len(text) > max_len:
        raise QuoteError(f"{label} is too long (at most {max_len} characters).", field)
    return text or None


MAX_QUANTITY = Decimal("99999999999")
LINE_VALUE_FIELDS = ("quantity", "unit_price", "discount_percent", "quote_discount")


def line_value(field: str, value: Any, currency: str = "EUR") -> Decimal | int:
    """THE rule for a figure typed into a quote: the builder checks each keystroke with it
    (a refused value is shown as invalid, with this message) and the service validates
    with it before writing. `unit_price` is typed in major units and returns minor units.
    Raises QuoteError naming the field."""
    if field == "quantity":
        return parse_decimal(value, "quantity", "Quantity", places=3, maximum=MAX_QUANTITY)
    if field == "discount_percent":
        return parse_decimal(
            value if str(value or "").strip() else "0",
            "discount_percent",
            "Line discount",
            places=4,
            maximum=Decimal(100),
        )
    if field == "quote_discount":
        return parse_decimal(
            value if str(value or "").strip() else "0",
            "discount_percent",
            "Quote discount",
            places=4,
            maximum=Decimal(100),
        )
    if field == "unit_price":
        text = str(value if value is not None else "").strip()
        try:
            minor = to_minor(text or "0", currency)
        except ValueError as exc:
            raise QuoteError(f"Unit price: {exc}", "unit_price") from None
        if minor < 0:
            raise QuoteError("Unit price cannot be negative.", "unit_price")
        try:
            return check_amount(minor, "unit_price", "Unit price")
        except DomainError as exc:
            raise QuoteError(exc.message, "unit_price") from None
    raise QuoteError(f"Unknown figure {field!r}.", field)


def line_value_error(field: str, value: Any, currency: str = "EUR") -> str:
    """The reason `value` is refused for `field`, or "" when `line_value` accepts it."""
    try:
        line_value(field, value, currency)
    except QuoteError as exc:
        return exc.message
    return ""


def qty_str(d: Decimal | int | str) -> str:
    """12.500 -> '12.5', 3.000 -> '3' (how a person writes a quantity)."""
    d = Decimal(d)
    text = format(d.normalize(), "f")
    return text


def pct_str(d: Decimal | int | str) -> str:
    return qty_str(d)


def _org(session: Session) -> Organisation | None:
    return get_organisation(session)


def org_today(session: Session) -> date:
    return timeutil.org_today(session)


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def public_url(quote: Quote) -> str:
    return f"{get_settings().app_base_url}/q/{quote.public_token}"


def quote_label(quote: Quote) -> str:
    return f"Q{quote.deal_id}-{quote.number} v{quote.version}"
