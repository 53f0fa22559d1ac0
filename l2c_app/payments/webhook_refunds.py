"""Handlers of refunds (charge.refunded, refund.*): one row per Stripe refund, statuses only
moving forward; the charge's cumulative total when Stripe cannot be asked.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from l2c_app.billing.service import lock_invoice_row
from l2c_app.core.audit import record_action, record_create
from l2c_app.payments.models import Refund
from l2c_app.payments.webhook_ledger import STRIPE, _id, _payment_for_charge, _prefetched, _refunded, _settle

REFUND_RANK = {"pending": 0, "requires_action": 0, "succeeded": 1, "failed": 2, "canceled": 2}


def _cumulative_key(charge_id: Any) -> str:
    return f"cumulative:{charge_id}"


def _upsert_refund(session: Session, pay: Any, ref_obj: dict) -> Refund:
    """One Stripe refund's row, by its id; its status only moves forward (REFUND_RANK), so a late
    `refund.created` cannot revive a refund that has failed. Per-refund rows supersede the
    charge's cumulative row (kept only when Stripe cannot be asked which refunds there are)."""
    status = str(ref_obj.get("status") or "succeeded")
    ref = session.exec(select(Refund).where(Refund.stripe_refund_id == ref_obj["id"])).first()
    if ref is None:
        ref = Refund(
            payment_id=pay.id,
            amount_minor=int(ref_obj.get("amount") or 0),
            stripe_refund_id=ref_obj["id"],
            reason=str(ref_obj.get("reason") or "Stripe refund")[:300],
            status=status,
        )
        session.add(ref)
        session.flush()
        record_create(session, STRIPE, ref)
        if status == "succeeded":
            _refunded(session, pay, ref)
    elif REFUND_RANK.get(status, 0) > REFUND_RANK.get(ref.status, 0):
        record_action(session, STRIPE, "refund", ref.id, "update", {"status": status})
        ref.status = status
        session.add(ref)
        if status == "succeeded":
            _refunded(session, pay, ref)
    charge_id = _id(ref_obj.get("charge"))
    if charge_id:
        cumulative = session.exec(select(Refund).where(Refund.stripe_refund_id == _cumulative_key(charge_id))).first()
        if cumulative is not None:
            record_action(
                session,
                STRIPE,
                "refund",
                cumulative.id,
                "delete",
                {"replaced_by": ref_obj["id"], "amount_minor": cumulative.amount_minor},
            )
            session.delete(cumulative)
    session.flush()
    return ref


def on_charge_refunded(session: Session, obj: dict, event: dict) -> str:
    """charge.refunded carries the charge's cumulative `amount_refunded`, not its refunds (not
    embedded since API 2022-11-15): ask Stripe for the charge's refunds, each kept with its
    status. Without an API key (webhooks only) the cumulative total is kept, max wins."""
    from l2c_app.ports.payments import gateway

    pay = _payment_for_charge(session, obj, event)
    if pay is None:
        raise LookupError(f"no payment for charge {obj.get('id')}")
    inv = lock_invoice_row(session, pay.invoice_id) if pay.invoice_id else None
    if gateway().is_external:
        refunds = _prefetched(event, "refunds")
        if refunds is None:
            refunds = gateway().refunds_of_charge(obj["id"])
        for r in refunds:
            _upsert_refund(session, pay, r)
        _settle(session, pay, inv)
        return f"{len(refunds)} refund(s) of charge {obj['id']} on payment {pay.id}"
    cumulative = int(obj.get("amount_refunded") or 0)
    key = _cumulative_key(obj.get("id"))
    ref = session.exec(select(Refund).where(Refund.stripe_refund_id == key)).first()
    if ref is None:
        ref = Refund(payment_id=pay.id, amount_minor=cumulative, stripe_refund_id=key, reason="Stripe refund")
        session.add(ref)
        session.flush()
        record_create(session, STRIPE, ref)
    elif cumulative > ref.amount_minor:  # an older event arriving late never lowers it
        record_action(session, STRIPE, "refund", ref.id, "update", {"amount_minor": cumulative})
        ref.amount_minor = cumulative
        session.add(ref)
    session.flush()
    _settle(session, pay, inv)
    return f"refunded {ref.amount_minor} on payment {pay.id}"


def on_refund(session: Session, obj: dict, event: dict) -> str:
    """refund.created / refund.updated / refund.failed / charge.refund.updated: a Refund object.

    Stripe, "Refund object": status pending, requires_action, succeeded, failed or canceled;
    a refund can fail after it succeeded (the card was closed), and the money comes back to
    the balance, so the refunded total goes down again.
    """
    pay = _payment_for_charge(session, obj, event)
    if pay is None:
        raise LookupError(f"no payment for refund {obj.get('id')}")
    inv = lock_invoice_row(session, pay.invoice_id) if pay.invoice_id else None
    ref = _upsert_refund(session, pay, obj)
    _settle(session, pay, inv)
    return f"refund {ref.stripe_refund_id} {ref.status} ({ref.amount_minor}) on payment {pay.id}"
