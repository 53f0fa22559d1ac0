"""THE line-and-tax rule of every document: quotes, contracts' figures, project plans,
change orders, invoices and credit notes all price a line and tax it here.

A line's amount
    exact = quantity x unit price x (1 - line discount %) x (1 - document discount %),
    rounded ONCE, half-up, to the minor unit (`line_amount`). An hourly line is priced as
    its time will be billed: the hourly rate after both discounts, rounded once
    (`hourly_rate`), times the hours rounded to the minute, rounded once (`time_amount`),
    so hours quoted = hours logged bills the quoted cents.

A line's tax, by the organisation's convention (`tax_convention`):
- "per_line" (default): the tax of each line is the rate applied to its ROUNDED amount,
  rounded once (`core.tax.line_tax`): 33.35 at 10 % -> 3.34, so the printed tax of a line
  is always its rate times its printed base. A document's tax is the sum of its lines'.
- "per_rate" (EN 16931 style, "tax per rate on the document"): the tax of each rate is
  the rate applied to the sum of that rate's rounded line amounts, rounded once
  (3 x 33.35 at 10 % -> 10.01, not 10.02). Lines still carry a share of it (so sums add
  up) but the document's figure is the per-rate one (`allocate_rate_tax`).
Either way an amount whose tax was already stated on another document (a deposit
deduction, a credited line) keeps that tax exactly ("fixed" tax), so the documents of
one sale add up to the tax of the sale.

A recurring line of N months is billed as N month lines that share the amount exactly
(`split_evenly`: the first months take the remainder); under "per_line" its tax is the
sum of its months' taxes, which is what the invoices will charge.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from l2c_app.core.money import percent_of, round_minor
from l2c_app.core.tax import exact_line_tax, line_tax

if TYPE_CHECKING:
    from sqlmodel import Session

    from l2c_app.core.audit import Actor

HUNDRED = Decimal(100)
PER_LINE = "per_line"
PER_RATE = "per_rate"
TAX_CONVENTIONS = {
    PER_LINE: "Tax per line: each line's tax is its rate applied to the line's rounded amount (default).",
    PER_RATE: "Tax per rate on the document (EN 16931): each rate's tax is applied once to the sum of "
    "that rate's lines.",
}
SETTING = "tax_convention"

__all__ = [
    "PER_LINE",
    "PER_RATE",
    "TAX_CONVENTIONS",
    "TaxItem",
    "allocate_rate_tax",
    "hourly_rate",
    "line_amount",
    "line_tax",
    "marked_up",
    "rate_tax",
    "split_evenly",
    "tax_convention",
    "time_amount",
]


def line_amount(
    quantity: Decimal | int | str,
    unit_price_minor: int,
    discount_percent: Decimal | int | str = 0,
    document_discount_percent: Decimal | int | str = 0,
) -> int:
    """A line's amount in minor units, rounded once (half-up)."""
    exact = (
        Decimal(quantity)
        * unit_price_minor
        * (HUNDRED - Decimal(discount_percent))
        / HUNDRED
        * (HUNDRED - Decimal(document_discount_percent))
        / HUNDRED
    )
    return round_minor(exact)


def hourly_rate(
    unit_price_minor: int, discount_percent: Decimal | int | str = 0, document_discount_percent: Decimal | int | str = 0
) -> int:
    """The rate an hour is billed at: the unit price after both discounts, rounded once."""
    return line_amount(1, unit_price_minor, discount_percent, document_discount_percent)


def marked_up(amount_minor: int, markup_percent: Decimal | int | str) -> int:
    """A rebilled cost with its markup: the amount plus `markup_percent` % of it, rounded once (half-up)."""
    return amount_minor + round_minor(percent_of(amount_minor, markup_percent))


def minutes_of(hours: Decimal | int | str) -> int:
    """Hours as whole minutes (how time is logged and billed)."""
    return round_minor(Decimal(hours) * 60)


def time_amount(minutes: int, rate_minor: int) -> int:
    """Money of time: minutes x hourly rate / 60, rounded once (half-up)."""
    return round_minor(Decimal(minutes) * rate_minor / 60)


def split_evenly(amount_minor: int, parts: int) -> list[int]:
    """`amount_minor` in `parts` shares that add up to it exactly; the first shares take the
    remainder (8.99 in 3 -> 3.00, 3.00, 2.99)."""
    if parts <= 0:
        return []
    base, rest = divmod(amount_minor, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def rate_tax(base_minor: int, percent: Decimal | int | str, inclusive: bool) -> int:
    """The tax of a base at a rate, rounded once (the per-rate convention applies it to the
    sum of a rate's rounded line amounts)."""
    return round_minor(exact_line_tax(base_minor, percent, inclusive))


@dataclass(frozen=True)
class TaxItem:
    """One line as the tax rule sees it. `fixed_tax`: the tax already stated for this amount
    on another document (a deposit deduction), kept as is."""

    key: Hashable
    amount_minor: int
    percent: Decimal
    inclusive: bool
    fixed_tax: int | None = None


def allocate_rate_tax(items: Sequence[TaxItem], convention: str) -> dict[Hashable, int]:
    """The tax of each item under `convention` (see module doc). Under "per_rate" the items
    of one (percent, inclusive) share round(rate x their summed amounts) plus the fixed
    taxes; the difference to the per-line figures goes, one minor unit at a time, to the
    largest lines first (ties: the earlier line), so the shares add up to the rate's tax."""
    out = {
        it.key: (it.fixed_tax if it.fixed_tax is not None else line_tax(it.amount_minor, it.percent, it.inclusive))
        for it in items
    }
    if convention != PER_RATE:
        return out
    groups: dict[tuple[Decimal, bool], list[TaxItem]] = {}
    for it in items:
        groups.setdefault((Decimal(it.percent), bool(it.inclusive)), []).append(it)
    for (percent, inclusive), group in groups.items():
        free = [it for it in group if it.fixed_tax is None]
        if not free or percent == 0:
            continue
        target = rate_tax(sum(it.amount_minor for it in free), percent, inclusive)
        diff = target - sum(out[it.key] for it in free)
        order = sorted(range(len(free)), key=lambda i: (-abs(free[i].amount_minor), i))
        step = 1 if diff > 0 else -1
        i = 0
        while diff:
            out[free[order[i % len(order)]].key] += step
            diff -= step
            i += 1
    return out


def document_tax(items: Iterable[TaxItem], convention: str) -> int:
    return sum(allocate_rate_tax(list(items), convention).values())


def tax_convention(session: Session) -> str:
    """The organisation's tax convention ("per_line" unless it chose "per_rate")."""
    from sqlmodel import col, select

    from l2c_app.core.models import Organisation

    org = session.exec(select(Organisation).order_by(col(Organisation.id))).first()
    value = ((org.settings or {}) if org else {}).get(SETTING)
    return value if value in TAX_CONVENTIONS else PER_LINE


def save_tax_convention(session: Session, actor: Actor, value: str) -> str:
    """Choose the organisation's tax convention (audited). Documents already issued keep
    their figures; drafts and quotes follow the new convention when next recomputed."""
    from sqlmodel import col, select

    from l2c_app.core.audit import record_update, snapshot
    from l2c_app.core.errors import DomainError
    from l2c_app.core.models import Organisation

    if value not in TAX_CONVENTIONS:
        raise DomainError(f"The tax convention must be one of {', '.join(TAX_CONVENTIONS)}", "tax_convention")
    org = session.exec(select(Organisation).order_by(col(Organisation.id))).first()
    if org is None:
        raise DomainError("Set up the organisation first.", "tax_convention")
    before = snapshot(org)
    org.settings = {**(org.settings or {}), SETTING: value}  # a new dict: JSON columns miss in-place edits
    session.add(org)
    record_update(session, actor, org, before, action="tax_convention")
    return value
