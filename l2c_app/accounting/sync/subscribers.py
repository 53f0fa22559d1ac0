"""Money events reach the accounting system after commit, through the outbox.

A money event (an invoice issued or voided, a payment, a refund, a dispute) queues one
`accounting.sync` effect in its own transaction when QuickBooks is connected; the outbox
worker then runs a sync round (`engine.sync_pending`, own short sessions, nothing held
during HTTP). A round pushes every record that changed, so many effects queued close
together cost one round and then nothing; the hourly job stays as the sweep."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from l2c_app.accounting.sync.models import AccountingConnection
from l2c_app.events.bus import subscribe
from l2c_app.events.models import DomainEvent
from l2c_app.outbox.models import OutboxEffect
from l2c_app.outbox.service import enqueue, handler

KIND = "accounting.sync"
CONNECTED_KEY = "l2c_accounting_connected"  # session.info: is an accounting system connected (this transaction)
MONEY_EVENTS = (
    "invoice.issued",
    "invoice.voided",
    "invoice.paid",
    "payment.received",
    "payment.refunded",
    "dispute.opened",
    "dispute.closed",
)


def queue_sync(session: Session, event: DomainEvent) -> None:
    """One effect per transaction: a payment's commit (payment.received, invoice.paid) is one
    sync round, not two back to back (the second would retry at once what was just refused)."""
    if session.info.get("l2c_accounting_sync_queued"):
        return
    connected = session.info.get(CONNECTED_KEY)  # read once per transaction (a webhook emits two)
    if connected is None:
        connected = session.info[CONNECTED_KEY] = (
            session.exec(select(AccountingConnection.id).where(AccountingConnection.status == "connected")).first()
            is not None
        )
    if connected:
        enqueue(
            session,
            KIND,
            {"event_id": event.id, "type": event.type},
            f"accounting-sync-{event.id}",
            summary=f"Accounting sync after {event.type}",
        )
        session.info["l2c_accounting_sync_queued"] = True


@sa_event.listens_for(OrmSession, "after_commit")
@sa_event.listens_for(OrmSession, "after_rollback")
def _transaction_ended(session: OrmSession) -> None:
    session.info.pop("l2c_accounting_sync_queued", None)
    session.info.pop(CONNECTED_KEY, None)


for _type in MONEY_EVENTS:
    subscribe(_type, queue_sync)


@handler(KIND)
def run_sync(effect: OutboxEffect) -> str:
    from l2c_app.accounting.sync.engine import sync_pending

    return f"{sync_pending()} record(s) pushed"
