"""The webhook's write transaction under concurrency (issue 18): how many statements a payment
costs (a regression fails here, not only in bench/webhook_bench.py), the folded invoice lock
giving what the separate lookups gave, and SQLite's writers queued in the process."""

from __future__ import annotations

import json
import threading
import time

import pytest
import stripe
from sqlalchemy import event as sa_event
from sqlmodel import select

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.db import engine_for
from l2c_app.core.models import WebhookEvent
from l2c_app.payments import webhook_writes
from l2c_app.payments.webhooks import handle_request
from tests.payments.conftest import issued_invoice, payments, reload

SECRET = "whsec_round_trips"

# Statements one new Stripe payment of an invoice of one deal costs, BEGIN and COMMIT not
# counted: event INSERT ... RETURNING, invoice lock (deals, organisation, accounting and
# endpoint checks folded in), payment INSERT ... RETURNING, its audit, ledger, invoice UPDATE,
# its audit, two timeline rows and one deal UPDATE, two domain events, event outcome.
# Was 18 (20 for an invoice without a deal, now 10). PostgreSQL (payments/webhook_fast.py): the
# event INSERT with the invoice lock and its ledger, then the payment with everything it moves
# (audits, invoice UPDATE, domain events, event outcome) in one statement; the deal's two
# timeline rows and its UPDATE stay: 5 (2 for an invoice without a deal; was 11 and 8).
# SQLite's fast path sends its last seven writes to the driver's cursor (webhook_fast._apply_sqlite),
# which SQLAlchemy's events do not see: what this counts there is the event INSERT, the lock and
# the timeline (5); the cap stays at what the reference path sends.
NEW_PAYMENT_STATEMENTS = 13
NEW_PAYMENT_STATEMENTS_PG = 5
# A redelivered event: its INSERT conflicts and the known row is read (SQLite adds BEGIN IMMEDIATE).
DUPLICATE_STATEMENTS = 2


@pytest.fixture
def secret(monkeypatch):
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    reset_settings()
    yield SECRET
    reset_settings()


def _signed(inv: Invoice, tag: str, amount: int | None = None) -> tuple[bytes, str]:
    cs = {
        "id": f"cs_{tag}",
        "object": "checkout.session",
        "amount_total": amount or inv.total_minor,
        "currency": "eur",
        "payment_intent": f"pi_{tag}",
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"invoice_id": str(inv.id), "source": "l2c"},
        "created": int(time.time()),
    }
    body = json.dumps(
        {
            "id": f"evt_{tag}",
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "data": {"object": cs},
        }
    )
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)


class Statements:
    """Every statement sent to the database (before_cursor_execute), BEGIN/COMMIT excluded."""

    def __init__(self, url: str) -> None:
        self.engine, self.seen = engine_for(url), []
        sa_event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, params, context, many) -> None:
        self.seen.append(statement)

    def counted(self) -> list[str]:
        return [s for s in self.seen if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]

    def close(self) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._seen)


def test_a_new_payment_costs_at_most_its_statements(session, world, db_url, secret):
    first, second = issued_invoice(session, world, 10000), issued_invoice(session, world, 20000)
    assert handle_request(*_signed(first, "warm"))[0] == 200  # the app's one-time reads happen here
    seen = Statements(db_url)
    try:
        assert handle_request(*_signed(second, "count")) == (200, {"received": True, "outcome": "applied"})
    finally:
        seen.close()
    statements = seen.counted()
    assert len(statements) <= NEW_PAYMENT_STATEMENTS, "\n".join(statements)
    if db_url.startswith("postgres"):
        assert len(statements) <= NEW_PAYMENT_STATEMENTS_PG, "\n".join(statements)
    assert not [s for s in statements if "FROM organisation" in s and "invoice" not in s], "org read folded in"
    assert sum("project.deal_id" in s for s in statements) == 1, "the deal lookup is folded into the invoice lock"
    assert reload(session, second).status == "paid" and len(payments(session)) == 2


def test_a_redelivered_event_costs_two_statements_and_changes_nothing(session, world, db_url, secret):
    inv = issued_invoice(session, world, 10000)
    body = _signed(inv, "again")
    assert handle_request(*body)[1]["outcome"] == "applied"
    seen = Statements(db_url)
    try:
        assert handle_request(*body) == (200, {"received": True, "outcome": "duplicate"})
    finally:
        seen.close()
    assert len(seen.counted()) <= DUPLICATE_STATEMENTS, seen.counted()
    assert len(payments(session)) == 1


def test_the_folded_lock_reads_the_deals_the_lookup_reads(session, world):
    """0, 1 (its own) and 2 deals (a client invoice over two projects' deals) come with the lock; 3 or
    more are left to `invoice_deal_ids` (None), which then queries as before."""
    own = issued_invoice(session, world, 10000)
    app = world.another_project("Mobile app", new_deal=True)
    shop = world.another_project("Shop", new_deal=True)
    for w in (world, app, shop):
        w.change_order(1000)
    session.commit()
    from datetime import date

    two = billing.build_client_invoice(session, SYSTEM, world.account.id, [world.pid, app.pid], date(2026, 3, 31))
    three = billing.build_client_invoice(session, SYSTEM, world.account.id, [shop.pid], date(2026, 3, 31))
    session.flush()
    for inv, expected_known in ((own, True), (two, True)):
        row = webhook_writes.lock_invoice_for_event(session, inv.id)
        assert (row.deal_ids is not None) == expected_known
        assert billing.invoice_deal_ids(session, row) == billing.invoice_deal_ids(session, session.get(Invoice, inv.id))
    assert webhook_writes.lock_invoice_for_event(session, two.id).deal_ids == sorted(
        [world.project.deal_id, app.project.deal_id]
    )
    # more than two deals: left to the lookup (the third project's lines copied onto the invoice)
    from l2c_app.billing.models import InvoiceLine

    for ln in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == three.id)):
        session.add(InvoiceLine(**{**ln.model_dump(exclude={"id"}), "invoice_id": two.id}))
    session.flush()
    row = webhook_writes.lock_invoice_for_event(session, two.id)
    assert row.deal_ids is None
    assert billing.invoice_deal_ids(session, row) == sorted(
        [world.project.deal_id, app.project.deal_id, shop.project.deal_id]
    )
    assert webhook_writes.lock_invoice_for_event(session, 10**9) is None


def test_on_sqlite_every_webhook_transaction_begins_under_the_process_lock(session, world, db_url, secret):
    """Eight deliveries at once: each BEGIN IMMEDIATE is issued holding `one_writer`'s lock, so no
    thread waits on SQLite's busy handler; all are applied, each invoice paid."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL serialises per invoice row, not per database")
    invoices = [issued_invoice(session, world, 1000 * (i + 1)) for i in range(8)]
    handle_request(*_signed(invoices[0], "warm", 1))  # the lock exists from the first delivery on
    lock = webhook_writes._LOCKS[db_url]
    begins: list[bool] = []

    def on_begin(conn, cursor, statement, *_a) -> None:
        if statement.startswith("BEGIN IMMEDIATE") and threading.current_thread() is not threading.main_thread():
            begins.append(lock.locked())

    engine = engine_for(db_url)
    sa_event.listen(engine, "before_cursor_execute", on_begin)
    outcomes: list[str] = []

    def deliver(inv: Invoice) -> None:
        outcomes.append(handle_request(*_signed(inv, f"t{inv.id}"))[1]["outcome"])

    try:
        threads = [threading.Thread(target=deliver, args=(inv,)) for inv in invoices]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sa_event.remove(engine, "before_cursor_execute", on_begin)
    assert outcomes == ["applied"] * 8
    assert begins == [True] * 8
    assert [reload(session, inv).status for inv in invoices] == ["paid"] * 8
    assert len(session.exec(select(WebhookEvent).where(WebhookEvent.outcome == "applied")).all()) == 9


def test_the_payment_audit_row_holds_the_row_and_its_id_on_both_databases(session, world, secret):
    """SQLite writes the payment and its audit in two statements, PostgreSQL in one: the audit's
    `after` is the payment's values and its id either way (what record_create would store)."""
    from datetime import date, datetime

    from l2c_app.core.models import AuditLog

    inv = issued_invoice(session, world, 10000)
    assert handle_request(*_signed(inv, "audit"))[1]["outcome"] == "applied"
    [pay] = payments(session)
    row = session.exec(
        select(AuditLog).where(AuditLog.entity == "payment", AuditLog.entity_id == pay.id, AuditLog.action == "create")
    ).one()
    assert row.actor == "webhook:stripe" and row.before is None
    expected = {
        k: v.isoformat() if isinstance(v, (date, datetime)) else v
        for k, v in pay.model_dump().items()
        if k != "id" and k in row.after
    }
    assert row.after["id"] == pay.id
    assert {k: v for k, v in row.after.items() if k not in ("id", "created_at", "updated_at")} == {
        k: v for k, v in expected.items() if k not in ("created_at", "updated_at")
    }
    assert set(row.after) >= {"id", "invoice_id", "amount_minor", "currency", "status", "stripe_checkout_session_id"}
