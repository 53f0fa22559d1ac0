"""The webhook's fast path (`recompute_status_row`, Core statements on a locked row) against
the reference (`recompute_status` + `after_payment`, the ORM path of manual payments), on the
same cases: one table, both paths, the same invoice afterwards. The fast path runs twice: on
`lock_invoice_row` and on the webhook's own `lock_invoice_for_event` (the deals, organisation
and subscriber checks read with the lock), whose row must lead to the same invoice.

They were kept in sync by hand and drifted once: an overpaid invoice on the fast path kept
its payment link active, so the client could pay a second time through it.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import AuditLog
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.payments.webhook_writes import lock_invoice_for_event
from l2c_app.pipeline.models import Activity
from tests.billing.test_ledger import issued

# (label, invoice net before 20 % VAT, payments as (amount, status) in the order they arrive)
CASES = [
    ("nothing paid yet", 10000, []),
    ("part paid", 10000, [(5000, "succeeded")]),
    ("paid exactly", 10000, [(12000, "succeeded")]),
    ("paid in two", 10000, [(5000, "succeeded"), (7000, "succeeded")]),
    ("overpaid by one minor unit", 10000, [(12001, "succeeded")]),
    ("overpaid in the second payment", 10000, [(5000, "succeeded"), (9000, "succeeded")]),
    ("paid, then a payment that failed", 10000, [(12000, "succeeded"), (500, "failed")]),
    ("a failed payment only", 10000, [(12000, "failed")]),
    ("one minor unit short", 10000, [(11999, "succeeded")]),
]


def _with_link(session, inv: Invoice) -> Invoice:
    inv.payment_link_id, inv.payment_link_url, inv.payment_link_amount_minor = f"plink_{inv.id}", "https://pay", 1
    session.add(inv)
    session.flush()
    return inv


def _receive(session, inv: Invoice, amount: int, status: str) -> None:
    session.add(
        Payment(
            invoice_id=inv.id,
            account_id=inv.account_id,
            amount_minor=amount,
            currency=inv.currency,
            method="stripe",
            status=status,
            received_on=date(2026, 4, 2),
        )
    )
    session.flush()


def _reference(session, inv: Invoice) -> None:
    billing.recompute_status(session, SYSTEM, inv.id)
    billing.after_payment(session, session.get(Invoice, inv.id))
    session.flush()


def _fast(session, inv: Invoice, lock=billing.lock_invoice_row) -> None:
    status = billing.recompute_status_row(session, SYSTEM, lock(session, inv.id))
    session.flush()
    # the webhook says "Payment received" from the status returned: it is the invoice's new one
    assert status == session.execute(select(Invoice.status).where(Invoice.id == inv.id)).scalar_one()


def _state(session, inv_id: int) -> dict:
    inv = session.get(Invoice, inv_id)
    session.refresh(inv)
    credit = session.exec(
        select(ClientCredit.amount_minor)
        .join(Payment, Payment.id == ClientCredit.payment_id)
        .where(Payment.invoice_id == inv_id)
    ).all()
    audits = session.exec(
        select(AuditLog.after).where(
            AuditLog.entity == "invoice", AuditLog.entity_id == inv_id, AuditLog.action == "status_from_ledger"
        )
    ).all()
    paid_events = [
        a
        for a in session.exec(select(Activity.subject).where(Activity.deal_id == inv.deal_id))
        if a.startswith(f"Invoice {inv.number} paid")
    ]
    return {
        "status": inv.status,
        "paid": inv.paid_minor,
        "refunded": inv.refunded,
        "disputed": inv.disputed,
        "open": billing.open_amount(session, inv),
        "credit": sorted(credit),
        "link": inv.payment_link_id is not None,
        "audited": len(audits),
        "paid_events": len(paid_events),
    }


@pytest.mark.parametrize("label, net, payments", CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_leaves_the_invoice_as_the_reference_does(world, session, label, net, payments):
    ref = _with_link(session, issued(session, world, net))
    fast = _with_link(session, issued(session, world, net))
    # the webhook's own lock (payments/webhook_writes: deals and organisation read with the row)
    folded = _with_link(session, issued(session, world, net))
    assert ref.total_minor == fast.total_minor == folded.total_minor == net * 12 // 10
    for amount, status in payments:
        _receive(session, ref, amount, status)
        _reference(session, ref)
        _receive(session, fast, amount, status)
        _fast(session, fast)
        _receive(session, folded, amount, status)
        _fast(session, folded, lock_invoice_for_event)
        assert _state(session, fast.id) == _state(session, ref.id), (label, amount, status)
        assert _state(session, folded.id) == _state(session, ref.id), (label, amount, status, "folded lock")
    settled = _state(session, ref.id)
    # The cases cover what they say: an open amount keeps the link, a settled invoice drops it.
    assert settled["link"] == (settled["open"] > 0)


def test_the_core_audit_insert_writes_the_row_the_orm_path_writes(world, session):
    """The webhook path inserts audit rows with Core statements; the values come from the same
    builder as `record_action`'s, so the two rows agree in every column but id and time."""
    from l2c_app.core.audit import Actor, audit_values, record_action

    actor = Actor("system", None, "stripe")
    orm = record_action(session, actor, "invoice", 7, "payment_link", {"link": "plink_1"})
    session.flush()
    session.connection().execute(
        billing.AUDIT_INSERT, audit_values(actor, "payment_link", "invoice", 7, None, {"link": "plink_1"})
    )
    rows = session.exec(
        select(AuditLog).where(AuditLog.entity == "invoice", AuditLog.entity_id == 7).order_by(AuditLog.id)
    ).all()
    assert len(rows) == 2 and rows[0].id == orm.id
    columns = [c for c in AuditLog.model_fields if c not in ("id", "at")]
    assert [getattr(rows[0], c) for c in columns] == [getattr(rows[1], c) for c in columns]
    assert rows[1].actor == "system:stripe"  # the label, as the ORM path writes it


def test_back_to_back_events_on_the_fast_path_read_the_invoice_as_it_is_now(world, session):
    """Several webhook events in one session: the Core updates of the first leave the ORM
    object of the invoice behind, so the second (an overpayment, which takes the ORM path)
    must read the invoice afresh: its audit says partially paid -> paid, not sent -> paid."""
    inv = issued(session, world, 10000)  # 120.00, loaded in the session (no link: nothing reloads it)
    _receive(session, inv, 5000, "succeeded")
    billing.recompute_status_row(session, SYSTEM, billing.lock_invoice_row(session, inv.id))
    _receive(session, inv, 9000, "succeeded")  # 20.00 over
    billing.recompute_status_row(session, SYSTEM, billing.lock_invoice_row(session, inv.id))
    session.flush()
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "invoice", AuditLog.entity_id == inv.id, AuditLog.action == "status_from_ledger")
        .order_by(AuditLog.id)
    ).all()
    assert [(r.before.get("status"), r.after.get("status")) for r in rows] == [
        ("sent", "partially_paid"),
        ("partially_paid", "paid"),
    ]
    assert session.exec(select(ClientCredit.amount_minor)).all() == [2000]
    session.refresh(inv)
    assert inv.status == "paid" and inv.paid_minor == 14000
