"""Stripe's money for journal tests, through the webhook service (`record_and_apply`) with the
objects' documented shapes (Checkout Session, Refund, Dispute, Payout; the Balance Transaction's
fee and net through `fees.apply_fee`), without HTTP: the property test runs many sequences."""

from __future__ import annotations

import itertools
import json

from sqlmodel import Session, select

from l2c_app.payments import fees
from l2c_app.payments.models import Payment
from l2c_app.payments.webhooks import record_and_apply

_ids = itertools.count(1)
CREATED = 1_767_225_600  # 2026-01-01


def _apply(session: Session, type_: str, obj: dict) -> str:
    event = {"id": f"evt_j{next(_ids)}_{obj['id']}", "type": type_, "created": CREATED, "data": {"object": obj}}
    outcome = record_and_apply(session, event, json.dumps(event))
    assert outcome == "applied", (outcome, type_, obj)
    return outcome


def stripe_pay(session: Session, inv, amount: int, fee: int | None = None) -> Payment:
    """checkout.session.completed for the invoice (our metadata), then the balance transaction's fee."""
    n = next(_ids)
    pi = f"pi_j{n}"
    _apply(
        session,
        "checkout.session.completed",
        {
            "id": f"cs_j{n}",
            "object": "checkout.session",
            "payment_intent": pi,
            "amount_total": amount,
            "currency": inv.currency.lower(),
            "payment_status": "paid",
            "created": CREATED,
            "metadata": {"invoice_id": str(inv.id), "source": "l2c"},
        },
    )
    pay = session.exec(select(Payment).where(Payment.stripe_payment_intent_id == pi)).one()
    if fee is not None:
        assert fees.apply_fee(
            session, pay.id, {"id": f"txn_j{n}", "fee": fee, "net": amount - fee, "currency": inv.currency.lower()}
        )
    session.refresh(pay)
    return pay


def refund(session: Session, pay: Payment, amount: int, status: str = "succeeded") -> str:
    rid = f"re_j{next(_ids)}"
    _apply(
        session,
        "refund.created",
        {
            "id": rid,
            "object": "refund",
            "amount": amount,
            "status": status,
            "currency": pay.currency.lower(),
            "payment_intent": pay.stripe_payment_intent_id,
        },
    )
    return rid


def refund_failed(session: Session, pay: Payment, rid: str, amount: int) -> None:
    _apply(
        session,
        "refund.failed",
        {
            "id": rid,
            "object": "refund",
            "amount": amount,
            "status": "failed",
            "currency": pay.currency.lower(),
            "payment_intent": pay.stripe_payment_intent_id,
        },
    )


def dispute(session: Session, pay: Payment, amount: int, status: str = "lost") -> str:
    did = f"dp_j{next(_ids)}"
    _apply(
        session,
        "charge.dispute.funds_withdrawn",
        {
            "id": did,
            "object": "dispute",
            "amount": amount,
            "currency": pay.currency.lower(),
            "status": "needs_response",
            "payment_intent": pay.stripe_payment_intent_id,
            "balance_transactions": [{"amount": -amount, "currency": pay.currency.lower()}],
        },
    )
    if status == "won":
        _apply(
            session,
            "charge.dispute.funds_reinstated",
            {
                "id": did,
                "object": "dispute",
                "amount": amount,
                "currency": pay.currency.lower(),
                "status": "won",
                "payment_intent": pay.stripe_payment_intent_id,
                "balance_transactions": [
                    {"amount": -amount, "currency": pay.currency.lower()},
                    {"amount": amount, "currency": pay.currency.lower()},
                ],
            },
        )
    elif status == "lost":
        _apply(
            session,
            "charge.dispute.closed",
            {
                "id": did,
                "object": "dispute",
                "amount": amount,
                "currency": pay.currency.lower(),
                "status": "lost",
                "payment_intent": pay.stripe_payment_intent_id,
                "balance_transactions": [{"amount": -amount, "currency": pay.currency.lower()}],
            },
        )
    return did


def payout(session: Session, amount: int, currency: str, status: str = "paid", pid: str | None = None) -> str:
    pid = pid or f"po_j{next(_ids)}"
    _apply(
        session,
        f"payout.{'failed' if status == 'failed' else 'paid'}",
        {
            "id": pid,
            "object": "payout",
            "amount": amount,
            "currency": currency.lower(),
            "status": status,
            "arrival_date": CREATED + 86400,
        },
    )
    return pid
