"""Group commit of Stripe webhooks: events that arrive together are written in one transaction
(issue 18).

Why: one transaction per event cost, per event, a pool thread hop, a session, BEGIN and COMMIT
round trips and a WAL flush; at 8 connections on PostgreSQL that capped the webhook near
460 events/s on 2 cores. Here the route verifies the signature (nothing is trusted before),
`submit` queues the verified event and waits (core/group_commit.py, shared with lead capture);
a writer thread takes every event waiting (up to `MAX_BATCH`), runs `record_and_apply` on each
in arrival order in one session and commits once (PostgreSQL: consecutive new checkout payments
of distinct invoices in two pipelines, `webhook_record.record_and_apply_all`).
Each event does what it does alone (its row first, idempotent on its id, its outcome), so a
later event of a batch sees the earlier ones as if they had come one by one (a redelivery in
the same batch is a duplicate).

Commit before success: a request is answered only after its batch's commit returned. One
event's failure does not fail its batch-mates: on any error the batch is rolled back and each
of its events is stored again on its own (webhook_record.store: a handler's failure is
recorded as failed and answered 500, Stripe retries). Stripe is never called by the writer:
the reads an event needs (refunds, disputes) and the fee after a payment run in the webhook's
pool, before the event is queued and after its batch committed, and only when Stripe is the
gateway. tests/payments/test_webhook_fast_twin.py holds batches to the reference rows.
"""

from __future__ import annotations

import logging
import os

from l2c_app.core.config import get_settings
from l2c_app.core.db import db_threads, named_pool, run_in_pool, session_scope, threads_setting
from l2c_app.core.group_commit import Writers
from l2c_app.payments.webhook_record import (
    Prepared,
    Refused,
    answer,
    handle_request,
    prepare,
    record_and_apply_all,
    store,
)
from l2c_app.payments.webhook_writes import one_writer
from l2c_app.ports.payments import gateway

log = logging.getLogger("l2c_app.payments.webhooks")

MAX_BATCH = 32
# PostgreSQL's writers: with 8 connections on the quiet 2-core machine (3,000 events a run, each
# writer waiting for its share of what is in flight: core/group_commit.py), 1 / 2 / 3 / 4 / 6
# writers gave 550 / 618-625 / 640-666 / 573 / 534 events/s at 1.19-1.52 ms of server CPU each:
# three batches' round trips overlap; more make batches too small.
PG_WRITERS = 3
# L2C_WEBHOOK_GROUP=0: one transaction per event (webhook_record.handle_request in the pool).
GROUP = os.environ.get("L2C_WEBHOOK_GROUP", "1").strip() != "0"
# The one writer (SQLite) waits up to this for as many events as were lately in flight (core/group_commit.py).
LINGER_S = float(os.environ.get("L2C_WEBHOOK_LINGER_MS", "2")) / 1000


def webhook_threads(url: str | None = None) -> int:
    """Threads of the Stripe webhook's pool (its Stripe reads): `L2C_WEBHOOK_THREADS`, else as
    many as `run_db` has (4 SQLite, 8 PostgreSQL). Not `run_db`'s: a slow Stripe must not hold
    the threads every other route writes through."""
    return threads_setting("L2C_WEBHOOK_THREADS", db_threads(url))


def run_batch(items: list[Prepared]) -> list[tuple[str | None, BaseException | None]]:
    """Store `items` in order in one transaction; (outcome, error) of each. On any error all of
    it is rolled back and each is stored again in a transaction of its own."""
    url = get_settings().database_url
    try:
        with one_writer(url), session_scope() as session:
            outcomes = record_and_apply_all(session, items)
        return [(o, None) for o in outcomes]
    except Exception as exc:  # noqa: BLE001 - each event again alone: the failing one fails alone
        if len(items) > 1:
            log.info("webhook batch of %d failed (%r); storing its events one by one", len(items), exc)
    out: list[tuple[str | None, BaseException | None]] = []
    for p in items:
        try:
            out.append((store(p), None))
        except Exception as exc:  # noqa: BLE001 - answered as a 500 by the route; Stripe retries
            out.append((None, exc))
    return out


def _writers_wanted() -> int:
    """SQLite: one writer (one write lock; a second would only wait for it). PostgreSQL:
    `L2C_WEBHOOK_WRITERS`, else PG_WRITERS: one batch's round trips (and the server's work on
    them) overlap another batch's Python."""
    if get_settings().database_url.startswith("sqlite"):
        return 1
    return threads_setting("L2C_WEBHOOK_WRITERS", PG_WRITERS)


_WRITERS = Writers("l2c-webhook-group", run_batch, _writers_wanted, MAX_BATCH, LINGER_S)


async def submit(prepared: Prepared) -> str:
    """Queue a verified event for a writer; its outcome once its batch has committed."""
    return await _WRITERS.submit(prepared)


async def handle(payload: bytes, sig_header: str | None) -> tuple[int, dict]:
    """The webhook request as `webhook_record.handle_request`, its transaction shared with the
    events that arrive with it. Without Stripe as the gateway there is nothing to read from it,
    and the signature check and JSON parse (tens of microseconds) run on the event loop."""
    if not GROUP:  # one event, one transaction, in the webhook's pool
        return await run_in_pool(named_pool("hook", webhook_threads()), handle_request, payload, sig_header)
    outside = gateway().is_external
    pool = named_pool("hook", webhook_threads()) if outside else None
    prepared = await run_in_pool(pool, prepare, payload, sig_header) if pool else prepare(payload, sig_header)
    if isinstance(prepared, Refused):
        return prepared.status, prepared.body
    outcome = await submit(prepared)
    if pool and outcome == "applied":  # the fee, read from Stripe after the commit
        return await run_in_pool(pool, answer, prepared.event, outcome)
    return answer(prepared.event, outcome)
