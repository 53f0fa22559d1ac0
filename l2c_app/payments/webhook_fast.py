"""A new Stripe payment in two statements on PostgreSQL, cheaper ones on SQLite (issue 18).

The reference path (webhook_record.record_and_apply -> handler -> upsert_payment -> _settle)
costs eight round trips for a new checkout payment: event INSERT, invoice lock, payment and
audit, ledger, invoice UPDATE and audit, two domain events, event outcome. Here the same rows
come from two statements, decided in Python between them:

1. `WITH e AS (INSERT INTO webhookevent ... ON CONFLICT DO NOTHING RETURNING id)` with the
   invoice's row locked (FOR UPDATE OF invoice, the deals, organisation and subscriber checks
   of `lock_invoice_for_event`) and its ledger summed (the same `_LEDGER` query as `ledger()`);
2. the payment INSERT ... ON CONFLICT DO NOTHING as a CTE that every other write reads from:
   the payment's audit, the invoice UPDATE and its audit, `invoice.paid` and
   `payment.received`, the event's outcome. A payment that conflicts (known already) writes
   nothing, and the reference handler runs in the same transaction.

It applies only where the work allows: a succeeded checkout session of an invoice of ours,
in its currency, that neither is nor becomes overpaid (client credits stay on the ORM path).
Anything else goes the reference way. SQLite has no data-modifying CTEs: there the event
INSERT and the lock (with the ledger) are two statements, and statement 2's writes are sent one
by one to the driver's cursor (`_apply_sqlite`), not through SQLAlchemy. Subscribers, timeline
events of deals and the payment link's deactivation run after statement 2 with the same inputs as on the reference path.
In a batch of the webhook's group commit (PostgreSQL), the statements 1 of several events of
distinct invoices go in one pipeline, their statements 2 in another (`record_and_lock_many`,
`plan`, `apply_many`, `settle`; webhook_record.record_and_apply_all).
tests/payments/test_webhook_fast_twin.py runs both paths on the same cases.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, literal_column, text, true
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from l2c_app.billing.invoice_links import add_invoice_event
from l2c_app.billing.invoice_totals import _get_invoice
from l2c_app.billing.models import Invoice
from l2c_app.billing.payment_status import _LEDGER, _status_for, after_payment, amount_due
from l2c_app.core.audit import audit_values
from l2c_app.core.models import AuditLog, WebhookEvent
from l2c_app.core.money import format_money
from l2c_app.core.row_writes import instance
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emitted, event_values, payload_dict
from l2c_app.events.models import DomainEvent
from l2c_app.events.types import InvoiceEvent, PaymentEvent
from l2c_app.payments.models import Payment
from l2c_app.payments.webhook_ledger import STRIPE, _day, _id, is_ours
from l2c_app.payments.webhook_writes import _LOCK_FOR_EVENT, EventInvoiceRow, event_row, read_locked_row

ENABLED = True  # tests turn it off to run the reference path on the same cases


_CURSOR_KEY = "l2c_webhook_cursor"


class OnCursor:
    """A statement compiled once per dialect and run on the driver's cursor (PostgreSQL): the
    SQLAlchemy execution around each statement cost more server CPU than the driver's own
    (py-spy, issue 18). The SQL is the one SQLAlchemy sends (its constant IN lists expanded:
    the driver's prepared statement is the same one), typed parameters go through the columns'
    bind processors as SQLAlchemy's do, `before_cursor_execute` listeners see it, and a driver
    error goes through SQLAlchemy's handling (IntegrityError, DBAPIError, a dropped connection
    invalidated) as if it had executed it."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, dict[str, Any], tuple[str, ...], tuple[tuple[str, Any], ...]]] = {}

    def _for(self, dialect: Any) -> tuple[str, dict[str, Any], tuple[str, ...], tuple[tuple[str, Any], ...]]:
        """(SQL, constant parameters, names passed as they are, (name, bind processor) of the others)."""
        got = self._compiled.get(dialect.name)
        if got is None:
            compiled = self.stmt.compile(dialect=dialect)
            names = tuple(name for bind, name in compiled.bind_names.items() if bind.required)
            state = compiled.construct_expanded_state(dict.fromkeys(names))
            procs = {n: p for n, p in compiled._bind_processors.items() if n in names and p is not None}
            const = {k: v for k, v in state.parameters.items() if k not in names}
            plain = tuple(n for n in names if n not in procs)
            got = self._compiled[dialect.name] = (state.statement, const, plain, tuple(procs.items()))
        return got

    def _args(self, conn: Any, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sql, const, plain, processed = self._for(conn.dialect)
        args = {**const, **{name: params[name] for name in plain}}
        for name, proc in processed:
            value = params[name]
            args[name] = proc(value) if value is not None else value
        return sql, args

    @staticmethod
    def _cursor(conn: Any) -> Any:
        # One cursor per driver connection, kept with it (a new cursor and its adapters' set-up
        # per statement cost the writer ~4 % of its CPU); dropped with the connection.
        fairy = conn.connection
        dbapi_conn = fairy.dbapi_connection
        cursor = fairy.info.get(_CURSOR_KEY)
        if cursor is None or cursor.connection is not dbapi_conn or cursor.closed:
            cursor = fairy.info[_CURSOR_KEY] = dbapi_conn.cursor()
        return cursor

    def first(self, conn: Any, params: dict[str, Any]) -> tuple | None:
        sql, args = self._args(conn, params)
        return self._run(conn, sql, args, many=False)[0]

    def many(self, conn: Any, params: list[dict[str, Any]]) -> list[tuple | None]:
        """The statement once per parameter set, all in one psycopg pipeline (executemany with
        returning=True: one round trip, the transaction's BEGIN with them): the first row of each
        (None for none), in order. A failing one raises as `first` does; the transaction is then
        aborted (the caller rolls back)."""
        sql = self._for(conn.dialect)[0]
        seq = [self._args(conn, p)[1] for p in params]
        rows = self._run(conn, sql, seq, many=True)
        assert len(rows) == len(seq), (len(rows), len(seq))
        return rows

    def _run(self, conn: Any, sql: str, args: Any, many: bool) -> list[tuple | None]:
        """The first row of each result, on the connection's kept cursor; a driver error goes
        through SQLAlchemy's handling and drops the cursor."""
        cursor = self._cursor(conn)
        try:
            if conn._has_events or conn.engine._has_events:  # SQL logging, statement counts (tests)
                conn.dispatch.before_cursor_execute(conn, cursor, sql, args, None, many)
            if not many:
                cursor.execute(sql, args)
                return [cursor.fetchone()]
            cursor.executemany(sql, args, returning=True)
            rows = [cursor.fetchone()]
            while cursor.nextset():
                rows.append(cursor.fetchone())
            return rows
        except conn.dialect.loaded_dbapi.Error as exc:
            conn.connection.info.pop(_CURSOR_KEY, None)
            cursor.close()
            conn._handle_dbapi_exception(exc, sql, args, cursor, None)
            raise


class Args(NamedTuple):
    """What `upsert_payment` would be called with, for the event types taken here."""

    pi_id: str | None
    cs_id: str
    amount: int
    currency: str
    metadata: dict
    created: Any
    invoice_id: int


def fast_args(session: Session, event: dict) -> Args | None:
    """The payment of a succeeded checkout session of one of our invoices on PostgreSQL, or None."""
    if not ENABLED:
        return None
    etype = event.get("type")
    obj = event["data"]["object"]
    if etype == "checkout.session.completed":
        if obj.get("payment_status") != "paid":
            return None
    elif etype != "checkout.session.async_payment_succeeded":
        return None
    metadata = obj.get("metadata")
    raw = (metadata or {}).get("invoice_id")
    if not isinstance(metadata, dict) or not raw or not str(raw).isdigit() or int(raw) > 2**62:
        return None
    return Args(
        _id(obj.get("payment_intent")),
        obj["id"],
        int(obj.get("amount_total") or 0),
        obj.get("currency", "eur"),
        metadata,
        obj.get("created"),
        int(raw),
    )


# --- statement 1: the event recorded, the invoice locked with its ledger ----------------------

_LED = _LEDGER.subquery("led")
# `ledger()`'s sums over the same per-payment query, once (a join: the statement stays short
# enough for psycopg's query cache, which skips statements over 4 KB; SQLite has no LATERAL).
_LEDGER_SUMS = sa_select(
    func.coalesce(
        func.sum(case((_LED.c.status == "succeeded", _LED.c.amount_minor - _LED.c.refunded - _LED.c.lost), else_=0)),
        0,
    ).label("led_net"),
    func.coalesce(func.sum(_LED.c.n_refunds), 0).label("led_refunds"),
    func.coalesce(func.sum(_LED.c.n_open), 0).label("led_open"),
).subquery("ls")
_LOCK_WITH_LEDGER = _LOCK_FOR_EVENT.add_columns(*_LEDGER_SUMS.c).join_from(Invoice, _LEDGER_SUMS, true())
_EVENT_COLUMNS = ("provider", "event_id", "type", "raw_body", "headers", "received_at", "outcome")
_E = (
    postgresql.insert(WebhookEvent)
    .values({c: bindparam(c) for c in _EVENT_COLUMNS})
    .on_conflict_do_nothing()
    .returning(WebhookEvent.id)
    .cte("e")
)
_LK = _LOCK_WITH_LEDGER.subquery("lk")
# One row whether or not the invoice exists: (new event row id or NULL, the locked row's columns or NULLs).
_RECORD_AND_LOCK = OnCursor(
    sa_select(sa_select(_E.c.id).scalar_subquery().label("event_row_id"), *_LK.c)
    .select_from(sa_select(literal_column("1").label("one")).subquery("one").outerjoin(_LK, true()))
    .add_cte(_E)
)


class Locked(NamedTuple):
    event_row_id: int | None
    inv: EventInvoiceRow | None
    net_paid: int
    refunded: bool
    open_dispute: bool


def record_and_lock(session: Session, event: dict, raw: str, headers: dict | None, args: Args) -> Locked:
    """Statement 1: the event's row (its id, or None for a known event) and the invoice locked
    (SQLite: two statements, under the write lock `begin_write` took)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        from l2c_app.payments.webhook_record import _insert_event

        row_id = _insert_event(session, event, raw, headers)
        if row_id is None:  # a known event: the reference path reads its row, no lock needed
            return Locked(None, None, 0, False, False)
        got = conn.execute(_LOCK_WITH_LEDGER, {"invoice_id": args.invoice_id}).first()
        return _locked(session, row_id, None if got is None else tuple(got))
    got = _RECORD_AND_LOCK.first(conn, {**event_row(event, raw, headers), "invoice_id": args.invoice_id})
    assert got is not None  # one row, whether or not the invoice exists
    return _locked(session, got[0], tuple(got[1:]))


def record_and_lock_many(session: Session, items: list[tuple[dict, str, dict | None, Args]]) -> list[Locked]:
    """Statement 1 of each (event, raw, headers, args), in one pipeline (PostgreSQL), in this order
    (the caller's: invoice ids ascending, so two writers lock two invoices in one order)."""
    conn = session.connection()
    rows = _RECORD_AND_LOCK.many(
        conn, [{**event_row(event, raw, headers), "invoice_id": args.invoice_id} for event, raw, headers, args in items]
    )
    out = []
    for got in rows:
        assert got is not None  # one row, whether or not the invoice exists
        out.append(_locked(session, got[0], tuple(got[1:])))
    return out


def _locked(session: Session, event_row_id: int | None, got: tuple | None) -> Locked:
    if got is None or got[0] is None:
        return Locked(event_row_id, None, 0, False, False)
    *cols, net, refunds, open_ = got
    return Locked(event_row_id, read_locked_row(session, tuple(cols)), int(net), bool(refunds), bool(open_))


# --- statement 2: the payment and everything it moves ------------------------------------------

_PAYMENT_COLUMNS = (
    "invoice_id",
    "account_id",
    "amount_minor",
    "currency",
    "method",
    "status",
    "received_on",
    "reference",
    "stripe_payment_intent_id",
    "stripe_checkout_session_id",
    "stripe_charge_id",
    "recorded_by_id",
    "stripe_foreign",
    "created_at",
    "updated_at",
)
_AUDIT = f"INSERT INTO {AuditLog.__tablename__} (at, user_id, actor, action, entity, entity_id, before, after)"
_EVENT = f"INSERT INTO {DomainEvent.__tablename__} (type, org_id, subject_kind, subject_id, payload, created_at)"
_APPLY = OnCursor(
    text(
        f"WITH p AS (INSERT INTO {Payment.__tablename__} ({', '.join(_PAYMENT_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in _PAYMENT_COLUMNS)}) ON CONFLICT DO NOTHING RETURNING id), "
        f"pa AS ({_AUDIT} SELECT :pa_at, :pa_user_id, :pa_actor, 'create', 'payment', p.id, NULL, "
        "(jsonb_build_object('id', p.id) || CAST(:pa_after AS jsonb))::json FROM p), "
        f"iu AS (UPDATE {Invoice.__tablename__} SET status = :i_status, paid_minor = :i_paid_minor, "
        "refunded = :i_refunded, disputed = :i_disputed, updated_at = :d_at "
        "WHERE id = :invoice_id AND :i_changed AND EXISTS (SELECT 1 FROM p)), "
        f"ia AS ({_AUDIT} SELECT :ia_at, :ia_user_id, :ia_actor, 'status_from_ledger', 'invoice', :invoice_id, "
        "CAST(:ia_before AS json), CAST(:ia_after AS json) FROM p), "
        f"d1 AS ({_EVENT} SELECT 'invoice.paid', :org_id, 'invoice', :invoice_id, CAST(:d1_payload AS json), :d_at "
        "FROM p WHERE :d1_on RETURNING id), "
        f"d2 AS ({_EVENT} SELECT 'payment.received', :org_id, 'payment', p.id, "
        "(jsonb_build_object('payment_id', p.id) || CAST(:d2_payload AS jsonb))::json, :d_at FROM p RETURNING id), "
        f"fin AS (UPDATE {WebhookEvent.__tablename__} SET outcome = 'applied', processed_at = :d_at, "
        "detail = 'payment ' || p.id || ' succeeded' FROM p WHERE webhookevent.id = :event_row_id) "
        "SELECT p.id, (SELECT id FROM d1), (SELECT id FROM d2) FROM p"
    )
)


def _jsonable(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in values.items()}


def apply(session: Session, locked: Locked, args: Args) -> str | None:
    """Statement 2 and what follows it; the event's detail, or None when this path does not apply
    (nothing written: the caller runs the reference handler in the same transaction)."""
    todo = plan(session, locked, args)
    if todo is None:
        return None
    conn = session.connection()
    got = _APPLY.first(conn, todo.params) if conn.dialect.name == "postgresql" else _apply_sqlite(conn, todo.params)
    return settle(session, todo, got)


def apply_many(session: Session, todos: list[Plan]) -> list[tuple | None]:
    """Statement 2 of each plan, in one pipeline (PostgreSQL), in this order: what `settle` takes."""
    return _APPLY.many(session.connection(), [t.params for t in todos])


class Plan(NamedTuple):
    """Statement 2's parameters and what `settle` needs after it."""

    params: dict[str, Any]
    inv: EventInvoiceRow
    status: str
    became_paid: bool
    paid_event: dict[str, Any]
    received: dict[str, Any]
    now: datetime


def plan(session: Session, locked: Locked, args: Args) -> Plan | None:
    """`apply`'s decision, nothing written: statement 2's parameters, or None when this path does
    not apply (the reference handler runs instead)."""
    inv = locked.inv
    if inv is None or inv.currency.lower() != args.currency.lower() or locked.event_row_id is None:
        return None
    if (inv.paid_minor, inv.refunded, inv.disputed) != (locked.net_paid, locked.refunded, locked.open_dispute):
        # The invoice's stored sums are not its ledger's. On PostgreSQL, statement 1's ledger is
        # read in the snapshot taken before its lock waited: a payment another transaction
        # committed meanwhile is missing from it, while the invoice row (re-read once locked)
        # holds what that transaction's recompute stored. The reference path reads the ledger
        # again, under the lock, in a statement of its own. (Every ledger change recomputes the
        # invoice under this lock: when they agree, the ledger is the one a fresh read gives.)
        return None
    paid = locked.net_paid + args.amount
    due = amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor)
    if inv.paid_minor > due or (inv.kind != "credit_note" and paid > due):
        return None  # was or becomes overpaid: client credits, on the reference path
    if session.new or session.dirty or session.deleted:
        session.flush()
    status = _status_for(inv.status, inv.kind, inv.total_minor, paid, inv.credited_minor, inv.written_off_minor)
    after = {"status": status, "paid_minor": paid, "refunded": locked.refunded, "disputed": locked.open_dispute}
    changed = {k: v for k, v in after.items() if getattr(inv, k) != v}
    now = utcnow()
    currency = args.currency.upper()
    payment = {
        "invoice_id": inv.id,
        "account_id": inv.account_id,
        "amount_minor": args.amount,
        "currency": currency,
        "method": "stripe",
        "status": "succeeded",
        "received_on": _day(args.created),
        "reference": args.pi_id or args.cs_id,
        "stripe_payment_intent_id": args.pi_id,
        "stripe_checkout_session_id": args.cs_id,
        "stripe_charge_id": None,
        "recorded_by_id": None,
        "stripe_foreign": not is_ours(args.metadata),
        "created_at": now,
        "updated_at": now,
    }
    pa = audit_values(STRIPE, "create", "payment", None, None, None)
    ia = audit_values(STRIPE, "status_from_ledger", "invoice", inv.id, None, None)
    became_paid = inv.status != status and status == "paid"
    paid_event = event_values(
        session,
        "invoice.paid",
        InvoiceEvent(invoice_id=inv.id, number=inv.number, total_minor=inv.total_minor, currency=inv.currency),
    )
    received = payload_dict(PaymentEvent(payment_id=0, invoice_id=inv.id, amount_minor=args.amount, currency=currency))
    del received["payment_id"]
    params = {
        **payment,
        "pa_at": pa["at"],
        "pa_user_id": pa["user_id"],
        "pa_actor": pa["actor"],
        "pa_after": json.dumps(_jsonable(payment)),
        "i_status": status,
        "i_paid_minor": paid,
        "i_refunded": locked.refunded,
        "i_disputed": locked.open_dispute,
        "i_changed": bool(changed),
        "ia_at": ia["at"],
        "ia_user_id": ia["user_id"],
        "ia_actor": ia["actor"],
        "ia_before": json.dumps({k: getattr(inv, k) for k in changed}),
        "ia_after": json.dumps(changed),
        "org_id": paid_event["org_id"],
        "d1_on": became_paid,
        "d1_payload": json.dumps(paid_event["payload"]),
        "d2_payload": json.dumps(received),
        "d_at": now,
        "event_row_id": locked.event_row_id,
    }
    return Plan(params, inv, status, became_paid, paid_event, received, now)


def settle(session: Session, todo: Plan, got: tuple | None) -> str | None:
    """After statement 2 (its row `got`): the event's detail, or None when the payment was known
    (nothing was written: the reference handler runs instead)."""
    if got is None:  # the payment is known (a twin's, or an earlier event's): nothing was written
        return None
    inv, status, became_paid, paid_event, received, now = todo[1:]
    payment_id, paid_event_id, received_id = got
    # What the reference path does next with the same inputs: timeline rows of the invoice's
    # deals, the link's deactivation, the subscribers (in emit order). None of it on the bench.
    if became_paid:
        if inv.deal_ids != []:
            text_ = f"Invoice {inv.number} paid ({format_money(inv.total_minor, inv.currency)})"
            add_invoice_event(session, inv, text_)
        emitted(session, instance(DomainEvent, {**paid_event, "id": paid_event_id, "created_at": now}))
    if inv.payment_link_id:
        after_payment(session, _get_invoice(session, inv.id, lock=True))
    if inv.status != status and inv.deal_ids != []:
        add_invoice_event(session, inv, f"Payment received on {inv.number} (Stripe)")
    # The subscribers' objects built as events.bus builds a written row's (row_writes.instance:
    # all fields given, no SQLModel __init__, ~5 % of the writer's CPU).
    emitted(
        session,
        instance(
            DomainEvent,
            {
                "id": received_id,
                "type": "payment.received",
                "org_id": paid_event["org_id"],
                "subject_kind": "payment",
                "subject_id": payment_id,
                "payload": {"payment_id": payment_id, **received},
                "created_at": now,
            },
        ),
    )
    return f"payment {payment_id} succeeded"


# --- SQLite: the same writes as statement 2, one by one on the driver's cursor ------------------
# No data-modifying CTEs in SQLite. Its statements cost no round trip, but each costs SQLAlchemy
# ~0.1 ms of CPU and a GIL hand-off while the process's write lock is held (webhook_writes.
# one_writer): the values are encoded with the columns' own bind processors (what SQLAlchemy
# stores) and sent to sqlite3 directly.

_SQLITE_PAYMENT = (
    f"INSERT INTO {Payment.__tablename__} ({', '.join(_PAYMENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _PAYMENT_COLUMNS)}) ON CONFLICT DO NOTHING RETURNING id"
)
_SQLITE_AUDIT = f"{_AUDIT} VALUES (:at, :user_id, :actor, :action, :entity, :entity_id, :before, :after)"
_SQLITE_INVOICE = (
    f"UPDATE {Invoice.__tablename__} SET status = :status, paid_minor = :paid_minor, refunded = :refunded, "
    "disputed = :disputed, updated_at = :updated_at WHERE id = :id"
)
_SQLITE_EVENT = f"{_EVENT} VALUES (:type, :org_id, :subject_kind, :subject_id, :payload, :created_at) RETURNING id"
_SQLITE_FINISH = (
    f"UPDATE {WebhookEvent.__tablename__} SET outcome = 'applied', processed_at = :processed_at, detail = :detail "
    "WHERE id = :id"
)
_PROCESSORS: dict[tuple[str, str], Any] = {}


def _encoded(dialect: Any, table: Any, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        proc = _PROCESSORS.get((table.name, key), _PROCESSORS)
        if proc is _PROCESSORS:
            proc = _PROCESSORS[(table.name, key)] = table.c[key].type._cached_bind_processor(dialect)
        out[key] = proc(value) if proc is not None and value is not None else value
    return out


def _apply_sqlite(conn: Any, p: dict[str, Any]) -> tuple | None:
    dialect, cur = conn.dialect, conn.connection.dbapi_connection.cursor()
    try:
        row = cur.execute(
            _SQLITE_PAYMENT, _encoded(dialect, Payment.__table__, {c: p[c] for c in _PAYMENT_COLUMNS})
        ).fetchone()
        if row is None:
            return None
        payment_id = row[0]
        audit, events = AuditLog.__table__, DomainEvent.__table__
        after = {"id": payment_id, **json.loads(p["pa_after"])}
        cur.execute(
            _SQLITE_AUDIT,
            _encoded(dialect, audit, _audit_row(p, "pa", "create", "payment", payment_id, None, after)),
        )
        if p["i_changed"]:
            cur.execute(
                _SQLITE_INVOICE,
                _encoded(
                    dialect,
                    Invoice.__table__,
                    {
                        "status": p["i_status"],
                        "paid_minor": p["i_paid_minor"],
                        "refunded": p["i_refunded"],
                        "disputed": p["i_disputed"],
                        "updated_at": p["d_at"],
                        "id": p["invoice_id"],
                    },
                ),
            )
        before, changed = json.loads(p["ia_before"]), json.loads(p["ia_after"])
        cur.execute(
            _SQLITE_AUDIT,
            _encoded(
                dialect, audit, _audit_row(p, "ia", "status_from_ledger", "invoice", p["invoice_id"], before, changed)
            ),
        )
        paid_id = None
        if p["d1_on"]:
            paid_id = cur.execute(
                _SQLITE_EVENT,
                _encoded(dialect, events, _event_row(p, "invoice.paid", "invoice", p["invoice_id"], p["d1_payload"])),
            ).fetchone()[0]
        payload = json.dumps({"payment_id": payment_id, **json.loads(p["d2_payload"])})
        received_id = cur.execute(
            _SQLITE_EVENT, _encoded(dialect, events, _event_row(p, "payment.received", "payment", payment_id, payload))
        ).fetchone()[0]
        cur.execute(
            _SQLITE_FINISH,
            _encoded(
                dialect,
                WebhookEvent.__table__,
                {"processed_at": p["d_at"], "detail": f"payment {payment_id} succeeded", "id": p["event_row_id"]},
            ),
        )
        return payment_id, paid_id, received_id
    finally:
        cur.close()


def _audit_row(p: dict, prefix: str, action: str, entity: str, entity_id: int, before: Any, after: Any) -> dict:
    return {
        "at": p[f"{prefix}_at"],
        "user_id": p[f"{prefix}_user_id"],
        "actor": p[f"{prefix}_actor"],
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _event_row(p: dict, type_: str, kind: str, subject_id: int, payload: str) -> dict:
    return {
        "type": type_,
        "org_id": p["org_id"],
        "subject_kind": kind,
        "subject_id": subject_id,
        "payload": json.loads(payload),
        "created_at": p["d_at"],
    }
