"""Storing a Stripe event and applying it in one transaction: the raw event first (unique on
its id: a redelivery changes nothing), then its handler, then its outcome; `handle_request`
is the whole webhook request.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from l2c_app.billing.service import begin_write
from l2c_app.core.config import get_settings
from l2c_app.core.models import WebhookEvent
from l2c_app.core.timeutil import utcnow
from l2c_app.payments import fees, webhook_fast
from l2c_app.payments.webhook_checks import HANDLED, BadSignature, check_event, verify
from l2c_app.payments.webhook_disputes import _on_dispute
from l2c_app.payments.webhook_ledger import _insert_or_nothing, _known_payment_reader, prefetch
from l2c_app.payments.webhook_payments import (
    on_async_failed,
    on_async_succeeded,
    on_checkout_completed,
    on_payment_intent_succeeded,
)
from l2c_app.payments.webhook_refunds import on_charge_refunded, on_refund
from l2c_app.payments.webhook_writes import event_row, one_writer

log = logging.getLogger("l2c_app.payments.webhooks")  # one logger name for the split modules


# L2C_WEBHOOK_PIPELINE=0: a batch's events one by one (record_and_apply), as before the pipelines.
PIPELINE = os.environ.get("L2C_WEBHOOK_PIPELINE", "1").strip() != "0"


class HandlerFailed(Exception):
    """Applying an event failed (record_and_apply with isolate=False): the caller rolls back
    and records the event as failed in a transaction of its own."""


# --- recording -----------------------------------------------------------------------------


def _insert_event(session: Session, event: dict, raw: str, headers: dict | None) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None for a known event.

    One statement, no savepoint: a concurrent twin waits on the unique index (PostgreSQL)
    or on the write lock (SQLite) and then sees the conflict.
    """
    conn = session.connection()
    return conn.execute(
        _INSERT_EVENT[conn.dialect.name == "postgresql"],
        event_row(event, raw, headers),
    ).scalar_one_or_none()


_INSERT_EVENT = _insert_or_nothing(WebhookEvent, WebhookEvent.id)
_FINISH_EVENT = update(WebhookEvent).where(WebhookEvent.id == bindparam("event_row_id"))
_KNOWN_EVENT = (
    sa_select(WebhookEvent.id, WebhookEvent.outcome)
    .where(WebhookEvent.provider == "stripe", WebhookEvent.event_id == bindparam("event_id"))
    .with_for_update()
)


def _finish(session: Session, event_id: int, outcome: str, detail: str | None) -> None:
    session.connection().execute(
        _FINISH_EVENT, {"event_row_id": event_id, "outcome": outcome, "processed_at": utcnow(), "detail": detail}
    )


def record_and_apply(session: Session, event: dict, raw: str, headers: dict | None = None, isolate: bool = True) -> str:
    """Store the event (once) and apply it. Returns the outcome: applied, ignored, duplicate, failed.

    isolate=True (Stripe sync: many events in one transaction) runs the handler in a
    savepoint, so a failure is recorded next to the others. isolate=False (one webhook,
    one transaction) saves the savepoint's two statements: a failure raises HandlerFailed.
    """
    begin_write(session)
    fast = webhook_fast.fast_args(session, event) if not isolate and check_event(event) is None else None
    if fast is not None:  # PostgreSQL, a new checkout payment: the event's row and the invoice lock at once
        locked = webhook_fast.record_and_lock(session, event, raw, headers, fast)
        if locked.event_row_id is not None and webhook_fast.apply(session, locked, fast) is not None:
            return "applied"  # the payment, the invoice and the event's outcome in one statement
        return apply_recorded(session, event, locked.event_row_id, isolate)
    return apply_recorded(session, event, _insert_event(session, event, raw, headers), isolate)


def apply_recorded(session: Session, event: dict, row_id: int | None, isolate: bool) -> str:
    """`record_and_apply` once the event's INSERT ran (its new row's id, or None for a known
    event), on the reference path: the known event's outcome, or its handler and outcome."""
    if row_id is None:  # known: its row, read afresh and locked (a Core row, one statement)
        known_id, known_outcome = session.connection().execute(_KNOWN_EVENT, {"event_id": event["id"][:255]}).one()
        if known_outcome != "failed":
            return "duplicate"
        row_id = known_id  # a failed event is applied again (redelivery or sync)
    reason = check_event(event)
    if reason is not None:
        _finish(session, row_id, "rejected", reason)
        return "rejected"
    handler = HANDLERS.get(str(event["type"]))
    if handler is None:
        _finish(session, row_id, "ignored", "no handler for this type")
        return "ignored"
    obj = event["data"]["object"]
    try:
        if isolate:
            with session.begin_nested():
                detail = handler(session, obj, event)
        else:
            detail = handler(session, obj, event)
    except Exception as exc:  # noqa: BLE001 - kept as failed with the reason; Stripe (or sync) retries
        log.exception("stripe event %s failed", event["id"])
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        if not isolate:
            raise HandlerFailed(reason) from exc
        _finish(session, row_id, "failed", reason)
        return "failed"
    _finish(session, row_id, "applied", detail)
    return "applied"


def record_and_apply_all(session: Session, items: list[Prepared]) -> list[str]:
    """`record_and_apply` (isolate=False) of each item in one transaction, in arrival order: their
    outcomes. PostgreSQL: a run of consecutive fast-path candidates (webhook_fast.fast_args) of
    distinct invoices, events, sessions and intents costs two round trips whatever its length:
    every statement 1 in one pipeline (invoice ids ascending: two writers lock two invoices in
    one order), each decided as `webhook_fast.apply` decides, every statement 2 in a second
    pipeline, then in arrival order each event's follow-ups, or the reference path from its
    recorded row (or its known row) where the fast path did not apply: the rows of the events
    one by one in the run's invoice order. Such events touch distinct invoices and payments
    (a client credit is its payment's): any order of them leaves the same rows."""
    if not PIPELINE or len(items) < 2 or session.connection().dialect.name != "postgresql":
        return [record_and_apply(session, p.event, p.raw, p.headers, isolate=False) for p in items]
    outcomes: list[str] = []
    run: list[tuple[Prepared, webhook_fast.Args]] = []
    taken: set[tuple[str, object]] = set()

    def close_run() -> None:
        if len(run) == 1:
            p = run[0][0]
            outcomes.append(record_and_apply(session, p.event, p.raw, p.headers, isolate=False))
        elif run:
            outcomes.extend(_pipelined(session, run))
        run.clear()
        taken.clear()

    for p in items:
        fast = webhook_fast.fast_args(session, p.event) if check_event(p.event) is None else None
        if fast is None:
            close_run()
            outcomes.append(record_and_apply(session, p.event, p.raw, p.headers, isolate=False))
            continue
        keys = {("invoice", fast.invoice_id), ("event", p.event["id"][:255]), ("session", fast.cs_id)}
        if fast.pi_id:
            keys.add(("intent", fast.pi_id))
        if keys & taken:
            close_run()
        run.append((p, fast))
        taken.update(keys)
    close_run()
    return outcomes


def _pipelined(session: Session, run: list[tuple[Prepared, webhook_fast.Args]]) -> list[str]:
    """A run of `record_and_apply_all` (2+ events): their outcomes in arrival order."""
    if session.new or session.dirty or session.deleted:  # the ORM's pending rows before the pipeline
        session.flush()
    order = sorted(range(len(run)), key=lambda k: run[k][1].invoice_id)
    got = webhook_fast.record_and_lock_many(session, [(*run[k][0][:3], run[k][1]) for k in order])
    locked = dict(zip(order, got, strict=True))
    plans = {
        k: todo
        for k in order
        if locked[k].event_row_id is not None and (todo := webhook_fast.plan(session, locked[k], run[k][1])) is not None
    }
    ks = [k for k in order if k in plans]
    rows = dict(zip(ks, webhook_fast.apply_many(session, [plans[k] for k in ks]) if ks else [], strict=True))
    outcomes = []
    for k, (p, _) in enumerate(run):
        todo = plans.get(k)
        if todo is not None and webhook_fast.settle(session, todo, rows[k]) is not None:
            outcomes.append("applied")
        else:  # as record_and_apply after statement 1: its row recorded (or known), the reference way
            outcomes.append(apply_recorded(session, p.event, locked[k].event_row_id, False))
    return outcomes


def _record_failed(session: Session, event: dict, raw: str, headers: dict, reason: str) -> str:
    begin_write(session)
    row_id = _insert_event(session, event, raw, headers)
    if row_id is None:
        row_id, outcome = session.connection().execute(_KNOWN_EVENT, {"event_id": event["id"][:255]}).one()
        if outcome != "failed":  # a concurrent twin applied it meanwhile
            return "duplicate"
    _finish(session, row_id, "failed", reason)
    return "failed"


def handle_request(payload: bytes, sig_header: str | None) -> tuple[int, dict]:
    """The whole webhook request: (HTTP status, JSON body). One event, one transaction; the
    route groups concurrent events into one (payments/webhook_group.py) through the same steps."""
    prepared = prepare(payload, sig_header)
    if isinstance(prepared, Refused):
        return prepared.status, prepared.body
    return answer(prepared.event, store(prepared))


class Refused(NamedTuple):
    status: int
    body: dict


class Prepared(NamedTuple):
    """A verified event, what is recorded of its request, and its Stripe reads (prefetched)."""

    event: dict
    raw: str
    headers: dict


def prepare(payload: bytes, sig_header: str | None) -> Prepared | Refused:
    """The signature verified (400 otherwise), then what the handler needs from Stripe read
    (outside any transaction; nothing when Stripe is not the gateway); nothing is stored."""
    try:
        event = verify(payload, sig_header, get_settings().stripe_webhook_secret)
    except BadSignature as exc:
        return Refused(400, {"detail": f"Stripe-Signature: {exc}"})
    raw = payload.decode("utf-8")
    headers = {"stripe-signature": sig_header or ""}
    if check_event(event) is None:  # a signed event we would apply: its Stripe reads
        event = prefetch(event, _known_payment_reader())
    return Prepared(event, raw, headers)


def store(prepared: Prepared) -> str:
    """The event recorded and applied in a transaction of its own (retried on a lost race or a
    dropped connection; a handler's failure recorded as failed): its outcome."""
    from l2c_app.core.db import session_scope

    event, raw, headers = prepared
    url = get_settings().database_url
    for attempt in range(3):
        try:
            with one_writer(url), session_scope() as session:  # SQLite: queued here, not on its busy handler
                outcome = record_and_apply(session, event, raw, headers, isolate=False)
            break
        except HandlerFailed as exc:  # all of it rolled back: store the event as failed on its own
            with one_writer(url), session_scope() as session:
                outcome = _record_failed(session, event, raw, headers, str(exc))
            break
        except IntegrityError:  # a concurrent twin won a race outside the savepoints: try again
            if attempt == 2:
                raise
        except DBAPIError as exc:
            # A pooled connection the server dropped (restart, pg_terminate_backend): SQLAlchemy
            # invalidated it and the older ones, so the next attempt connects afresh. Safe to
            # repeat: nothing was committed, or the COMMIT went through and the event is known.
            if not exc.connection_invalidated or attempt == 2:
                raise
    return outcome


def answer(event: dict, outcome: str) -> tuple[int, dict]:
    """After the commit: the fee read from Stripe for an applied payment, and Stripe's answer."""
    if outcome == "applied":
        # The fee and net come from the charge's balance transaction: read after the commit, so
        # no Stripe call happens inside the ledger's write transaction (the sync heals a miss).
        try:
            fees.record_fee_after_event(event)
        except Exception:  # noqa: BLE001 - the event is applied and committed; the sync heals the fee
            log.warning("stripe: fee after event %s not recorded", event["id"], exc_info=True)
    if outcome == "failed":
        return 500, {"detail": "event recorded, applying it failed; it will be retried", "outcome": outcome}
    return 200, {"received": True, "outcome": outcome}


HANDLERS: dict[str, Callable[[Session, dict, dict], str]] = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_async_succeeded,
    "checkout.session.async_payment_failed": on_async_failed,
    "payment_intent.succeeded": on_payment_intent_succeeded,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund,
    "refund.updated": on_refund,
    "refund.failed": on_refund,
    "charge.refund.updated": on_refund,
    "charge.dispute.created": _on_dispute,
    "charge.dispute.updated": _on_dispute,
    "charge.dispute.closed": _on_dispute,
    "charge.dispute.funds_withdrawn": _on_dispute,
    "charge.dispute.funds_reinstated": _on_dispute,
    "payout.paid": fees.on_payout,
    "payout.failed": fees.on_payout,
}
assert set(HANDLERS) == HANDLED, "webhook_checks.HANDLED lists the handled types"
