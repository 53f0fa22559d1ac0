"""The ledger side of a Stripe event: the payment row (Core INSERT ... ON CONFLICT DO NOTHING,
or the ORM row moved forward), the invoice recomputed under its lock, the domain events, and
the Stripe reads made before the write transaction (`prefetch`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from l2c_app.billing.service import AUDIT_INSERT, add_invoice_event, recompute_status_row
from l2c_app.core.audit import Actor, audit_values, record_action
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import DisputeEvent, PaymentEvent
from l2c_app.payments.models import Dispute, Payment, Refund
from l2c_app.payments.webhook_writes import lock_invoice_for_event

STRIPE = Actor("webhook", None, "stripe")
STATUS_RANK = {"pending": 0, "failed": 1, "succeeded": 2}


def _insert_or_nothing(model, returning) -> tuple:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect: (SQLite, PostgreSQL)."""
    return tuple(d.insert(model).on_conflict_do_nothing().returning(returning) for d in (sqlite, postgresql))


# Statements built once and executed with a dict of values (no per-request construction).
_INSERT_PAYMENT = _insert_or_nothing(Payment, Payment.id)


def _id(value: Any) -> str | None:
    """Stripe fields are an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def _invoice_for(session: Session, metadata: dict | None, currency: str | None) -> Any:
    """The invoice named by our metadata, as a locked row (billing.service.INVOICE_ROW), or None."""
    raw = (metadata or {}).get("invoice_id")
    if not raw or not str(raw).isdigit():
        return None
    inv = lock_invoice_for_event(session, int(raw))
    if inv is None or (currency and inv.currency.lower() != currency.lower()):
        return None
    return inv


def is_ours(metadata: Any) -> bool:
    """l2c's links put `invoice_id` (and `source: l2c`) in the link's and the intent's metadata;
    a payment with neither came from another app or a link made by hand on a shared account."""
    return isinstance(metadata, dict) and (metadata.get("source") == "l2c" or bool(metadata.get("invoice_id")))


@dataclass
class NewPayment:
    """A ledger row this event inserted (what the handlers and _settle read of a Payment)."""

    id: int
    invoice_id: int | None
    status: str


def _insert_payment(
    session: Session,
    inv: Any,
    *,
    pi_id: str | None,
    cs_id: str | None,
    charge_id: str | None,
    amount: int,
    currency: str,
    status: str,
    created: Any,
    foreign: bool = False,
) -> NewPayment | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row, or None when a row with
    this payment intent or checkout session exists (unique columns); no savepoint needed."""
    now = utcnow()
    values = {
        "invoice_id": inv.id if inv else None,
        "account_id": inv.account_id if inv else None,
        "amount_minor": int(amount),
        "currency": currency.upper(),
        "method": "stripe",
        "status": status,
        "received_on": _day(created),
        "reference": pi_id or cs_id,
        "stripe_payment_intent_id": pi_id,
        "stripe_checkout_session_id": cs_id,
        "stripe_charge_id": charge_id,
        "recorded_by_id": None,
        "stripe_foreign": foreign,
        "created_at": now,
        "updated_at": now,
    }
    conn = session.connection()
    after = {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in values.items()}
    if conn.dialect.name == "postgresql":  # one round trip: the payment and its audit row in one statement
        audit = audit_values(STRIPE, "create", "payment", None, None, None)
        new_id = conn.execute(
            _PG_PAYMENT_AND_AUDIT,
            {**values, **{f"a_{k}": v for k, v in audit.items()}, "a_after": json.dumps(after)},
        ).scalar_one_or_none()
        return None if new_id is None else NewPayment(new_id, values["invoice_id"], status)
    new_id = conn.execute(_INSERT_PAYMENT[0], values).scalar_one_or_none()
    if new_id is None:
        return None
    conn.execute(AUDIT_INSERT, audit_values(STRIPE, "create", "payment", new_id, None, {"id": new_id, **after}))
    return NewPayment(new_id, values["invoice_id"], status)


_PAYMENT_COLUMNS = (
    "invoice_id, account_id, amount_minor, currency, method, status, received_on, reference, "
    "stripe_payment_intent_id, stripe_checkout_session_id, stripe_charge_id, recorded_by_id, stripe_foreign, "
    "created_at, updated_at"
)
# PostgreSQL: INSERT ... ON CONFLICT DO NOTHING and its audit row (the same values as the two
# statements SQLite runs: `after` is the row's values plus its new id) in one statement.
_PG_PAYMENT_AND_AUDIT = text(
    f"WITH p AS (INSERT INTO payment ({_PAYMENT_COLUMNS}) "
    f"VALUES ({', '.join(':' + c.strip() for c in _PAYMENT_COLUMNS.split(','))}) "
    "ON CONFLICT DO NOTHING RETURNING id) "
    "INSERT INTO auditlog (at, user_id, actor, action, entity, entity_id, before, after) "
    "SELECT :a_at, :a_user_id, :a_actor, :a_action, :a_entity, p.id, NULL, "
    "(jsonb_build_object('id', p.id) || CAST(:a_after AS jsonb))::json FROM p RETURNING entity_id"
)


def _find_payment(
    session: Session, pi_id: str | None, cs_id: str | None = None, charge_id: str | None = None
) -> Payment | None:
    """The ledger row for any of the Stripe ids (one query)."""
    conds = [
        col == value
        for col, value in (
            (Payment.stripe_payment_intent_id, pi_id),
            (Payment.stripe_checkout_session_id, cs_id),
            (Payment.stripe_charge_id, charge_id),
        )
        if value
    ]
    if not conds:
        return None
    return session.exec(select(Payment).where(or_(*conds)).order_by(Payment.id)).first()


def _day(ts: Any) -> date:
    if isinstance(ts, int):
        return datetime.fromtimestamp(ts, UTC).date()
    return utcnow().date()


def upsert_payment(
    session: Session,
    *,
    pi_id: str | None,
    cs_id: str | None = None,
    charge_id: str | None = None,
    amount: int,
    currency: str,
    status: str,
    metadata: dict | None,
    created: Any = None,
) -> Payment | NewPayment:
    """Create or move forward the ledger row of one Stripe payment; recompute its invoice."""
    inv = _invoice_for(session, metadata, currency)  # locks the invoice: one writer per invoice
    new = _insert_payment(
        session,
        inv,
        pi_id=pi_id,
        cs_id=cs_id,
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        status=status,
        created=created,
        foreign=not is_ours(metadata),
    )
    if new is not None:
        _settle(session, new, inv)
        if status == "succeeded":
            _received(session, new.id, new.invoice_id, amount, currency)
        return new
    pay = _find_payment(session, pi_id, cs_id)  # known payment (or a concurrent twin's): move it forward
    if pay is None:
        raise LookupError(f"payment {pi_id or cs_id} conflicted but cannot be found")
    changed = {}
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(pay.status, 0):
        changed["status"] = (pay.status, status)
        pay.status = status
    for attr, value in (
        ("stripe_payment_intent_id", pi_id),
        ("stripe_checkout_session_id", cs_id),
        ("stripe_charge_id", charge_id),
    ):
        if value and not getattr(pay, attr):
            setattr(pay, attr, value)
    if amount and pay.amount_minor != int(amount) and pay.status != "succeeded":
        pay.amount_minor = int(amount)
    if pay.stripe_foreign and is_ours(metadata):  # an event with our metadata tells us it is ours
        pay.stripe_foreign = False
    if pay.invoice_id is None and inv is not None:
        pay.invoice_id, pay.account_id = inv.id, inv.account_id
        changed["invoice_id"] = (None, inv.id)
    pay.updated_at = utcnow()
    session.add(pay)
    if changed:
        record_action(session, STRIPE, "payment", pay.id, "update", {k: v[1] for k, v in changed.items()})
    session.flush()
    _settle(session, pay, inv)
    if changed.get("status", (None, None))[1] == "succeeded":
        _received(session, pay.id, pay.invoice_id, pay.amount_minor, pay.currency)
    return pay


def _received(session: Session, payment_id: int, invoice_id: int | None, amount: int, currency: str) -> None:
    emit(
        session,
        "payment.received",
        PaymentEvent(payment_id=payment_id, invoice_id=invoice_id, amount_minor=int(amount), currency=currency.upper()),
    )


def _refunded(session: Session, pay: Any, ref: Refund) -> None:
    currency = str(getattr(pay, "currency", "") or "")
    emit(
        session,
        "payment.refunded",
        PaymentEvent(
            payment_id=pay.id,
            invoice_id=pay.invoice_id,
            amount_minor=ref.amount_minor,
            currency=currency,
            refund_id=ref.id,
        ),
    )


def _dispute_event(session: Session, event_type: str, pay: Any, dis: Dispute) -> None:
    emit(
        session,
        event_type,
        DisputeEvent(
            dispute_id=dis.id,
            payment_id=pay.id if pay else None,
            invoice_id=pay.invoice_id if pay else None,
            amount_minor=dis.amount_minor,
            currency=str(getattr(pay, "currency", "") or ""),
            status=dis.status,
        ),
    )


def _settle(session: Session, pay: Payment | NewPayment, inv: Any = None) -> None:
    """Recompute the payment's invoice from the ledger (`inv`: its locked row, taken if not given)."""
    if pay.invoice_id is None:
        return
    if inv is None or inv.id != pay.invoice_id:
        inv = lock_invoice_for_event(session, pay.invoice_id)
    status = recompute_status_row(session, STRIPE, inv)
    if pay.status == "succeeded" and inv.status != status:
        add_invoice_event(session, inv, f"Payment received on {inv.number} (Stripe)")


def _charge_ids(charge_like: dict) -> tuple[str | None, str | None]:
    """(payment intent id, charge id) of a charge, refund or dispute object."""
    return _id(charge_like.get("payment_intent")), _id(charge_like.get("charge")) or (
        charge_like.get("id") if str(charge_like.get("id", "")).startswith("ch_") else None
    )


def _payment_for_charge(session: Session, charge_like: dict, event: dict | None = None) -> Payment | NewPayment | None:
    """The ledger row a refund or dispute belongs to; derived from Stripe when we have not seen it yet."""
    pi_id, charge_id = _charge_ids(charge_like)
    pay = _find_payment(session, pi_id, None, charge_id)
    if pay is not None or not pi_id:
        return pay
    # Arrived before the payment event: the payment intent from Stripe (the source of truth),
    # read by `prefetch` before this transaction opened.
    from l2c_app.ports.payments import gateway

    if gateway().is_external:
        pi = _prefetched(event, "intent")
        if pi is None:  # not read ahead (a caller without prefetch): read it now
            pi = gateway().retrieve_payment_intent(pi_id)
        return upsert_payment(
            session,
            pi_id=pi_id,
            charge_id=_id(pi.get("latest_charge")) or charge_id,
            amount=int(pi.get("amount_received") or pi.get("amount") or 0),
            currency=pi.get("currency", "eur"),
            status="succeeded" if pi.get("status") == "succeeded" else "pending",
            metadata=pi.get("metadata"),
            created=pi.get("created"),
        )
    return upsert_payment(
        session,
        pi_id=pi_id,
        charge_id=charge_id,
        amount=int(charge_like.get("amount") or 0),
        currency=charge_like.get("currency", "eur"),
        status="succeeded",
        metadata=charge_like.get("metadata"),
        created=charge_like.get("created"),
    )


# --- Stripe reads made before the write transaction ------------------------------------------
# No outside call while the invoice row is locked: what a refund or dispute event needs from
# Stripe (the charge's refunds; the payment intent of a payment we have not seen yet) is read
# here, before `record_and_apply` opens its transaction, and carried with the event.
PREFETCH_KEY = "_l2c_prefetched"
_CHARGE_LINKED = frozenset(
    {
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refund.updated",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)


def _prefetched(event: dict | None, key: str) -> Any:
    return ((event or {}).get(PREFETCH_KEY) or {}).get(key)


def prefetch(event: dict, known_payment: Callable[[str | None, str | None], bool]) -> dict:
    """The event with the Stripe reads its handler needs (`known_payment(pi_id, charge_id)`
    says whether the ledger already has the payment: read-only, outside any write)."""
    from l2c_app.ports.payments import gateway

    etype = str(event.get("type") or "")
    if etype not in _CHARGE_LINKED or not gateway().is_external:
        return event
    obj = (event.get("data") or {}).get("object") or {}
    got: dict[str, Any] = {}
    if etype == "charge.refunded" and obj.get("id"):
        got["refunds"] = gateway().refunds_of_charge(obj["id"])
    pi_id, charge_id = _charge_ids(obj)
    if pi_id and not known_payment(pi_id, charge_id):
        got["intent"] = gateway().retrieve_payment_intent(pi_id)
    return {**event, PREFETCH_KEY: got}


def _known_payment_reader() -> Callable[[str | None, str | None], bool]:
    from l2c_app.core.db import session_scope

    def known(pi_id: str | None, charge_id: str | None) -> bool:
        with session_scope() as s:
            return _find_payment(s, pi_id, None, charge_id) is not None

    return known
