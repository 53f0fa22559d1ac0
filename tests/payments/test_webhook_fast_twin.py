"""The webhook's two-statement path of a new checkout payment (payments/webhook_fast.py, PostgreSQL)
against the reference path (record_and_apply -> handler -> upsert_payment -> _settle), on the
same cases: the same deliveries to two like invoices, one with the fast path on, one with it
off, must leave the same rows: the invoice, its payments, the audit trail, the domain events,
the deals' timeline, the events' outcomes. On SQLite the fast path's writes go to the driver's
cursor one by one (`_apply_sqlite`), with the same decisions. The same cases delivered together
(payments/webhook_group.run_batch: one transaction for all) must leave the same rows as the
reference path one by one, and a failing event must not fail its batch.
"""

from __future__ import annotations

import json
import time

import pytest
import stripe
from sqlmodel import select

from l2c_app.core.models import AuditLog, WebhookEvent
from l2c_app.events.models import DomainEvent
from l2c_app.payments import webhook_fast, webhook_group
from l2c_app.payments.models import ClientCredit, Payment
from l2c_app.payments.webhook_record import answer, prepare
from l2c_app.payments.webhooks import handle_request
from l2c_app.pipeline.models import Activity
from tests.payments.conftest import issued_invoice, reload

SECRET = "whsec_fast_twin"
TOTAL = 10000

# (label, deliveries: (event tag, session tag, amount, payment_status, currency, type)); the
# same tag twice is a redelivery, the same session tag under a new event a second event of it.
CASES = [
    ("paid exactly", [("a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")]),
    ("redelivered", [("a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")] * 2),
    (
        "paid in two",
        [
            ("a", "s1", 4000, "paid", "eur", "checkout.session.completed"),
            ("b", "s2", 6000, "paid", "eur", "checkout.session.completed"),
        ],
    ),
    ("one minor unit short", [("a", "s1", TOTAL - 1, "paid", "eur", "checkout.session.completed")]),
    ("overpaid by one minor unit", [("a", "s1", TOTAL + 1, "paid", "eur", "checkout.session.completed")]),
    (
        "overpaid in the second",
        [
            ("a", "s1", 6000, "paid", "eur", "checkout.session.completed"),
            ("b", "s2", 6000, "paid", "eur", "checkout.session.completed"),
        ],
    ),
    ("another currency", [("a", "s1", TOTAL, "paid", "usd", "checkout.session.completed")]),
    (
        "pending, then its async success",
        [
            ("a", "s1", TOTAL, "unpaid", "eur", "checkout.session.completed"),
            ("b", "s1", TOTAL, "paid", "eur", "checkout.session.async_payment_succeeded"),
        ],
    ),
    (
        "the same session under a second event",
        [
            ("a", "s1", TOTAL, "paid", "eur", "checkout.session.completed"),
            ("b", "s1", TOTAL, "paid", "eur", "checkout.session.async_payment_succeeded"),
        ],
    ),
    ("a zero amount", [("a", "s1", 0, "paid", "eur", "checkout.session.completed")]),
    ("an unknown invoice", [("a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")]),
]


@pytest.fixture
def secret(monkeypatch):
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    reset_settings()
    yield SECRET
    reset_settings()


def _signed(invoice_id: int, run: str, tag: str, cs: str, amount: int, pay_status: str, currency: str, etype: str):
    obj = {
        "id": f"cs_{run}{cs}",
        "object": "checkout.session",
        "amount_total": amount,
        "currency": currency,
        "payment_intent": f"pi_{run}{cs}",
        "payment_status": pay_status,
        "status": "complete",
        "metadata": {"invoice_id": str(invoice_id), "source": "l2c"},
        "created": 1775000000,
    }
    body = json.dumps(
        {
            "id": f"evt_{run}{tag}",
            "object": "event",
            "type": etype,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)


def _deliver(invoice_id: int, run: str, *delivery):
    return handle_request(*_signed(invoice_id, run, *delivery))


def _deliver_together(invoice_id: int, run: str, deliveries, monkeypatch) -> list:
    """The deliveries as concurrent requests whose events the writer takes in one batch (in one
    transaction: the fallback of a failed batch, one event at a time, is not taken)."""
    prepared = [prepare(*_signed(invoice_id, run, *d)) for d in deliveries]
    with monkeypatch.context() as m:
        m.setattr(webhook_group, "store", lambda p: pytest.fail(f"batch fell back to one by one: {p.event['id']}"))
        outcomes = webhook_group.run_batch(prepared)
    assert all(error is None for _, error in outcomes), outcomes
    return [answer(p.event, outcome) for p, (outcome, _) in zip(prepared, outcomes, strict=True)]


def _state(session, inv, run: str, pay_ids: list[int], touched_before) -> dict:
    """Every row the deliveries wrote for this invoice, ids and times left out (payments by rank)."""
    session.expire_all()
    inv = reload(session, inv)
    number = inv.number
    pays = list(session.exec(select(Payment).where(Payment.id.in_(pay_ids)).order_by(Payment.id)))
    rank = {p.id: k for k, p in enumerate(pays)}

    def plain(value):
        if isinstance(value, dict):
            return {
                k: plain(v)
                for k, v in value.items()
                if k not in ("created_at", "updated_at", "id", "invoice_id", "account_id", "payment_id")
            } | ({"payment": rank.get(value["payment_id"])} if "payment_id" in value else {})
        if isinstance(value, str):
            return value.replace(number, "N").replace(f"_{run}", "_")
        return value

    audits = session.exec(
        select(AuditLog).where(
            AuditLog.actor != "system",
            ((AuditLog.entity == "invoice") & (AuditLog.entity_id == inv.id))
            | ((AuditLog.entity == "payment") & AuditLog.entity_id.in_(pay_ids or [-1])),
        )
    ).all()
    events = session.exec(select(DomainEvent).order_by(DomainEvent.id)).all()
    mine = [
        e
        for e in events
        if (e.subject_kind == "invoice" and e.subject_id == inv.id) or (e.payload.get("payment_id") in rank)
    ]
    outcomes = session.exec(
        select(WebhookEvent).where(WebhookEvent.event_id.like(f"evt_{run}%")).order_by(WebhookEvent.id)
    ).all()
    for p in pays:
        assert p.stripe_checkout_session_id.startswith(f"cs_{run}")
    detail = {f"payment {p.id} ": f"payment #{k} " for k, p in enumerate(pays)}

    def said(text):
        for a, b in detail.items():
            text = (text or "").replace(a, b)
        return text

    return {
        "invoice": (inv.status, inv.paid_minor, inv.refunded, inv.disputed, inv.payment_link_id is None),
        "invoice touched": inv.updated_at > touched_before,  # accounting sync reads ?updated_since
        "payments": [
            plain({k: v for k, v in p.model_dump().items() if k not in ("id",)} | {"invoice": p.invoice_id == inv.id})
            for p in pays
        ],
        "credits": sorted(
            c.amount_minor
            for c in session.exec(select(ClientCredit).where(ClientCredit.payment_id.in_(pay_ids or [-1])))
        ),
        "audit": sorted(
            json.dumps(
                [a.entity, a.action, a.actor, a.user_id, plain(a.before), plain(a.after)], sort_keys=True, default=str
            )
            for a in audits
        ),
        "events": [(e.type, e.subject_kind, e.org_id, plain(e.payload)) for e in mine],
        "timeline": sorted(plain(a.subject) for a in session.exec(select(Activity)) if number in (a.subject or "")),
        "outcomes": [
            (o.type, o.outcome, said(o.detail), o.processed_at is not None, sorted(o.headers)) for o in outcomes
        ],
    }


def _run(
    session, world, monkeypatch, run: str, fast: bool, label: str, deliveries, together: bool = False
) -> tuple[list, dict]:
    monkeypatch.setattr(webhook_fast, "ENABLED", fast)
    inv = issued_invoice(session, world, TOTAL)
    touched_before = reload(session, inv).updated_at
    target = 10**9 if label == "an unknown invoice" else inv.id
    before = set(session.exec(select(Payment.id)).all())
    if together:
        answers = _deliver_together(target, run, deliveries, monkeypatch)
    else:
        answers = [_deliver(target, run, *d) for d in deliveries]
    session.expire_all()
    pay_ids = sorted(set(session.exec(select(Payment.id)).all()) - before)
    return answers, _state(session, inv, run, pay_ids, touched_before)


@pytest.mark.parametrize("label, deliveries", CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_writes_what_the_reference_path_writes(
    session, world, db_url, secret, monkeypatch, label, deliveries
):
    ref = _run(session, world, monkeypatch, "r", False, label, deliveries)
    fast = _run(session, world, monkeypatch, "f", True, label, deliveries)
    assert fast[0] == ref[0], label  # the answers to Stripe
    for key in ref[1]:
        assert fast[1][key] == ref[1][key], (label, key)
    assert ref[1]["outcomes"], label


@pytest.mark.parametrize("label, deliveries", CASES, ids=[c[0] for c in CASES])
def test_a_batch_writes_what_the_reference_path_writes_one_by_one(
    session, world, db_url, secret, monkeypatch, label, deliveries
):
    """webhook_group: the events of one batch, in one transaction, leave the rows of the same
    events applied one by one on the reference path (a redelivery in the batch is a duplicate)."""
    ref = _run(session, world, monkeypatch, "r", False, label, deliveries)
    grouped = _run(session, world, monkeypatch, "g", True, label, deliveries, together=True)
    assert grouped[0] == ref[0], label
    for key in ref[1]:
        assert grouped[1][key] == ref[1][key], (label, key)


def test_a_failing_event_does_not_fail_its_batch(session, world, db_url, secret, monkeypatch):
    """The batch is rolled back and each event stored alone: the failing one is recorded as
    failed (500: Stripe retries), the others are applied."""
    from l2c_app.payments import webhook_record

    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setitem(webhook_record.HANDLERS, "charge.refunded", broken)
    a, b = issued_invoice(session, world, TOTAL), issued_invoice(session, world, TOTAL)
    refund = json.dumps(
        {
            "id": "evt_bad",
            "object": "event",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {"object": {"id": "ch_bad", "object": "charge", "amount": 100, "amount_refunded": 100}},
        }
    )
    bodies = [
        _signed(a.id, "x", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed"),
        (refund.encode(), stripe.WebhookSignature.generate_signature_header(refund, SECRET)),
        _signed(b.id, "x", "b", "s2", TOTAL, "paid", "eur", "checkout.session.completed"),
    ]
    prepared = [prepare(*body) for body in bodies]
    outcomes = webhook_group.run_batch(prepared)
    assert [o for o, _ in outcomes] == ["applied", "failed", "applied"]
    assert answer(prepared[1].event, "failed")[0] == 500
    session.expire_all()
    assert reload(session, a).status == reload(session, b).status == "paid"
    bad = session.exec(select(WebhookEvent).where(WebhookEvent.event_id == "evt_bad")).one()
    assert (bad.outcome, bad.detail) == ("failed", "RuntimeError: boom")


def test_the_fast_path_is_taken(session, world, db_url, secret, monkeypatch):
    """A new checkout payment takes it: PostgreSQL's statement 2, SQLite's cursor writes."""
    inv = issued_invoice(session, world, TOTAL)
    warm = issued_invoice(session, world, TOTAL)
    _deliver(warm.id, "w", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")
    statement_2: list[int] = []
    real_first = webhook_fast._APPLY.first
    monkeypatch.setattr(webhook_fast._APPLY, "first", lambda conn, p: statement_2.append(1) or real_first(conn, p))
    sqlite_writes = []
    real = webhook_fast._apply_sqlite
    monkeypatch.setattr(webhook_fast, "_apply_sqlite", lambda conn, p: sqlite_writes.append(1) or real(conn, p))
    answer_ = _deliver(inv.id, "t", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")
    assert answer_[1]["outcome"] == "applied"
    if db_url.startswith("postgres"):
        assert statement_2 == [1]
    else:
        assert sqlite_writes == [1]
    assert reload(session, inv).status == "paid"


def test_a_driver_error_on_the_cursor_is_sqlalchemys(session, db_url):
    """OnCursor's statements raise what SQLAlchemy would (webhook_record.store retries on its
    IntegrityError and on a dropped connection's DBAPIError)."""
    from sqlalchemy import exc, text

    if not db_url.startswith("postgres"):
        pytest.skip("the statements on the cursor are PostgreSQL's")
    conn = session.connection()
    assert webhook_fast.OnCursor(text("SELECT :a + 1")).first(conn, {"a": 1}) == (2,)
    with pytest.raises(exc.DBAPIError):
        webhook_fast.OnCursor(text("SELECT 1 / :zero")).first(conn, {"zero": 0})
    session.rollback()
    # The connection's kept cursor was dropped with the error: the next statement gets a new one.
    again = session.connection()
    assert webhook_fast.OnCursor(text("SELECT :a + 1")).first(again, {"a": 2}) == (3,)
    assert webhook_fast.OnCursor(text("SELECT :a + 2")).first(again, {"a": 2}) == (4,)
    session.rollback()


@pytest.mark.parametrize("fast", [False, True], ids=["reference", "fast"])
def test_a_payment_that_waited_for_the_lock_counts_the_one_committed_meanwhile(
    session, world, db_url, secret, monkeypatch, fast
):
    """Two events paying halves of one invoice at once: the second waits for the first's lock.
    On PostgreSQL its statement 1 read the ledger before the wait (without the first payment):
    the fast path must not settle the invoice from it (it did: paid_minor half, partially paid)."""
    import threading

    from l2c_app.core.db import session_scope
    from l2c_app.payments.webhook_record import record_and_apply

    if not db_url.startswith("postgres"):
        pytest.skip("SQLite's write lock is taken before anything is read")
    monkeypatch.setattr(webhook_fast, "ENABLED", fast)
    inv = issued_invoice(session, world, TOTAL)
    run = "lk" + ("f" if fast else "r")
    first, second = (
        prepare(*_signed(inv.id, run, tag, cs, TOTAL // 2, "paid", "eur", "checkout.session.completed"))
        for tag, cs in (("a", "s1"), ("b", "s2"))
    )
    holding, outcomes = threading.Event(), {}

    def pay_first() -> None:
        with session_scope() as s:
            outcomes["a"] = record_and_apply(s, first.event, first.raw, first.headers, isolate=False)
            holding.set()
            time.sleep(0.5)  # the invoice stays locked: the second waits for this commit

    def pay_second() -> None:
        holding.wait(10)
        with session_scope() as s:
            outcomes["b"] = record_and_apply(s, second.event, second.raw, second.headers, isolate=False)

    threads = [threading.Thread(target=pay_first), threading.Thread(target=pay_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == {"a": "applied", "b": "applied"}
    session.expire_all()
    inv = reload(session, inv)
    assert (inv.status, inv.paid_minor) == ("paid", TOTAL)
    assert len(session.exec(select(Payment).where(Payment.invoice_id == inv.id)).all()) == 2


# A batch of several invoices: (invoice key, event tag, session tag, amount, payment_status,
# currency, type). Arrival order is not invoice order (B before A): the pipelined statements go
# in invoice order. "a" again is a redelivery; A twice and the redelivery end the first run of
# distinct invoices (a second run starts); "u" is an unknown invoice.
MIXED = [
    ("B", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed"),
    ("A", "b", "s2", 4000, "paid", "eur", "checkout.session.completed"),
    ("C", "c", "s3", TOTAL + 1, "paid", "eur", "checkout.session.completed"),  # overpaid: a credit
    ("u", "d", "s4", TOTAL, "paid", "eur", "checkout.session.completed"),  # an unknown invoice
    ("D", "e", "s5", TOTAL, "paid", "usd", "checkout.session.completed"),  # another currency
    ("A", "f", "s6", 6000, "paid", "eur", "checkout.session.completed"),  # A again: paid in two
    ("B", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed"),  # a redelivery
    ("E", "g", "s7", TOTAL, "unpaid", "eur", "checkout.session.completed"),  # pending: not a candidate
    ("F", "h", "s8", 3000, "paid", "eur", "checkout.session.completed"),
    ("E", "i", "s7", TOTAL, "paid", "eur", "checkout.session.async_payment_succeeded"),
]


def _run_mixed(session, world, monkeypatch, run: str, batch: bool) -> tuple[list, dict]:
    """MIXED one by one on the reference path (batch=False), or as one batch with the fast path
    and its pipelines (batch=True): the answers, and each invoice's rows (payments ranked within
    it; the outcomes by event, not by row id: the runs' events are written in invoice order)."""
    from l2c_app.payments import webhook_record

    monkeypatch.setattr(webhook_fast, "ENABLED", batch)
    monkeypatch.setattr(webhook_record, "PIPELINE", batch)
    keys = sorted({k for k, *_ in MIXED} - {"u"}) + ["u"]
    invs = {k: issued_invoice(session, world, TOTAL) for k in keys}  # "u": an invoice no event names
    touched = {k: reload(session, inv).updated_at for k, inv in invs.items()}
    before = set(session.exec(select(Payment.id)).all())
    target = {k: (10**9 if k == "u" else inv.id) for k, inv in invs.items()}
    bodies = [_signed(target[k], run, *d) for k, *d in MIXED]
    if batch:
        prepared = [prepare(*b) for b in bodies]
        with monkeypatch.context() as m:
            m.setattr(webhook_group, "store", lambda p: pytest.fail(f"batch fell back to one by one: {p.event['id']}"))
            outcomes = webhook_group.run_batch(prepared)
        assert all(error is None for _, error in outcomes), outcomes
        answers = [answer(p.event, o) for p, (o, _) in zip(prepared, outcomes, strict=True)]
    else:
        answers = [handle_request(*b) for b in bodies]
    session.expire_all()
    new = session.exec(select(Payment).where(Payment.id.not_in(before or [-1])).order_by(Payment.id)).all()
    of = {k: [p.id for p in new if p.invoice_id == (None if k == "u" else inv.id)] for k, inv in invs.items()}
    label = {p: f"{k}#{n}" for k, ids in of.items() for n, p in enumerate(ids)}
    rows: dict = {}
    for k, inv in invs.items():
        state = _state(session, inv, run, of[k], touched[k])
        del state["outcomes"]
        rows[k] = state
    outcomes_ = session.exec(select(WebhookEvent).where(WebhookEvent.event_id.like(f"evt_{run}%"))).all()

    def said(text):
        for p, name in label.items():
            text = (text or "").replace(f"payment {p} ", f"payment {name} ")
        return text

    rows["outcomes"] = sorted(
        (o.event_id.replace(f"_{run}", "_"), o.type, o.outcome, said(o.detail), o.processed_at is not None)
        for o in outcomes_
    )
    return answers, rows


def test_a_batch_of_several_invoices_writes_what_the_reference_path_writes_one_by_one(
    session, world, db_url, secret, monkeypatch
):
    """The pipelined runs of a batch (PostgreSQL; SQLite: the batch's loop) against the reference
    path one by one: the same answers, the same rows of every invoice, the same outcomes."""
    calls: list[tuple[str, int]] = []
    for name in ("_RECORD_AND_LOCK", "_APPLY"):
        stmt = getattr(webhook_fast, name)
        real = stmt.many
        monkeypatch.setattr(
            stmt, "many", lambda conn, ps, real=real, name=name: calls.append((name, len(ps))) or real(conn, ps)
        )
    ref = _run_mixed(session, world, monkeypatch, "mr", batch=False)
    assert calls == []
    grouped = _run_mixed(session, world, monkeypatch, "mg", batch=True)
    assert grouped[0] == ref[0]
    assert [a[1]["outcome"] for a in ref[0]] == ["applied"] * 6 + ["duplicate"] + ["applied"] * 3, ref[0]
    for key in ref[1]:
        assert grouped[1][key] == ref[1][key], key
    assert ref[1]["A"]["invoice"][:2] == ("paid", TOTAL) and ref[1]["C"]["credits"] == [1]
    if db_url.startswith("postgres"):
        # Run 1: B A C u D (A again ends it); statement 2 for B and A (C overpaid, u unknown, D
        # in dollars: the reference way). Run 2: A B(redelivered) (E pending is no candidate).
        # Run 3: F E (E's session again, now paid).
        assert calls == [
            ("_RECORD_AND_LOCK", 5),
            ("_APPLY", 2),
            ("_RECORD_AND_LOCK", 2),
            ("_APPLY", 1),
            ("_RECORD_AND_LOCK", 2),
            ("_APPLY", 2),
        ], calls
    else:
        assert calls == []


def test_a_batch_of_new_payments_sends_two_pipelines(session, world, db_url, secret, monkeypatch):
    """PostgreSQL: four new payments of four invoices in one batch: two round trips (two
    pipelines: BEGIN and the four statement 1s, the four statement 2s), the follow-ups, COMMIT."""
    from sqlalchemy import event

    from l2c_app.core.db import get_engine

    if not db_url.startswith("postgres"):
        pytest.skip("the pipelines are PostgreSQL's")
    invs = [issued_invoice(session, world, TOTAL) for _ in range(4)]
    warm = issued_invoice(session, world, TOTAL)
    _deliver(warm.id, "pw", "a", "s1", TOTAL, "paid", "eur", "checkout.session.completed")
    prepared = [
        prepare(*_signed(inv.id, "pt", str(k), str(k), TOTAL, "paid", "eur", "checkout.session.completed"))
        for k, inv in enumerate(invs)
    ]
    sent: list[tuple[str, bool]] = []
    engine = get_engine()
    count = lambda conn, cursor, statement, params, context, many: sent.append((statement[:30], many))  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        outcomes = webhook_group.run_batch(prepared)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [o for o, _ in outcomes] == ["applied"] * 4
    # Then the deals' timeline (these invoices bill a deal; the bench's do not).
    assert [(sql[:6], many) for sql, many in sent[:2]] == [("WITH e", True), ("WITH p", True)], sent
    assert not [sql for sql, _ in sent[2:] if sql.startswith(("WITH e", "WITH p"))], sent
    assert all(reload(session, inv).status == "paid" for inv in invs)


def test_a_failing_pipeline_rolls_back_and_stores_one_by_one(session, world, db_url, secret, monkeypatch):
    """A statement failing inside a pipeline aborts the batch's transaction: it is rolled back and
    each event stored alone (webhook_group.run_batch), each with its right outcome."""
    if not db_url.startswith("postgres"):
        pytest.skip("the pipelines are PostgreSQL's")
    invs = [issued_invoice(session, world, TOTAL) for _ in range(3)]
    prepared = [
        prepare(*_signed(inv.id, "pe", str(k), str(k), TOTAL, "paid", "eur", "checkout.session.completed"))
        for k, inv in enumerate(invs)
    ]
    real = webhook_fast._APPLY.many
    broken: list[int] = []

    def once_broken(conn, params):
        if not broken:  # the second statement 2's payment has no currency: NOT NULL fails on the server
            broken.append(1)
            params = [params[0], {**params[1], "currency": None}, *params[2:]]
        return real(conn, params)

    monkeypatch.setattr(webhook_fast._APPLY, "many", once_broken)
    alone: list[str] = []
    real_store = webhook_group.store
    monkeypatch.setattr(webhook_group, "store", lambda p: alone.append(p.event["id"]) or real_store(p))
    outcomes = webhook_group.run_batch(prepared)
    assert broken == [1]
    assert alone == [p.event["id"] for p in prepared]  # the batch fell back: each stored alone
    assert [(o, e) for o, e in outcomes] == [("applied", None)] * 3
    session.expire_all()
    assert all(reload(session, inv).status == "paid" for inv in invs)
    rows = session.exec(select(WebhookEvent).where(WebhookEvent.event_id.like("evt_pe%"))).all()
    assert sorted(r.outcome for r in rows) == ["applied"] * 3
    assert len(session.exec(select(Payment).where(Payment.invoice_id.in_([i.id for i in invs]))).all()) == 3
