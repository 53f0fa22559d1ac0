"""Property: for any mix of time, milestones and change orders, the invoice total is the sum
of what it bills, and nothing billable up to the date is left unbilled afterwards."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.tax import line_tax
from tests.billing.factory import World
from tests.conftest import examples_for

UP_TO = date(2026, 3, 31)

time_st = st.tuples(
    st.integers(1, 600), st.integers(0, 40), st.booleans(), st.booleans(), st.sampled_from([0, 8000, 9500, 12345, 333])
)
ms_st = st.tuples(st.integers(0, 10**7), st.sampled_from(["fixed", "milestone"]), st.booleans(), st.booleans())
co_st = st.tuples(st.integers(0, 10**7), st.sampled_from(["approved", "sent", "draft"]))


def test_total_is_sum_of_sources_and_nothing_left(db_url):
    @settings(max_examples=examples_for(db_url, 25, 6), deadline=None)
    @given(
        times=st.lists(time_st, max_size=12),
        milestones=st.lists(ms_st, max_size=4),
        changes=st.lists(co_st, max_size=4),
        itemise=st.booleans(),
    )
    def prop(times, milestones, changes, itemise):
        from l2c_app.core.db import engine_for

        with Session(engine_for(db_url), expire_on_commit=False) as s:
            w = World(s, itemise_time=itemise)
            for minutes, day_offset, approved, use_design, rate in times:
                w.time(
                    minutes,
                    day=date(2026, 3, 1 + day_offset) if day_offset < 31 else date(2026, 4, 1 + day_offset - 31),
                    approved=approved,
                    line=w.design if use_design else w.dev,
                    rate=rate,
                )
            for amount, kind, reached, inclusive in milestones:
                w.milestone(amount, kind=kind, reached=reached, tax=w.vat_incl if inclusive else w.vat)
            for amount, status in changes:
                w.change_order(amount, status=status)
            expected_any = bool(billing.unbilled_candidates(s, w.pid, UP_TO))
            if not expected_any:
                with pytest.raises(billing.BillingError):
                    billing.build_invoice(s, SYSTEM, w.pid, UP_TO)
                s.rollback()
                return
            inv = billing.build_invoice(s, SYSTEM, w.pid, UP_TO)
            lines = billing.lines_of(s, inv.id)
            assert inv.subtotal_minor == sum(ln.amount_minor for ln in lines)
            # inclusive taxes are inside the amounts: only the exclusive ones are added
            assert inv.total_minor == inv.subtotal_minor + sum(ln.tax_minor for ln in lines if not ln.tax_inclusive)
            assert inv.tax_minor == sum(ln.tax_minor for ln in lines)
            assert all(ln.tax_minor == line_tax(ln.amount_minor, ln.tax_percent, ln.tax_inclusive) for ln in lines)
            assert billing.billed_sources_total(s, inv.id) == inv.subtotal_minor
            assert billing.unbilled_candidates(s, w.pid, UP_TO) == []
            s.rollback()

    prop()


@pytest.mark.postgres
def test_concurrent_issue_numbers_have_no_gaps_and_no_repeats(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the row-lock race is a PostgreSQL test")
    from l2c_app.core.db import engine_for

    engine = engine_for(db_url)
    with Session(engine, expire_on_commit=False) as s:
        w = World(s)
        ids = []
        for i in range(24):
            w.change_order(100 + i)
            ids.append(billing.build_invoice(s, SYSTEM, w.pid, UP_TO).id)
        s.commit()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(chunk: list[int]) -> None:
        barrier.wait()
        for inv_id in chunk:
            try:
                with Session(engine, expire_on_commit=False) as s:
                    billing.issue_invoice(s, SYSTEM, inv_id, issue_date=date(2026, 6, 1))
                    s.commit()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(ids[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        numbers = sorted(inv.number for inv in s.query(Invoice).all())
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 25)]
