"""The tax-by-rate table of an invoice or credit note (rate, base, tax), for its page and PDF.

It computes no tax: it only adds up the figures the invoice lines already carry
(`amount_minor`, `tax_minor`, both set by the one line-and-tax rule when the line was
built), grouped by rate. So the table always agrees, to the cent, with the lines and the
invoice's totals. For an inclusive rate the tax is inside the line amount, so the base
shown is the amount without it (amount - tax): the figure the tax was taken from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from l2c_app.billing.models import InvoiceLine


@dataclass(frozen=True)
class TaxRow:
    percent: Decimal
    inclusive: bool
    base_minor: int
    tax_minor: int

    @property
    def label(self) -> str:
        text = f"{self.percent.normalize():f}%"
        return text + " incl." if self.inclusive else text


def tax_by_rate(lines: Iterable[InvoiceLine]) -> list[TaxRow]:
    """One row per (rate, inclusive), highest rate first; lines without tax form the 0 % row."""
    groups: dict[tuple[Decimal, bool], list[int]] = {}
    for ln in lines:
        percent = Decimal(ln.tax_percent or 0)
        inclusive = bool(ln.tax_inclusive) and bool(percent)
        base = ln.amount_minor - ln.tax_minor if inclusive else ln.amount_minor
        acc = groups.setdefault((percent.normalize(), inclusive), [0, 0])
        acc[0] += base
        acc[1] += ln.tax_minor
    return [
        TaxRow(p, inc, base, tax)
        for (p, inc), (base, tax) in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1]))
    ]
