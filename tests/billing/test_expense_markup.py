"""An expense is billed once at its amount plus its markup, rounded once half-up (core.lines.marked_up),
taxed by the one line rule; a non-billable expense is never billed."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from l2c_app.core.lines import marked_up
from tests.billing.factory import World


def test_marked_up_rounds_once_half_up():
    assert marked_up(10_000, Decimal("15")) == 11_500
    assert marked_up(333, Decimal("10")) == 366  # 366.3
    assert marked_up(5, Decimal("10")) == 6  # 5.5 -> 6, half-up
    assert marked_up(12_345, Decimal("0")) == 12_345


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.decimals(min_value=0, max_value=500, places=4, allow_nan=False),
)
def test_marked_up_is_the_amount_plus_the_rounded_percent(amount, pct):
    got = marked_up(amount, pct)
    exact = Decimal(amount) * (1 + pct / 100)
    assert abs(Decimal(got) - exact) <= Decimal("0.5")


def test_the_invoice_bills_the_marked_up_expense_with_tax(session):
    w = World(session)
    e = w.expense(10_000, tax=w.vat)
    e.markup_percent = Decimal("15")
    w.expense(4_000, billable=False)
    session.flush()
    assert billing.unbilled_total(session, w.pid) == 11_500
    inv = billing.build_invoice(session, SYSTEM, w.pid, e.day)
    assert inv.subtotal_minor == 11_500
    assert inv.tax_minor == 2_300
    assert billing.unbilled_total(session, w.pid) == 0
