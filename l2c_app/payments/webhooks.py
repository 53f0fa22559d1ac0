"""Stripe webhooks: verify, record, then reconcile the ledger.

The code lives in modules named for what they do; this module keeps the import paths
(`from l2c_app.payments.webhooks import handle_request`):
- webhook_checks: the signature and what a signed event may contain;
- webhook_record: storing the raw event with its outcome, the handler table, the request;
- webhook_ledger: the payment row, the invoice recomputed under its lock, domain events,
  Stripe reads made before the transaction;
- webhook_payments / webhook_refunds / webhook_disputes: the handlers by event family;
- webhook_sync: healing what webhooks missed.


Threat model: `POST /api/webhooks/stripe` is reachable by anyone on the internet. A
request is untrusted until its `Stripe-Signature` verifies against
`STRIPE_WEBHOOK_SECRET` (HMAC-SHA256, timestamp within 300 s against replays); nothing
is parsed, stored or acted on before that, and a bad or stale signature answers 400 (a
timestamp more than 300 s in the future is refused like a stale one: Stripe signs with its
own clock, so a future one is a forged or replay-prepared header, not clock drift we must
accept). After verification the body is trusted as Stripe's, but still only as *data*: the
invoice is found from our own metadata (`invoice_id`) and the currency must match, an
amount never creates an invoice, and an unknown invoice leaves the payment unmatched
for a person to match. A signed event can still be impossible (a bug upstream, a
compromised or misused secret): `check_event` validates ranges and shapes (amounts are
integers in [0, MAX_AMOUNT], currencies three letters, `data.object` an object, ids
strings); an impossible event is stored as `rejected` with the reason and answered 200, so
Stripe does not retry something that can never apply.

Reliability: Stripe delivers at least once, in any order, sometimes concurrently.
- every event is stored first in WebhookEvent, unique on (provider, event id): a
  duplicate (even 20 at once) finds the row and changes nothing;
- the ledger is keyed by Stripe object ids (payment intent, checkout session, refund,
  dispute); a handler upserts, never blindly inserts, and statuses only move forward
  (pending < failed < succeeded; a closed dispute stays closed);
- refunds use the charge's cumulative `amount_refunded` (max wins), so an older event
  arriving late cannot undo a newer one;
- the invoice row is locked (SELECT ... FOR UPDATE on PostgreSQL) where money moves, and
  its status is recomputed from the ledger each time.

Speed (issue 7 wants >= 500 events/s on SQLite; `bench/billing_bench.py` measured about
870/s over HTTP to the production server, 2,200/s in process): a new payment takes ~10 statements
in one transaction, built once and executed with values (Core, not ORM objects): event
INSERT ... ON CONFLICT DO NOTHING, invoice row lock, payment INSERT ... ON CONFLICT DO
NOTHING (a conflict means we know the payment: the ORM path moves it forward), audit,
one ledger query, invoice UPDATE, audit, two domain events (Core inserts), event outcome;
on PostgreSQL the payment and its audit are one statement, the invoice UPDATE and its audit
another (8 round trips). A new checkout payment takes webhook_fast: two statements on
PostgreSQL (the event with the invoice lock and its ledger; the payment with everything it
moves), the same writes on the driver's cursor on SQLite. Rare paths (refunds, disputes, overpayment credits, link
deactivation) stay on the ORM.
"""

from __future__ import annotations

from l2c_app.payments.webhook_checks import (  # noqa: F401
    AMOUNT_FIELDS,
    HANDLED,
    MAX_AMOUNT,
    TOLERANCE,
    BadSignature,
    check_event,
    verify,
)
from l2c_app.payments.webhook_disputes import DISPUTE_TERMINAL, _on_dispute, _withdrawn  # noqa: F401
from l2c_app.payments.webhook_ledger import (  # noqa: F401
    PREFETCH_KEY,
    STATUS_RANK,
    STRIPE,
    NewPayment,
    _charge_ids,
    _find_payment,
    _id,
    _invoice_for,
    _payment_for_charge,
    _settle,
    is_ours,
    prefetch,
    upsert_payment,
)
from l2c_app.payments.webhook_payments import (  # noqa: F401
    on_async_failed,
    on_async_succeeded,
    on_checkout_completed,
    on_payment_intent_succeeded,
)
from l2c_app.payments.webhook_record import (  # noqa: F401
    HANDLERS,
    HandlerFailed,
    handle_request,
    record_and_apply,
)
from l2c_app.payments.webhook_refunds import REFUND_RANK, on_charge_refunded, on_refund  # noqa: F401
from l2c_app.payments.webhook_sync import CURSOR_KEY, CURSOR_OVERLAP, SESSION_WINDOW, stripe_sync  # noqa: F401
