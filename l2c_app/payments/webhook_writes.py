"""The webhook's write transaction, made short and quiet under concurrency (issue 18).

- SQLite has one write lock per file. Threads of the server's pool that all open
  `BEGIN IMMEDIATE` at once wait on SQLite's busy handler, which sleeps in steps of up to
  100 ms: throughput falls as connections rise and p99 explodes. `one_writer()` queues the
  webhook's writers on a lock in this process instead, so each BEGIN finds the file free
  (other processes still wait on busy_timeout as before). The signature is verified and the
  body parsed before it is taken; nothing outside (Stripe) is called while it is held.
- PostgreSQL is round trips: `lock_invoice_for_event` reads the locked invoice row together
  with what the same transaction would ask next: the deals its lines bill (asked twice before:
  "paid" and "payment received"), the organisation's id (domain events), whether an accounting
  system is connected and whether any outbound endpoint is enabled (the two subscribers of the
  payment's events). One statement instead of up to seven; the subscribers keep those answers
  in `session.info` for the rest of the transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from l2c_app.accounting.sync.models import AccountingConnection
from l2c_app.accounting.sync.subscribers import CONNECTED_KEY
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.service import INVOICE_ROW
from l2c_app.core.models import Organisation
from l2c_app.core.timeutil import utcnow
from l2c_app.projects.models import Project
from l2c_app.webhooks_out.models import WebhookEndpoint
from l2c_app.webhooks_out.service import ENDPOINTS_KEY

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def one_writer(database_url: str) -> Iterator[None]:
    """SQLite: one webhook write transaction at a time in this process (a no-op on PostgreSQL,
    where row locks let payments of different invoices commit side by side)."""
    if not database_url.startswith("sqlite"):
        yield
        return
    lock = _LOCKS.get(database_url)
    if lock is None:
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(database_url, threading.Lock())
    with lock:
        yield


def _line_deals(agg: Any) -> Any:
    """(SELECT agg(project.deal_id) ...) over the invoice's lines, only when it has no deal of its own."""
    sub = (
        sa_select(agg)
        .select_from(InvoiceLine)
        .join(Project, Project.id == InvoiceLine.project_id)
        .where(InvoiceLine.invoice_id == Invoice.id, Project.deal_id.is_not(None))
        .scalar_subquery()
    )
    return case((Invoice.deal_id.is_(None), sub), else_=None)


class EventInvoiceRow(NamedTuple):
    """billing.service.INVOICE_ROW's columns, plus `deal_ids` (what `invoice_deal_ids` would
    query; None when it must still query: more than two deals)."""

    id: int
    status: str
    kind: str
    total_minor: int
    paid_minor: int
    refunded: bool
    disputed: bool
    currency: str
    account_id: int | None
    deal_id: int | None
    number: str | None
    payment_link_id: str | None
    credited_minor: int
    written_off_minor: int
    deal_ids: list[int] | None


assert [c.key for c in INVOICE_ROW] == list(EventInvoiceRow._fields[:-1]), "keep EventInvoiceRow in step"

_LOCK_FOR_EVENT = (
    sa_select(
        *INVOICE_ROW,
        _line_deals(func.count(Project.deal_id.distinct())).label("deal_n"),
        _line_deals(func.min(Project.deal_id)).label("deal_lo"),
        _line_deals(func.max(Project.deal_id)).label("deal_hi"),
        sa_select(func.min(Organisation.id)).scalar_subquery().label("org_id"),
        exists().where(AccountingConnection.status == "connected").label("accounting"),
        exists().where(WebhookEndpoint.enabled.is_(True)).label("endpoints"),
    )
    .where(Invoice.id == bindparam("invoice_id"))
    .with_for_update(of=Invoice)
)


def lock_invoice_for_event(session: Session, invoice_id: int) -> EventInvoiceRow | None:
    """`billing.service.lock_invoice_row` with the deal lookup and the organisation folded in:
    the same lock (FOR UPDATE OF invoice on PostgreSQL), one statement."""
    got = session.connection().execute(_LOCK_FOR_EVENT, {"invoice_id": invoice_id}).first()
    return None if got is None else read_locked_row(session, tuple(got))


def read_locked_row(session: Session, got: tuple) -> EventInvoiceRow:
    """The columns of `_LOCK_FOR_EVENT` as an EventInvoiceRow, the subscribers' answers kept."""
    *cols, deal_n, lo, hi, org_id, accounting, endpoints = got
    # What the payment's domain events would read next, for this transaction (cleared at its end):
    if org_id is not None:  # events.bus._org_id: the install's one organisation
        session.info.setdefault("l2c_org_id", org_id)
    session.info.setdefault(CONNECTED_KEY, bool(accounting))  # accounting.sync.subscribers.queue_sync
    if not endpoints:  # webhooks_out.service.fan_out: no endpoint to queue for (else it reads them)
        session.info.setdefault(ENDPOINTS_KEY, [])
    if cols[9] is not None:  # deal_id
        deals: list[int] | None = [cols[9]]
    elif not deal_n:
        deals = []
    elif deal_n <= 2:
        deals = sorted({int(lo), int(hi)})
    else:
        deals = None
    return EventInvoiceRow(*cols, deals)


def event_row(event: dict, raw: str, headers: dict | None) -> dict:
    """The received event's row as stored (dj-stripe's model: the raw request, then its outcome),
    for both the reference INSERT and the fast path's INSERT ... CTE."""
    return {
        "provider": "stripe",
        "event_id": event["id"][:255],
        "type": str(event["type"])[:100],
        "raw_body": raw,
        "headers": headers or {},
        "received_at": utcnow(),
        "outcome": "received",
    }
