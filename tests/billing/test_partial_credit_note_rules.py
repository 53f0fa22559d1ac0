"""Partial credit notes, rule by rule (billing/credit_notes.py): who can be credited, which
lines, the amount's line and tax, the "no more than the invoice" guard to the minor unit,
the credit note's own fields and what the audit says. Written against the survivors of the
mutation run (`bench/mutation_bench.py --only billing`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from l2c_app.billing import credit_notes
from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog

UP_TO = date(2026, 3, 31)


def issued(session, w, *amounts: int, tax=None) -> Invoice:
    """An issued invoice of fixed items (one line each), at 20 % VAT unless `tax`."""
    for amount in amounts:
        w.milestone(amount, kind="fixed", tax=tax)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    return billing.issue_invoice(session, SYSTEM, inv.id)


def with_manual(session, w, *lines: tuple[str, int, str]) -> Invoice:
    """An issued invoice of one 100.00 fixed item at 20 % plus manual lines (description, amount, tax %)."""
    w.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    for description, amount, pct in lines:
        billing.add_manual_line(session, SYSTEM, inv.id, description, amount, pct)
    return billing.issue_invoice(session, SYSTEM, inv.id)


def audit(session, action: str) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.entity == "invoice", AuditLog.action == action).order_by(AuditLog.id)
        )
    )


def refused(session, inv_id, **kw) -> DomainError:
    with pytest.raises(DomainError) as err:
        credit_notes.partial_credit_note(session, SYSTEM, inv_id, **kw)
    return err.value


def test_only_an_issued_invoice_is_credited(world, session):
    world.milestone(10000, kind="fixed")
    draft = billing.build_invoice(session, SYSTEM, world.pid, UP_TO)
    assert refused(session, draft.id, amount_minor=100).field == "status"  # a draft (no number)
    inv = billing.issue_invoice(session, SYSTEM, draft.id)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    assert refused(session, cn.id, amount_minor=1).field == "status"  # a credit note
    world.milestone(5000, kind="fixed")
    other = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    billing.void_invoice(session, SYSTEM, other.id)
    assert refused(session, other.id, amount_minor=1).field == "status"  # a void invoice


def test_lines_or_an_amount_never_both_nor_neither(world, session):
    inv = issued(session, world, 10000, 20000)
    lines = billing.lines_of(session, inv.id)
    assert refused(session, inv.id, line_ids=[lines[0].id], amount_minor=100).field == "line_ids"
    assert refused(session, inv.id).field == "line_ids"
    assert refused(session, inv.id, line_ids=[]).field == "line_ids"
    by_lines = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[0].id])
    by_amount = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    assert (by_lines.total_minor, by_amount.total_minor) == (-12000, -120)


def test_a_line_of_another_invoice_is_not_found_and_a_fresh_line_is_not_taken(world, session):
    first = issued(session, world, 10000)
    second = issued(session, world, 20000)
    (line2,) = billing.lines_of(session, second.id)
    err = refused(session, first.id, line_ids=[line2.id])
    assert err.kind == "not_found" and err.field == "line_ids"
    # the first invoice's line credited does not make the second's "already credited"
    (line1,) = billing.lines_of(session, first.id)
    credit_notes.partial_credit_note(session, SYSTEM, first.id, line_ids=[line1.id])
    assert credit_notes.credited_line_ids(session, second.id) == set()
    assert credit_notes.credited_line_ids(session, first.id) == {line1.id}
    cn = credit_notes.partial_credit_note(session, SYSTEM, second.id, line_ids=[line2.id])
    assert cn.total_minor == -24000


def test_a_line_of_one_minor_unit_is_credited_a_negative_line_is_not(world, session):
    inv = with_manual(session, world, ("Rounding", 1, "0"), ("Goodwill discount", -500, "0"))
    base, cent, discount = billing.lines_of(session, inv.id)
    assert inv.total_minor == 12000 + 1 - 500
    err = refused(session, inv.id, line_ids=[discount.id])
    assert err.field == "line_ids" and "no amount to credit" in err.message
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[cent.id])
    assert cn.total_minor == -1
    # a manual line bills no work: nothing is released
    assert audit(session, "release_sources")[-1].after == {
        "released": 0,
        "credit_note": cn.number,
        "line_ids": [cent.id],
    }
    assert session.get(Invoice, inv.id).credited_minor == 1


def test_credited_lines_are_negated_copies_in_order(world, session):
    long = "Workshop " + "x" * 600
    inv = with_manual(session, world, (long, 30000, "10"), ("Hosting", 4999, "20"))
    base, workshop, hosting = billing.lines_of(session, inv.id)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[hosting.id, workshop.id])
    got = billing.lines_of(session, cn.id)
    assert [ln.position for ln in got] == [1, 2]
    assert [ln.credits_line_id for ln in got] == [hosting.id, workshop.id]
    assert [(ln.unit_price_minor, ln.amount_minor, ln.tax_minor) for ln in got] == [
        (-4999, -4999, -1000),
        (-30000, -30000, -3000),
    ]
    assert [Decimal(ln.tax_percent) for ln in got] == [Decimal(20), Decimal(10)]
    assert got[1].description == ("Credit: " + workshop.description)[:500] and len(got[1].description) == 500
    assert cn.total_minor == -(4999 + 1000 + 30000 + 3000)


@pytest.mark.parametrize("amount", [0, -100, "100", 1.0, True])
def test_an_amount_must_be_a_positive_whole_number_of_minor_units(world, session, amount):
    inv = issued(session, world, 10000)
    assert refused(session, inv.id, amount_minor=amount).field == "amount_minor"
    assert session.exec(select(Invoice).where(Invoice.kind == "credit_note")).all() == []


def test_an_amount_of_one_minor_unit_is_credited(world, session):
    inv = issued(session, world, 10000)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=1)
    (line,) = billing.lines_of(session, cn.id)
    assert (line.amount_minor, line.tax_minor, cn.total_minor) == (-1, 0, -1)


def test_an_amount_needs_one_rate_among_the_positive_lines(world, session):
    # a cent at 0 % among 20 % lines is a second rate: credit lines instead
    inv = with_manual(session, world, ("Rounding", 1, "0"))
    err = refused(session, inv.id, amount_minor=100)
    assert err.code == "amount.several_rates" and err.field == "amount_minor"
    # a discount line at another rate is not a rate of what is sold
    other = with_manual(session, world, ("Goodwill discount", -500, "0"))
    cn = credit_notes.partial_credit_note(session, SYSTEM, other.id, amount_minor=1000)
    (line,) = billing.lines_of(session, cn.id)
    assert (Decimal(line.tax_percent), line.tax_minor, cn.total_minor) == (Decimal(20), -200, -1200)
    assert line.tax_rate_id == world.vat.id


def test_the_amount_line_says_why_and_takes_the_inclusive_rate(world, session):
    inv = issued(session, world, 12000, tax=world.vat_incl)  # 120.00 incl. 20.00 VAT
    assert inv.total_minor == 12000
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=6000)
    (line,) = billing.lines_of(session, cn.id)
    assert line.description == "Credit: price reduction" and line.position == 1
    assert (line.unit_price_minor, line.amount_minor, line.tax_minor, line.tax_inclusive) == (-6000, -6000, -1000, True)
    assert cn.total_minor == -6000
    why = "late delivery " + "y" * 600
    cn2 = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100, reason=f"  {why}  ")
    (line2,) = billing.lines_of(session, cn2.id)
    assert line2.description == f"Credit: {why}"[:500] and len(line2.description) == 500


def test_the_whole_exclusive_total_is_the_most_an_amount_credits(world, session):
    inv = issued(session, world, 10000)  # 100.00 + 20.00 VAT
    err = refused(session, inv.id, amount_minor=10001)  # 120.01 with its tax: one cent too much
    assert err.code == "amount.exceeds_invoice" and "€120.00" in err.message and "€120.01" in err.message
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=10000)
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 12000 and inv.status == "void"


def test_the_whole_inclusive_total_is_the_most_an_amount_credits(world, session):
    inv = issued(session, world, 12000, tax=world.vat_incl)
    assert refused(session, inv.id, amount_minor=12001).code == "amount.exceeds_invoice"
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=12000)
    inv = session.get(Invoice, inv.id)
    assert inv.credited_minor == 12000 and inv.status == "void" and billing.open_amount(session, inv) == 0


def test_what_earlier_credit_notes_took_counts_against_the_next(world, session):
    inv = issued(session, world, 10000, 20000)  # 360.00
    lines = billing.lines_of(session, inv.id)
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[lines[0].id])  # 120.00
    assert credit_notes.credited_total(session, inv.id) == 12000
    err = refused(session, inv.id, amount_minor=20001)  # 240.01 left would be needed
    assert err.code == "amount.exceeds_invoice" and "€240.00" in err.message
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=20000)
    assert credit_notes.credited_total(session, inv.id) == 36000
    assert session.get(Invoice, inv.id).status == "void"


def test_the_credit_note_fields(world, session):
    inv = issued(session, world, 10000)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=500, reason=" bad weather ")
    assert cn.kind == "credit_note" and cn.credit_for_invoice_id == inv.id
    assert cn.terms_days == 0 and cn.due_date == cn.issue_date
    assert len(cn.public_token) == len(inv.public_token) == 32  # 24 random bytes, as an invoice's link
    assert cn.notes == f"Partial credit note for {inv.number}: bad weather"
    plain = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=500)
    assert plain.notes == f"Partial credit note for {inv.number}"


def test_the_audit_says_what_was_credited_and_released(world, session):
    world.time(60)
    world.time(90)
    inv = issued(session, world, 10000)  # one time line (150 min of Developer, two entries) + one fixed item
    lines = billing.lines_of(session, inv.id)
    (time_line,) = [ln for ln in lines if ln.amount_minor == 9500 * 150 // 60]
    by_amount = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=100)
    by_line = credit_notes.partial_credit_note(session, SYSTEM, inv.id, line_ids=[time_line.id])
    rows = audit(session, "release_sources")
    assert [(r.entity_id, r.after) for r in rows] == [
        (inv.id, {"released": 0, "credit_note": by_amount.number, "line_ids": []}),
        (inv.id, {"released": 2, "credit_note": by_line.number, "line_ids": [time_line.id]}),
    ]
    partial = audit(session, "partial_credit")
    assert [(r.entity_id, r.after["credited_minor"]) for r in partial] == [
        (inv.id, 120),
        (inv.id, 120 + time_line.amount_minor + time_line.tax_minor),
    ]
    # the last credit note takes what is left: the fixed item's source is released with it
    assert inv.total_minor - credit_notes.credited_total(session, inv.id) == 12000 - 120
    credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=9900)
    assert session.get(Invoice, inv.id).status == "void"
    assert audit(session, "release_sources")[-1].after["released"] == 1
    assert billing.unbilled_total(session, world.pid, UP_TO) > 0
