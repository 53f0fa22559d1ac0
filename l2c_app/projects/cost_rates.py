"""Cost rates: what an hour of a person costs, with history by date.

A rate applies from its `effective_from` day until the next rate of that person; a time entry
costs the rate in effect on its day (`rate_in_effect`, the same rule as the set-based SQL in
insights/margin.py). Setting a rate on a day that already has one replaces it. Only owners and
admins set rates (the `team` section, checked by the routes and pages that call this).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.models import User
from l2c_app.core.money import check_amount
from l2c_app.projects.models import CostRate


def set_cost_rate(
    session: Session, actor: Actor, user_id: int, effective_from: date, amount_minor: int, currency: str = "EUR"
) -> CostRate:
    if session.get(User, user_id) is None:
        raise DomainError(f"No person {user_id}", "user_id", kind="not_found")
    amount = check_amount(amount_minor, "amount_minor", "The cost rate")
    if amount < 0:
        raise DomainError("A cost rate is not negative", "amount_minor")
    cur = (currency or "").strip().upper()
    if len(cur) != 3 or not cur.isalpha():
        raise DomainError("A currency is a 3-letter code such as EUR", "currency")
    row = session.exec(
        select(CostRate).where(CostRate.user_id == user_id, CostRate.effective_from == effective_from)
    ).first()
    if row is None:
        row = CostRate(user_id=user_id, effective_from=effective_from, amount_minor=amount, currency=cur)
        session.add(row)
        record_create(session, actor, row)
    else:
        before = snapshot(row)
        row.amount_minor, row.currency = amount, cur
        session.add(row)
        record_update(session, actor, row, before)
    session.flush()
    return row


def cost_rates(session: Session, user_id: int | None = None) -> list[CostRate]:
    stmt = select(CostRate)
    if user_id is not None:
        stmt = stmt.where(CostRate.user_id == user_id)
    return list(session.exec(stmt.order_by(CostRate.user_id, CostRate.effective_from)))


def rate_in_effect(session: Session, user_id: int, day: date) -> CostRate | None:
    return session.exec(
        select(CostRate)
        .where(CostRate.user_id == user_id, CostRate.effective_from <= day)
        .order_by(CostRate.effective_from.desc())
    ).first()  # type: ignore[attr-defined]
