"""Money: an integer count of minor units plus an ISO 4217 currency code. Never a float.

The one rounding rule of l2c: an exact `Decimal` amount of minor units is rounded
**once, per line, half-up** (ROUND_HALF_UP, away from zero on .5) by `round_minor`.
Everything that multiplies (quantity x price, discounts, tax) computes the exact
Decimal first and calls `round_minor` once for that line; sums of rounded lines are
then exact integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from l2c_app.core.errors import DomainError

# The largest amount l2c accepts anywhere an amount enters (|x| < 10^15 minor units:
# 10 trillion in a 2-decimal currency, 1 quadrillion JPY). Money columns are 64-bit
# (|x| < 2^63 ~ 9.2 x 10^18); the margin of ~9,000x means totals summed over thousands
# of such lines, and tax on them, still fit a column instead of failing in the database.
MAX_AMOUNT_MINOR = 10**15


def minor_digits(currency: str) -> int:
    """Digits after the decimal point for the currency (EUR 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency.upper())


def round_minor(value: Decimal | int) -> int:
    """THE rounding rule: exact minor units -> integer, half-up (away from zero)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_minor: int, percent: Decimal | int | str) -> Decimal:
    """Exact (unrounded) `percent` % of an amount of minor units."""
    return Decimal(amount_minor) * Decimal(percent) / Decimal(100)


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """Parse a major-unit amount typed by a person ("1,234.50") into minor units.

    Raises ValueError with a clear message for anything that is not a plain number or
    that has more decimals than the currency allows.
    """
    text = str(amount).strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not an amount")
    digits = minor_digits(currency)
    scaled = value * (Decimal(10) ** digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {digits} decimals (got {amount!r})")
    return int(scaled)


def check_amount(value: object, field: str, label: str = "The amount") -> int:
    """THE guard for an amount entering l2c (quote and catalog prices, deal values, change
    orders, manual invoice lines, payments, deposits): an integer of minor units whose
    magnitude a money column holds. Anything else is a DomainError (HTTP 422) naming `field`,
    never a database error. Sign rules (positive, not negative) stay with each caller.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{label} must be a whole number of minor units", field)
    if abs(value) >= MAX_AMOUNT_MINOR:
        raise DomainError(f"{label} is too large (at most {MAX_AMOUNT_MINOR - 1:,} minor units)", field)
    return value


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def format_money(amount_minor: int, currency: str, locale: str | None = None) -> str:
    """Human format with babel in the organisation's locale (`core.formats`), e.g. 123456 EUR ->
    '€1,234.56' (en-US) or '1.234,56 €' (de-DE). `locale` (babel spelling) overrides it."""
    if locale is None:
        from l2c_app.core import formats

        locale = formats.active().babel
    return format_currency(to_major(amount_minor, currency), currency.upper(), locale=locale)


@dataclass(frozen=True, slots=True)
class Money:
    """A value object for places that carry an amount together with its currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int (minor units), never a float")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO currency code: {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def format(self, locale: str | None = None) -> str:
        return format_money(self.minor, self.currency, locale)

    def as_json(self) -> dict[str, int | str]:
        return {"amount": self.minor, "currency": self.currency}
