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
