"""Handlers of disputes (charge.dispute.*): the dispute row, its status kept closed once
closed, and what Stripe holds back for it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from l2c_app.billing.service import lock_invoice_row
from l2c_app.core.audit import record_action, record_create
from l2c_app.core.timeutil import utcnow
from l2c_app.payments.models import DISPUTE_CLOSED, Dispute
from l2c_app.payments.webhook_ledger import STRIPE, _dispute_event, _payment_for_charge, _settle

DISPUTE_TERMINAL = DISPUTE_CLOSED


def _withdrawn(obj: dict, event_type: str, status: str) -> tuple[int | None, int | None]:
    """(money Stripe holds from us for this dispute, how many balance transactions that reads)."""
    amount = int(obj.get("amount") or 0)
    bts = obj.get("balance_transactions")
    if isinstance(bts, list) and bts:
        # Stripe, "Dispute object": zero, one or two balance transactions, funds withdrawn and
        # reinstated. Their amounts are in the balance's currency; the dispute's, when they match.
        same = all(str(b.get("currency", "")).lower() == str(obj.get("currency", "")).lower() for b in bts)
        net = sum(int(b["amount"]) for b in bts)
        held = min(amount, max(0, -net)) if same else (amount if net < 0 else 0)
        return held, len(bts)
    if event_type == "charge.dispute.funds_withdrawn" or status == "lost":
        return amount, None
    if event_type == "charge.dispute.funds_reinstated":
        return 0, None
    return None, None


def _on_dispute(session: Session, obj: dict, event: dict) -> str:
    """Every charge.dispute.* event. Stripe, "Dispute object": statuses warning_needs_response,
    warning_under_review, warning_closed, needs_response, under_review, won, lost, prevented;
    the closed ones (DISPUTE_CLOSED, with `prevented`) stay closed whatever arrives late.
    charge.dispute.funds_withdrawn / funds_reinstated move money: what Stripe holds for the
    dispute is not ours while it holds it (billing's ledger subtracts `withdrawn_minor`)."""
    pay = _payment_for_charge(session, obj, event)
    inv = lock_invoice_row(session, pay.invoice_id) if pay is not None and pay.invoice_id else None
    status = str(obj.get("status") or "needs_response")
    held, n_txn = _withdrawn(obj, str(event.get("type") or ""), status)
    dis = session.exec(select(Dispute).where(Dispute.stripe_dispute_id == obj["id"])).first()
    if dis is None:
        dis = Dispute(
            payment_id=pay.id if pay else None,
            stripe_dispute_id=obj["id"],
            amount_minor=int(obj.get("amount") or 0),
            status=status,
            withdrawn_minor=held or 0,
            balance_txn_count=n_txn or 0,
            closed_at=utcnow() if status in DISPUTE_TERMINAL else None,
        )
        session.add(dis)
        session.flush()
        record_create(session, STRIPE, dis)
        _dispute_event(session, "dispute.opened", pay, dis)
        if status in DISPUTE_TERMINAL:
            _dispute_event(session, "dispute.closed", pay, dis)
    else:
        changed: dict[str, Any] = {}
        if dis.status not in DISPUTE_TERMINAL and status != dis.status:
            changed["status"] = dis.status = status
            if status in DISPUTE_TERMINAL:
                dis.closed_at = utcnow()
                _dispute_event(session, "dispute.closed", pay, dis)
        # Balance transactions only accumulate: a snapshot with fewer is older and changes nothing.
        newer = n_txn is not None and n_txn >= dis.balance_txn_count
        guess = n_txn is None and held is not None and dis.balance_txn_count == 0
        if (newer or guess) and held is not None and held != dis.withdrawn_minor:
            changed["withdrawn_minor"] = dis.withdrawn_minor = held
        if newer and n_txn != dis.balance_txn_count:
            dis.balance_txn_count = n_txn
        if changed:
            record_action(session, STRIPE, "dispute", dis.id, "update", changed)
        session.add(dis)
    session.flush()
    if pay is not None:
        _settle(session, pay, inv)
    return f"dispute {dis.stripe_dispute_id} {dis.status} (withdrawn {dis.withdrawn_minor})"
