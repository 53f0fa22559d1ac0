"""Outbound webhooks (Standard Webhooks): endpoints, fan-out in the business transaction,
delivery after commit with retries, the delivery log, replay, and disabling a failing
endpoint. No Reflex here; the API (`api.py`) and Settings > Webhooks (`pages.py`) call it.

How an event flows:
1. `fan_out(session, event_type, event_id, payload)` runs INSIDE the transaction of the
   change (the outbox's subscriber calls it): one `WebhookDelivery` row per enabled endpoint
   subscribed to the type, holding the exact JSON body. No HTTP. A rollback leaves no row;
   the same event fanned out twice adds nothing (unique endpoint + event id).
2. `deliver_due(now)` runs AFTER commit (the outbox worker's pump, or a test): it claims due
   rows in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
   never take the same row; a claim is a lease of LEASE), sends each one with no
   transaction open, then records the attempt in another short transaction.
3. A 2xx delivers. Anything else is retried with exponential backoff (30 s, 1 min, 2 min
   ... capped at 12 h between attempts; at least a Retry-After the receiver sent) until
   RETRY_WINDOW (3 days) after the event, then the delivery has failed. DISABLE_AFTER
   deliveries failed in a row (no success between), or one 410 Gone, disable the endpoint;
   owners and admins are e-mailed after that commit. (Standard Webhooks, "Deliverability and
   reliability" and "Delivery success and failure": spec/standard-webhooks.md of
   github.com/standard-webhooks/standard-webhooks. No jitter: one l2c install sends few.)
4. A replay puts one delivery back in the queue, due now, with a fresh retry window and the
   same `webhook-id` (receivers deduplicate on it).

Threat model:
- SSRF: see targets.py (http(s) only; public addresses only, resolved at save time and at
  every delivery, connection pinned to the checked address; `WEBHOOKS_ALLOW_PRIVATE=1`
  lifts the address rule for tests).
- Secrets at rest: see signing.py (Fernet under a key derived from SECRET_KEY; shown once;
  never in the audit log or an API answer after creation/rotation).
- Hostile receivers: sender.py (short timeouts, response read bounded to 64 KiB, excerpt of
  1000 characters stored, redirects not followed, no decompression, no proxy).
- Payloads carry what the REST API returns to an API key (ids, amounts in minor units with
  their currency), so an endpoint learns nothing a key could not read.

Modules, one per use case: common (types, limits, an endpoint by id), endpoints, publishing
(fan-out), delivery (after commit), delivery_log (list, replay), shapes (JSON). This module
re-exports them so callers keep writing `service.X`.
"""

from __future__ import annotations

from l2c_app.webhooks_out.common import (
    ALL,
    DELIVERY_STATUSES,
    DISABLE_AFTER,
    EVENT_ID,
    EVENT_TYPES,
    FIRST_RETRY,
    GONE,
    LEASE,
    MAX_BACKOFF,
    MAX_ENDPOINTS,
    RETRY_WINDOW,
    ROTATION_OVERLAP,
    TEST_EVENT,
    get_endpoint,
)
from l2c_app.webhooks_out.delivery import backoff, deliver_due
from l2c_app.webhooks_out.delivery_log import attempts_of, deliveries_query, get_delivery, list_deliveries, replay
from l2c_app.webhooks_out.endpoints import (
    create_endpoint,
    delete_endpoint,
    rotate_secret,
    signing_secrets,
    update_endpoint,
)
from l2c_app.webhooks_out.publishing import ENDPOINTS_KEY, body_for, fan_out, send_test, subscribed
from l2c_app.webhooks_out.shapes import delivery_json, endpoint_json

__all__ = [
    "EVENT_TYPES",
    "ALL",
    "TEST_EVENT",
    "MAX_ENDPOINTS",
    "RETRY_WINDOW",
    "FIRST_RETRY",
    "MAX_BACKOFF",
    "LEASE",
    "DISABLE_AFTER",
    "ROTATION_OVERLAP",
    "DELIVERY_STATUSES",
    "EVENT_ID",
    "GONE",
    "get_endpoint",
    "create_endpoint",
    "update_endpoint",
    "rotate_secret",
    "delete_endpoint",
    "signing_secrets",
    "subscribed",
    "body_for",
    "ENDPOINTS_KEY",
    "fan_out",
    "send_test",
    "backoff",
    "deliver_due",
    "get_delivery",
    "replay",
    "attempts_of",
    "deliveries_query",
    "list_deliveries",
    "endpoint_json",
    "delivery_json",
]
