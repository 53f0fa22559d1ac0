"""The outbox's own rules: one row per key, claims never shared, backoff then failed, Retry;
domain events in the caller's transaction with typed payloads and in-transaction subscribers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import setup_organisation
from l2c_app.core.errors import DomainError
from l2c_app.events import bus
from l2c_app.events.models import DomainEvent
from l2c_app.events.types import EVENT_TYPES, InvoiceEvent
from l2c_app.outbox import service as outbox
from l2c_app.outbox.models import OutboxEffect
from l2c_app.outbox.worker import deliver_outbox, register_pump

CALLS: list[int] = []


@outbox.handler("test.flaky")
def _flaky(effect) -> str:
    CALLS.append(effect.id)
    if effect.payload.get("fail") == "permanent":
        raise outbox.Permanent("refused for good")
    if effect.payload.get("fail"):
        raise ConnectionError("provider unreachable")
    return "ok"


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def _due_now(session) -> None:
    for row in session.exec(select(OutboxEffect)):
        row.next_attempt_at = row.created_at - timedelta(seconds=1)
        session.add(row)
    session.commit()


def test_the_same_key_is_one_effect(session):
    a = outbox.enqueue(session, "test.flaky", {}, "k-1")
    b = outbox.enqueue(session, "test.flaky", {}, "k-1")
    session.commit()
    assert a.id == b.id and len(session.exec(select(OutboxEffect)).all()) == 1
    assert deliver_outbox() == 1 and CALLS == [a.id]
    assert deliver_outbox() == 0


def test_two_claimers_never_share_a_row(session, db_url):
    from sqlmodel import Session

    from l2c_app.core.db import engine_for

    for i in range(5):
        outbox.enqueue(session, "test.flaky", {}, f"k-{i}")
    session.commit()
    with Session(engine_for(db_url)) as one, Session(engine_for(db_url)) as two:
        first = {e.id for e in outbox.claim(one, limit=2)}
        second = {e.id for e in outbox.claim(two, limit=10)}
    assert len(first) == 2 and len(second) == 3 and not first & second


def test_failures_back_off_then_fail_and_retry_queues_again(session):
    row = outbox.enqueue(session, "test.flaky", {"fail": True}, "k-flaky")
    session.commit()
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert deliver_outbox() == 1
        session.refresh(row)
        assert row.attempts == attempt and "provider unreachable" in row.last_error
        if attempt < outbox.MAX_ATTEMPTS:
            assert row.status == "queued"
            waits.append((row.next_attempt_at - row.created_at).total_seconds())
            assert deliver_outbox() == 0  # not due before its backoff
            _due_now(session)
    assert row.status == "failed"
    assert waits[1] > waits[0] * 1.5 and outbox.backoff_seconds(2) == 2 * outbox.backoff_seconds(1)
    outbox.retry(session, SYSTEM, row.id)
    session.commit()
    session.refresh(row)
    assert row.status == "queued" and row.attempts == 0
    assert deliver_outbox() == 1


def test_a_permanent_refusal_fails_at_once(session):
    row = outbox.enqueue(session, "test.flaky", {"fail": "permanent"}, "k-perm")
    session.commit()
    deliver_outbox()
    session.refresh(row)
    assert row.status == "failed" and row.attempts == 1 and row.last_error == "refused for good"
    row.status = "sent"
    session.add(row)
    session.commit()
    with pytest.raises(DomainError):  # a sent effect is never sent again by hand
        outbox.retry(session, SYSTEM, row.id)


def test_registered_pumps_run_in_the_same_loop(session):
    seen = []

    def pump() -> int:
        seen.append(1)
        return 0

    register_pump(pump)
    deliver_outbox()
    assert seen


# --- domain events ------------------------------------------------------------------------


@pytest.fixture
def org(session):
    setup_organisation(
        session,
        org_name="Acme",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia",
        owner_email="olivia@acme.test",
        password="owner-password-1",
    )
    session.commit()


def test_an_event_is_written_with_the_change_and_rolls_back_with_it(session, org):
    got = []

    def everything(s, event):
        got.append((event.type, event.payload["invoice_id"]))

    bus.subscribe("*", everything)
    try:
        bus.emit(
            session, "invoice.issued", InvoiceEvent(invoice_id=7, number="2026-0007", total_minor=1000, currency="EUR")
        )
        session.rollback()
        assert session.exec(select(DomainEvent)).first() is None
        ev = bus.emit(session, "invoice.paid", {"invoice_id": 7, "total_minor": 1000, "currency": "EUR"})
        session.commit()
    finally:
        bus.unsubscribe("*", everything)
    assert got == [("invoice.issued", 7), ("invoice.paid", 7)]
    row = session.get(DomainEvent, ev.id)
    assert row.subject_kind == "invoice" and row.subject_id == 7 and row.org_id is not None
    assert row.payload["total_minor"] == 1000 and row.payload["number"] is None


def test_payloads_are_typed(session, org):
    with pytest.raises(TypeError):
        bus.emit(session, "invoice.paid", {"invoice_id": 1, "amount": 5})  # unknown field
    with pytest.raises(TypeError):
        bus.emit(session, "invoice.paid", {"number": "x"})  # the id is required
    with pytest.raises(ValueError):
        bus.emit(session, "invoice.lost", {"invoice_id": 1})
    with pytest.raises(ValueError):
        bus.subscribe("invoice.lost", lambda s, e: None)


def test_every_type_of_the_issue_is_declared():
    assert set(EVENT_TYPES) == {
        "lead.created",
        "lead.assigned",
        "deal.stage_changed",
        "deal.won",
        "deal.lost",
        "quote.sent",
        "quote.accepted",
        "quote.declined",
        "contract.sent",
        "contract.signed",
        "contract.declined",
        "project.created",
        "time.week_approved",
        "change_order.approved",
        "invoice.issued",
        "invoice.sent",
        "invoice.paid",
        "invoice.overdue",
        "invoice.voided",
        "payment.received",
        "payment.refunded",
        "dispute.opened",
        "dispute.closed",
    }
