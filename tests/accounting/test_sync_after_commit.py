"""With QuickBooks connected, a money event reaches QuickBooks through the outbox right after
its commit (not only from the hourly job); without a connection nothing is queued."""

from __future__ import annotations

from sqlmodel import select

from l2c_app.accounting.sync.subscribers import KIND
from l2c_app.outbox.models import OutboxEffect
from l2c_app.outbox.worker import deliver_outbox
from tests.accounting.conftest import connect, issued_invoice


def _effects(session):
    session.expire_all()
    return session.exec(select(OutboxEffect).where(OutboxEffect.kind == KIND)).all()


def test_an_issued_invoice_is_pushed_by_the_outbox_after_commit(session, world, qbo):
    issued_invoice(session, world, 10000)
    assert _effects(session) == []  # not connected: nothing queued

    connect(session)
    inv = issued_invoice(session, world, 25000)
    (effect,) = _effects(session)
    assert effect.status == "queued" and qbo.all("Invoice") == []  # nothing left inside the transaction
    deliver_outbox()  # what the server's worker does once the commit wakes it
    assert {i["DocNumber"] for i in qbo.all("Invoice")} >= {inv.number}
    (effect,) = _effects(session)
    assert effect.status == "sent"


def test_a_payment_is_one_sync_round_however_many_events_it_makes(session, world, qbo):
    from datetime import date

    from l2c_app.billing import service
    from l2c_app.core.audit import SYSTEM

    connect(session)
    inv = issued_invoice(session, world, 25000)
    deliver_outbox()
    service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=inv.total_minor,
        method="bank_transfer",
        received_on=date(2026, 4, 2),
        reference="BANK-7",
    )  # payment.received, invoice.paid
    session.commit()
    assert len(_effects(session)) == 2  # the invoice's round, then one for the payment's transaction
    deliver_outbox()
    assert len(qbo.all("Payment")) == 1
