"""Per-rate tax shares negative manual lines too (found by the mutation bench: a manual line
has no source_type, and `NOT (source_type = 'deposit' AND amount < 0)` is NULL in SQL for a
negative one, so it was left out of its rate's sharing, as if it were a deposit deduction)."""

from __future__ import annotations

from decimal import Decimal

from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from tests.billing.factory import World
from tests.billing.test_ledger import UP_TO


def test_per_rate_shares_negative_manual_lines(session):
    w = World(session, tax_convention="per_rate")
    w.milestone(5000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    for _ in range(2):
        billing.add_manual_line(session, SYSTEM, inv.id, "Goodwill", -1667, tax_percent=Decimal(20))
    inv = session.get(type(inv), inv.id)
    # per line 1,000 - 333 - 333 = 334; the rate's sum 1,666 x 20 % = 333.2 -> 333
    assert inv.tax_minor == 333 and inv.total_minor == 1666 + 333
    assert sum(ln.tax_minor for ln in billing.lines_of(session, inv.id)) == 333
