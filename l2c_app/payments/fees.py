"""Stripe fees and payouts: what a card payment cost us, and what reached the bank.

Fees: each Stripe payment's charge has a balance transaction (Stripe, "Balance Transaction
object": `amount`, `fee`, `net`, in the *balance's* currency, which differs from the
payment's when Stripe converts). Its fee and net are read from Stripe when the payment is
applied (after the webhook's transaction commits: no outside call inside it), and the sync
job heals any payment still without them (a lost response, Stripe down for a moment, a
bank debit whose charge came later). Only ever read: nothing here moves invoice money; the
invoice is paid by the gross amount the client paid.

Payouts: `payout.paid` / `payout.failed` (Stripe, "Payout object" and the "Payouts" guide:
pending -> in_transit -> paid, or failed / canceled; a payout can show `paid` and then
fail, with `failure_code` and `failure_message`). Kept by Stripe id; a status only moves
forward (PAYOUT_RANK), so a late `payout.paid` never hides a failure.

Threat model: the balance transaction comes from Stripe over the authenticated API, the
payout from a signed event, but both are still checked as data (integers in range, a
three-letter currency) before they are stored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_action, record_create
from l2c_app.core.timeutil import utcnow
from l2c_app.payments.models import PAYOUT_RANK, Payment, Payout
from l2c_app.ports import payments

log = logging.getLogger(__name__)
STRIPE = Actor("webhook", None, "stripe")
MAX_AMOUNT = 10**14
# Events after which a payment may have a charge with a balance transaction.
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded")


def _amount(value: Any) -> bool:
    return type(value) is int and abs(value) <= MAX_AMOUNT


def fee_values(bt: Any) -> dict | None:
    """The fee, net, currency and id of a balance transaction, or None when it is not one."""
    if not isinstance(bt, dict) or not isinstance(bt.get("id"), str) or not bt["id"]:
        return None
    fee, net, currency = bt.get("fee"), bt.get("net"), bt.get("currency")
    if not (_amount(fee) and fee >= 0 and _amount(net)):
        return None
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        return None
    return {
        "fee_minor": fee,
        "net_minor": net,
        "fee_currency": currency.upper(),
        "balance_transaction_id": bt["id"][:100],
    }


def apply_fee(session: Session, payment_id: int, bt: Any) -> bool:
    """Store a balance transaction's fee and net on the payment (audited); False if not stored."""
    values = fee_values(bt)
    pay = session.get(Payment, payment_id)
    if values is None or pay is None:
        return False
    if all(getattr(pay, k) == v for k, v in values.items()):
        return False
    for k, v in values.items():
        setattr(pay, k, v)
    pay.updated_at = utcnow()
    session.add(pay)
    record_action(session, STRIPE, "payment", pay.id, "update", values)
    session.flush()
    return True


def _fetch(pi_id: str) -> dict | None:
    return payments.gateway().balance_transaction_of_payment_intent(pi_id)


def record_fee_after_event(event: dict) -> bool:
    """After a payment event was applied and committed: read the fee from Stripe and store it.

    A failure (Stripe unreachable) is logged and left to the sync job, never raised: the
    webhook has already been applied and answered for.
    """
    from l2c_app.core.db import session_scope

    if str(event.get("type")) not in PAID_EVENTS or not payments.gateway().is_external:
        return False
    obj = (event.get("data") or {}).get("object") or {}
    pi = obj.get("payment_intent") if event.get("type") != "payment_intent.succeeded" else obj.get("id")
    pi_id = pi.get("id") if isinstance(pi, dict) else pi
    if not isinstance(pi_id, str) or not pi_id:
        return False
    with session_scope() as session:
        pay = session.exec(select(Payment).where(Payment.stripe_payment_intent_id == pi_id)).first()
        if pay is None or pay.status != "succeeded" or pay.balance_transaction_id:
            return False
        payment_id = pay.id
    try:
        bt = _fetch(pi_id)
    except Exception:  # noqa: BLE001 - the sync job heals it
        log.warning("stripe: fee of %s not read; the sync will retry", pi_id, exc_info=True)
        return False
    if bt is None:
        return False
    with session_scope() as session:
        return apply_fee(session, payment_id, bt)


def heal_fees(session: Session, limit: int = 100) -> int:
    """The sync's part: every succeeded Stripe payment still without a fee gets it from Stripe.

    Reads first and ends that read transaction, calls Stripe with no transaction open, then
    writes (the caller commits). One that cannot be read is skipped until the next run.
    """
    if not payments.gateway().is_external:
        return 0
    rows = [
        (p.id, p.stripe_payment_intent_id)
        for p in session.exec(
            select(Payment)
            .where(
                Payment.method == "stripe",
                Payment.status == "succeeded",
                Payment.balance_transaction_id.is_(None),  # type: ignore[union-attr]
                Payment.stripe_payment_intent_id.is_not(None),
            )  # type: ignore[union-attr]
            .order_by(Payment.id)
            .limit(limit)
        )
    ]
    session.commit()
    found: list[tuple[int, dict]] = []
    for payment_id, pi_id in rows:
        try:
            bt = _fetch(pi_id)
        except Exception:  # noqa: BLE001 - one unreadable payment never stops the others
            log.warning("stripe sync: fee of %s not read", pi_id, exc_info=True)
            continue
        if bt is not None:
            found.append((payment_id, bt))
    return sum(1 for payment_id, bt in found if apply_fee(session, payment_id, bt))


def _day(ts: Any):
    return datetime.fromtimestamp(ts, UTC).date() if type(ts) is int and 0 <= ts < 2**40 else None


def on_payout(session: Session, obj: dict, event: dict) -> str:
    """payout.paid / payout.failed: the Payout object, kept by id, its status only moving forward."""
    status = str(obj.get("status") or ("failed" if event.get("type") == "payout.failed" else "paid"))
    if status not in PAYOUT_RANK:
        raise ValueError(f"unknown payout status {status!r}")
    code = obj.get("failure_code")
    message = obj.get("failure_message")
    values = {
        "amount_minor": int(obj.get("amount") or 0),
        "currency": str(obj.get("currency") or "").upper()[:3],
        "arrival_date": _day(obj.get("arrival_date")),
        "status": status,
        "failure_code": str(code)[:100] if code else None,
        "failure_message": str(message)[:500] if message else None,
    }
    payout = session.exec(select(Payout).where(Payout.stripe_payout_id == obj["id"])).first()
    if payout is None:
        payout = Payout(stripe_payout_id=obj["id"][:100], **values)
        session.add(payout)
        session.flush()
        record_create(session, STRIPE, payout)
        return f"payout {payout.stripe_payout_id} {payout.status}"
    if PAYOUT_RANK[status] < PAYOUT_RANK.get(payout.status, 0):
        return f"payout {payout.stripe_payout_id} stays {payout.status} (older snapshot {status})"
    changed = {k: v for k, v in values.items() if getattr(payout, k) != v}
    if changed:
        for k, v in changed.items():
            setattr(payout, k, v)
        payout.updated_at = utcnow()
        session.add(payout)
        record_action(
            session,
            STRIPE,
            "payout",
            payout.id,
            "update",
            {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in changed.items()},
        )
        session.flush()
    return f"payout {payout.stripe_payout_id} {payout.status}"


def payout_rows(session: Session, limit: int = 50) -> list[dict[str, str]]:
    """The newest payouts for the Payments page."""
    from l2c_app.core.money import format_money

    return [
        {
            "id": p.stripe_payout_id,
            "amount": format_money(p.amount_minor, p.currency),
            "status": p.status,
            "arrival": p.arrival_date.isoformat() if p.arrival_date else "",
            "failure": " - ".join(x for x in (p.failure_code, p.failure_message) if x),
        }
        for p in session.exec(
            select(Payout)
            .order_by(Payout.arrival_date.desc(), Payout.id.desc())  # type: ignore[union-attr]
            .limit(limit)
        )
    ]
