"""Who reacts to domain events here: every event is queued for the subscribed endpoints.

The delivery rows are written in the emitting transaction (a rollback queues nothing); the
outbox worker sends them after commit through the pump registered below."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.events.bus import subscribe
from l2c_app.events.models import DomainEvent
from l2c_app.outbox.worker import notify_after_commit, register_pump
from l2c_app.webhooks_out.service import deliver_due, fan_out


def queue_for_endpoints(session: Session, event: DomainEvent) -> None:
    if fan_out(session, event.type, f"evt_{event.id}", dict(event.payload)):
        notify_after_commit(session)


subscribe("*", queue_for_endpoints)
register_pump(deliver_due)
