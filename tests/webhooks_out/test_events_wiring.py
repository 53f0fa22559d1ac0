"""A domain event reaches a subscribed endpoint: the lead captured by the public form is
queued in the capture's own transaction (a rollback queues nothing) and delivered by the
outbox worker's loop after commit, signed as Standard Webhooks says."""

from __future__ import annotations

import json

from sqlmodel import select
from standardwebhooks import Webhook

from l2c_app.core.audit import SYSTEM
from l2c_app.leads import service as leads
from l2c_app.outbox.worker import deliver_outbox
from l2c_app.webhooks_out import service
from l2c_app.webhooks_out.models import WebhookDelivery


def test_a_captured_lead_is_posted_to_the_endpoint_after_commit(session, team, allow_private, receiver):
    _, secret = service.create_endpoint(
        session, SYSTEM, url=receiver.url, event_types=["lead.created"], description="CRM mirror"
    )
    session.commit()

    leads.capture(session, {"name": "Rolled Back", "email": "gone@client.test"})
    session.rollback()
    assert session.exec(select(WebhookDelivery)).all() == []  # the rollback took the delivery with it

    lead = leads.capture(session, {"name": "Ada Client", "email": "ada@client.test"}).lead
    assert receiver.requests == []  # nothing leaves inside the transaction
    session.commit()

    deliver_outbox()  # what the server's worker does once the commit wakes it
    (request,) = receiver.requests
    body = Webhook(secret).verify(request["body"], request["headers"])
    assert body["type"] == "lead.created"
    assert body["data"]["lead_id"] == lead.id
    assert json.loads(request["body"])["data"]["lead_id"] == lead.id
    deliver_outbox()
    assert len(receiver.requests) == 1  # delivered once
