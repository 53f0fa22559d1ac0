"""What the outbound webhook use cases share: the event types, the limits and timings of
delivery (see service.py for how an event flows), and an endpoint by id."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session

from l2c_app.core.errors import NotFound
from l2c_app.events.types import EVENT_TYPES as _DOMAIN_EVENT_TYPES
from l2c_app.webhooks_out.models import WebhookEndpoint

# The domain events (the outbox's `emit` types, one list); "*" subscribes to all of them.
EVENT_TYPES: tuple[str, ...] = tuple(_DOMAIN_EVENT_TYPES)
ALL = "*"
TEST_EVENT = "webhook.test"  # sent by "Send test event" only, to one endpoint
MAX_ENDPOINTS = 50
RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=12)
LEASE = timedelta(minutes=2)  # a claimed row is retried after this if its worker died
DISABLE_AFTER = 5  # deliveries failed for good in a row
ROTATION_OVERLAP = timedelta(days=1)
DELIVERY_STATUSES = ("pending", "delivered", "failed")
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
GONE = 410  # the receiver says it wants no more webhooks: the endpoint is disabled at once


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", "endpoint_id")
    return endpoint
