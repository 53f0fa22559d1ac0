"""The totals of a quote: ONE pure function, used by the builder page, the client's page,
the PDF, the contract and the API, so every place shows the same cents.

The line-and-tax rule is `core/lines` (the one rule of every document). Per line:

    amount     = round(qty x unit price x (1 - line discount %))          what the line lists
    discounted = round(qty x unit price x (1 - line discount %) x (1 - quote discount %))
                 hourly lines: round(minutes x round(rate after both discounts) / 60),
                 exactly what logging the quoted hours will bill
    tax        by the organisation's convention (core/lines):
               per_line: round(discounted x rate %) on the ROUNDED discounted amount
                         (inclusive: round(discounted x rate / (100 + rate)), already inside);
                         a recurring line: the sum of its months' taxes
               per_rate: each rate's tax = round(rate x sum of its lines' discounted amounts),
                         shared out over its lines

    subtotal   = sum(amount)                      of the included lines
    discount   = subtotal - sum(discounted)       the quote-level discount
    each tax   = of the lines with that rate (its base = the sum of their discounted amounts)
    total      = subtotal - discount + sum(exclusive taxes)

Included lines are the non-optional ones plus the optional ones the client ticked.
The order of the lines never changes a total, and total = subtotal - discount +
exclusive taxes holds exactly. Inputs are validated (no negative quantity, price, rate;
discounts 0..100; prices are integers, never floats), so no figure is ever negative.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from l2c_app.core.errors import DomainError
from l2c_app.core.lines import (
    PER_LINE,
    TAX_CONVENTIONS,
    TaxItem,
    allocate_rate_tax,
    hourly_rate,
    line_amount,
    minutes_of,
    split_evenly,
    time_amount,
)

HUNDRED = Decimal(100)


class TotalsInputError(DomainError):
    """An input the totals cannot be computed from; `field` names it (first, unlike DomainError)."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field)


@dataclass(frozen=True)
class LineInput:
    key: Hashable  # the line's id (or position) so callers find its figures again
    quantity: Decimal | int | str
    unit_price_minor: int
    discount_percent: Decimal | int | str = Decimal(0)
    tax_key: Hashable | None = None  # identifies the rate (its id); None = no tax
    tax_name: str = ""
    tax_percent: Decimal | int | str = Decimal(0)
    tax_inclusive: bool = False
    optional: bool = False
    selected: bool = True  # optional lines: ticked by the client
    kind: str = "fixed"  # billing kind: hourly lines are priced as their time; recurring ones per month


@dataclass(frozen=True)
class LineTotal:
    key: Hashable
    included: bool  # counts towards the totals
    amount_minor: int  # qty x price less the line discount (what the line lists)
    discounted_minor: int  # after the quote-level discount too
    tax_minor: int


@dataclass(frozen=True)
class TaxTotal:
    key: Hashable
    name: str
    percent: Decimal
    inclusive: bool
    base_minor: int  # the discounted amounts the rate applies to
    tax_minor: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineTotal, ...]
    subtotal_minor: int
    discount_minor: int
    taxes: tuple[TaxTotal, ...]
    tax_minor: int  # every tax, inclusive ones too
    exclusive_tax_minor: int  # the taxes added on top
    total_minor: int

    def line(self, key: Hashable) -> LineTotal:
        index: dict[Hashable, LineTotal] | None = self.__dict__.get("_index")
        if index is None:  # built once: views look up every line (O(n), not O(n^2))
            index = {lt.key: lt for lt in self.lines}
            object.__setattr__(self, "_index", index)
        return index[key]


def _dec(value: Decimal | int | str, field: str) -> Decimal:
    if isinstance(value, float):  # floats carry binary noise: never in money paths
        value = str(value)
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise TotalsInputError(field, f"{field}: {value!r} is not a number") from None
    if not d.is_finite():
        raise TotalsInputError(field, f"{field}: {value!r} is not a number")
    return d


def _percent(value: Decimal | int | str, field: str, upper: Decimal | None = HUNDRED) -> Decimal:
    d = _dec(value, field)
    if d < 0 or (upper is not None and d > upper):
        bound = f"between 0 and {upper}" if upper is not None else "0 or more"
        raise TotalsInputError(field, f"{field} must be {bound} (got {value})")
    return d


def recurring_months(quantity: Decimal | int | str) -> int:
    """A recurring line's quantity is its months; a part month still is a month to bill."""
    return max(1, int(Decimal(quantity).to_integral_value(rounding=ROUND_CEILING)))


def compute_totals(
    lines: Iterable[LineInput], discount_percent: Decimal | int | str = 0, convention: str = PER_LINE
) -> Totals:
    """Every figure of a quote from its lines and its quote-level discount (see module doc)."""
    if convention not in TAX_CONVENTIONS:
        raise TotalsInputError("tax_convention", f"unknown tax convention {convention!r}")
    quote_discount = _percent(discount_percent, "discount_percent")
    rows: list[tuple[LineInput, bool, int, int, Decimal]] = []
    items: list[TaxItem] = []
    for n, line in enumerate(lines):
        qty = _dec(line.quantity, "quantity")
        if qty < 0:
            raise TotalsInputError("quantity", f"quantity must be 0 or more (got {line.quantity})")
        if isinstance(line.unit_price_minor, bool) or not isinstance(line.unit_price_minor, int):
            raise TotalsInputError("unit_price", "unit_price must be an integer count of minor units")
        if line.unit_price_minor < 0:
            raise TotalsInputError("unit_price", "unit_price must be 0 or more")
        line_discount = _percent(line.discount_percent, "line discount_percent")
        rate = _percent(line.tax_percent, "tax percent", upper=None) if line.tax_key is not None else Decimal(0)
        if line.kind == "hourly":
            minutes = minutes_of(qty)
            amount = time_amount(minutes, hourly_rate(line.unit_price_minor, line_discount))
            discounted = time_amount(minutes, hourly_rate(line.unit_price_minor, line_discount, quote_discount))
        else:
            amount = line_amount(qty, line.unit_price_minor, line_discount)
            discounted = line_amount(qty, line.unit_price_minor, line_discount, quote_discount)
        included = (not line.optional) or line.selected
        rows.append((line, included, amount, discounted, rate))
        if included and line.tax_key is not None:
            if line.kind == "recurring":  # billed month by month: taxed as its months
                for m, part in enumerate(split_evenly(discounted, recurring_months(qty))):
                    items.append(TaxItem((n, m), part, rate, line.tax_inclusive))
            else:
                items.append(TaxItem((n, 0), discounted, rate, line.tax_inclusive))
    taxes_of = allocate_rate_tax(items, convention)
    tax_per_line: dict[int, int] = {}
    for key, tax in taxes_of.items():
        n = key[0]  # type: ignore[index]  # keys are the (line, month) pairs made above
        tax_per_line[n] = tax_per_line.get(n, 0) + tax
    results: list[LineTotal] = []
    # (key, name, percent, inclusive) -> [base, tax]
    tax_groups: dict[tuple[Hashable, str, Decimal, bool], list[int]] = {}
    subtotal = discounted_sum = exclusive = every_tax = 0
    for n, (line, included, amount, discounted, rate) in enumerate(rows):
        tax = tax_per_line.get(n, 0)
        results.append(LineTotal(line.key, included, amount, discounted, tax))
        if not included:
            continue
        subtotal += amount
        discounted_sum += discounted
        if line.tax_key is not None:
            group = tax_groups.setdefault((line.tax_key, line.tax_name, rate, line.tax_inclusive), [0, 0])
            group[0] += discounted
            group[1] += tax
            every_tax += tax
            if not line.tax_inclusive:
                exclusive += tax
    # Stable order whatever the order of the lines: by name, then rate, then key.
    taxes = tuple(
        TaxTotal(k, name, pct, inc, base, tax)
        for (k, name, pct, inc), (base, tax) in sorted(
            tax_groups.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3], str(kv[0][0]))
        )
    )
    discount = subtotal - discounted_sum
    return Totals(
        lines=tuple(results),
        subtotal_minor=subtotal,
        discount_minor=discount,
        taxes=taxes,
        tax_minor=every_tax,
        exclusive_tax_minor=exclusive,
        total_minor=subtotal - discount + exclusive,
    )
