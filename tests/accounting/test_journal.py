"""The journal, one entry kind at a time (SQLite and PostgreSQL): what is posted where, every
entry balanced, keyed by its source (a second build adds nothing), corrections as new entries."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from l2c_app.accounting import journal
from l2c_app.accounting.models import JournalEntry, JournalLine
from l2c_app.accounting.settings import save_accounting_settings
from l2c_app.billing import credit_notes, ledger
from l2c_app.billing import service as billing
from l2c_app.core.audit import SYSTEM
from tests.accounting import stripe_events as se
from tests.billing.factory import World

UP_TO = date(2026, 3, 31)


@pytest.fixture
def world(session):
    w = World(session)
    session.commit()
    return w


def issued(session, w: World, *amounts: int, tax=None):
    for amount in amounts:
        w.milestone(amount, kind="fixed", tax=tax)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    return billing.issue_invoice(session, SYSTEM, inv.id)


def entries(session, source_type: str | None = None) -> list[JournalEntry]:
    q = select(JournalEntry).order_by(JournalEntry.id)
    if source_type:
        q = q.where(JournalEntry.source_type == source_type)
    return list(session.exec(q))


def lines(session, entry: JournalEntry) -> dict[str, int]:
    """account code -> debit - credit of one entry."""
    out: dict[str, int] = {}
    for ln in session.exec(select(JournalLine).where(JournalLine.entry_id == entry.id)):
        out[ln.account] = out.get(ln.account, 0) + ln.debit_minor - ln.credit_minor
    return out


def post(session) -> int:
    n = journal.post_pending(session)
    session.flush()
    assert journal.unbalanced_entries(session) == []
    assert journal.post_pending(session) == 0  # idempotent: a second build adds nothing
    return n


def test_an_issued_invoice_posts_receivable_income_and_tax_by_rate(session, world):
    inv = issued(session, world, 10000, 5000)  # 150.00 + 20 % VAT
    world.time(90)  # 1.5 h developer at 95.00, 20 %
    assert post(session) == 1
    (e,) = entries(session)
    assert (e.source_type, e.source_id, e.seq, e.kind, e.currency) == ("invoice", inv.id, 1, "invoice_issued", "EUR")
    assert e.entry_date == inv.issue_date and e.reference == inv.number and e.account_id == world.account.id
    assert lines(session, e) == {"1200": 18000, "4000": -15000, "2200": -3000}
    tax = session.exec(select(JournalLine).where(JournalLine.entry_id == e.id, JournalLine.account == "2200")).one()
    assert tax.tax_code == "TAX20"


def test_income_per_line_kind_and_tax_per_rate_follow_the_settings(session, world):
    save_accounting_settings(
        session,
        SYSTEM,
        {
            "income": {"milestone": {"code": "4010", "name": "Fixed fees"}},
            "tax": {str(world.vat.id): {"code": "2210", "tax_code": "S20"}},
        },
    )
    world.milestone(10000, kind="fixed")
    world.expense(3000)
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, world.pid, UP_TO).id)
    post(session)
    (e,) = entries(session)
    assert lines(session, e) == {"1200": inv.total_minor, "4010": -10000, "4900": -3000, "2210": -2000}
    codes = {ln.account: ln.tax_code for ln in session.exec(select(JournalLine).where(JournalLine.entry_id == e.id))}
    assert codes["2210"] == "S20" and codes["4010"] is None


def test_an_inclusive_rate_takes_its_tax_out_of_the_line(session, world):
    inv = issued(session, world, 12000, tax=world.vat_incl)  # 120.00 incl. 20 %: 100.00 + 20.00
    post(session)
    (e,) = entries(session)
    assert inv.total_minor == 12000 and lines(session, e) == {"1200": 12000, "4000": -10000, "2200": -2000}


def test_a_credit_note_reverses_and_a_partial_one_reverses_part(session, world):
    inv = issued(session, world, 10000)
    cn = credit_notes.partial_credit_note(session, SYSTEM, inv.id, amount_minor=2500, reason="discount")
    post(session)
    e_cn = entries(session, "credit_note")[0]
    assert e_cn.source_id == cn.id and e_cn.kind == "credit_note"
    assert lines(session, e_cn) == {"1200": -3000, "4000": 2500, "2200": 500}
    full = billing.credit_note(session, SYSTEM, issued(session, world, 4000).id)
    post(session)
    assert lines(session, entries(session, "credit_note")[1]) == {"1200": -4800, "4000": 4000, "2200": 800}
    assert full.total_minor == -4800


def test_a_void_unpaid_invoice_is_reversed_by_a_new_entry(session, world):
    inv = issued(session, world, 10000)
    post(session)
    billing.void_invoice(session, SYSTEM, inv.id, "sent twice")
    assert post(session) == 1
    first, second = entries(session)
    assert (second.seq, second.kind) == (2, "invoice_voided")
    assert lines(session, second) == {"1200": -12000, "4000": 10000, "2200": 2000}
    assert journal.account_balance(session, "receivable", "EUR") == 0


def test_a_manual_payment_then_its_reversal(session, world):
    inv = issued(session, world, 10000)
    pay = billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=5000, method="bank_transfer")
    post(session)
    (e,) = entries(session, "payment")
    assert e.kind == "payment" and lines(session, e) == {"1000": 5000, "1200": -5000}
    ledger.reverse_payment(session, SYSTEM, pay.id, "bounced")
    post(session)
    e1, e2 = entries(session, "payment")
    assert (e2.seq, e2.kind) == (2, "payment_correction") and lines(session, e2) == {"1000": -5000, "1200": 5000}
    assert journal.account_balance(session, "receivable", "EUR") == billing.open_amount(session, inv) == 12000


def test_a_stripe_payment_its_fee_and_the_payout(session, world):
    inv = issued(session, world, 10000)
    pay = se.stripe_pay(session, inv, 12000, fee=378)
    post(session)
    (p,) = entries(session, "payment")
    (f,) = entries(session, "stripe_fee")
    assert p.kind == "stripe_payment" and lines(session, p) == {"1010": 12000, "1200": -12000}
    assert lines(session, f) == {"6150": 378, "1010": -378}
    assert journal.account_balance(session, "stripe_clearing", "EUR") == 12000 - 378
    pid = se.payout(session, 12000 - 378, "EUR")
    post(session)
    (po,) = entries(session, "payout")
    assert lines(session, po) == {"1000": 11622, "1010": -11622}
    assert journal.account_balance(session, "stripe_clearing", "EUR") == 0
    se.payout(session, 12000 - 378, "EUR", status="failed", pid=pid)  # failed after it showed paid
    post(session)
    assert lines(session, entries(session, "payout")[1]) == {"1000": -11622, "1010": 11622}
    assert journal.account_balance(session, "stripe_clearing", "EUR") == 11622
    assert pay.fee_minor == 378


def test_a_refund_and_a_failed_refund(session, world):
    inv = issued(session, world, 10000)
    pay = se.stripe_pay(session, inv, 12000)
    rid = se.refund(session, pay, 2000)
    post(session)
    (r,) = entries(session, "refund")
    assert r.kind == "refund" and lines(session, r) == {"1200": 2000, "1010": -2000}
    se.refund_failed(session, pay, rid, 2000)
    post(session)
    assert lines(session, entries(session, "refund")[1]) == {"1200": -2000, "1010": 2000}
    assert journal.account_balance(session, "receivable", "EUR") == billing.open_amount(session, inv) == 0


def test_a_lost_dispute_and_a_won_one(session, world):
    inv = issued(session, world, 10000)
    pay = se.stripe_pay(session, inv, 12000)
    se.dispute(session, pay, 12000, "lost")
    post(session)
    (d,) = entries(session, "dispute")
    assert d.kind == "dispute" and lines(session, d) == {"1200": 12000, "1010": -12000}
    session.refresh(inv)
    assert journal.account_balance(session, "receivable", "EUR") == billing.open_amount(session, inv) == 12000
    inv2 = issued(session, world, 5000)
    pay2 = se.stripe_pay(session, inv2, 6000)
    se.dispute(session, pay2, 6000, "won")
    post(session)
    assert [e.source_id for e in entries(session, "dispute")] == [d.source_id]  # withdrawn and back: nothing


def test_a_write_off(session, world):
    inv = issued(session, world, 10000)
    billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=11997, method="bank_transfer")
    ledger.write_off(session, SYSTEM, inv.id, "bank fees")
    post(session)
    (w,) = entries(session, "write_off")
    assert w.kind == "write_off" and lines(session, w) == {"6900": 3, "1200": -3}
    assert journal.account_balance(session, "receivable", "EUR") == 0


def test_client_credit_created_and_applied(session, world):
    inv = issued(session, world, 10000)
    billing.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=15000,
        method="bank_transfer",
        confirm_overpayment=True,
    )
    post(session)
    (c,) = entries(session, "client_credit")
    assert c.kind == "client_credit" and lines(session, c) == {"1200": 3000, "2400": -3000}
    other = issued(session, world, 5000)
    ledger.apply_credit(session, SYSTEM, other.id)
    post(session)
    applied = [e for e in entries(session, "payment") if e.kind == "credit_applied"]
    assert len(applied) == 1 and lines(session, applied[0]) == {"2400": 3000, "1200": -3000}
    assert journal.account_balance(session, "client_credit", "EUR") == 0
    assert journal.account_balance(session, "receivable", "EUR") == billing.open_amount(session, other) == 3000


def test_a_posted_entry_never_changes(session, world):
    issued(session, world, 10000)
    post(session)
    session.commit()
    (e,) = entries(session)
    e.memo = "edited"
    session.add(e)
    with pytest.raises(journal.JournalImmutable):
        session.flush()
    session.rollback()
    ln = session.exec(select(JournalLine)).first()
    ln.debit_minor += 1
    with pytest.raises(journal.JournalImmutable):
        session.flush()
    session.rollback()
    with pytest.raises(journal.JournalImmutable):
        session.delete(session.exec(select(JournalEntry)).first())
        session.flush()


def test_a_credit_that_goes_away_is_reversed_for_the_same_client(session, world):
    """Found by the property test: a lost dispute on an overpaid invoice deletes its ClientCredit
    row; the reversal must be the client's (it was posted with no client)."""
    inv = issued(session, world, 1)
    pay = se.stripe_pay(session, inv, 20277, fee=588)
    post(session)
    se.dispute(session, pay, pay.amount_minor, "lost")
    post(session)
    removed = entries(session, "client_credit")[-1]
    assert (removed.seq, removed.kind, removed.account_id) == (2, "client_credit_removed", world.account.id)
    assert lines(session, removed) == {"1200": -20276, "2400": 20276}
    session.refresh(inv)
    assert (
        journal.account_balance(session, "receivable", "EUR", world.account.id, any_client=False)
        == billing.open_amount(session, inv)
        == 1
    )
