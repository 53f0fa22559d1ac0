"""THE tax rule of a line, shared by quotes and invoices so both show the same cents.

exclusive rate: tax = exact amount x rate / 100            (added on top of the amount)
inclusive rate: tax = exact amount x rate / (100 + rate)   (already contained in the amount)

`exact_line_tax` is unrounded (callers that carry an exact amount round once);
`line_tax` rounds once with `round_minor`. A totals sum adds exclusive taxes only.
"""

from __future__ import annotations

from decimal import Decimal

from l2c_app.core.money import round_minor

HUNDRED = Decimal(100)


def exact_line_tax(exact_amount: Decimal | int, rate: Decimal | int | str, inclusive: bool) -> Decimal:
    rate = Decimal(rate)
    if rate == 0:
        return Decimal(0)
    if inclusive:
        return Decimal(exact_amount) * rate / (HUNDRED + rate)
    return Decimal(exact_amount) * rate / HUNDRED


def line_tax(amount: Decimal | int, rate: Decimal | int | str, inclusive: bool) -> int:
    """The tax of one line in minor units, rounded once (half-up)."""
    return round_minor(exact_line_tax(amount, rate, inclusive))
