"""The cycle this month: pipeline open and weighted, won deals, invoiced and collected money by
the organisation's calendar month."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, cast, func, or_, select
from sqlmodel import Session

from l2c_app.billing.models import Invoice
from l2c_app.core.money import round_minor
from l2c_app.core.timeutil import utcnow
from l2c_app.insights.basics import (
    _org_tz,
    _totals,
)
from l2c_app.payments.models import Payment, Refund
from l2c_app.pipeline.models import Deal, PipelineStage

# --- 6. the cycle this month ------------------------------------------------------------------


def month_bounds(today: date, tz: str) -> tuple[date, datetime]:
    """First day of `today`'s month, and its start as a UTC instant in the organisation's zone."""
    first = today.replace(day=1)
    return first, datetime.combine(first, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def cycle_figures(session: Session, today: date | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Pipeline open and weighted value (the board's rule: value x probability %, the deal's own
    probability else its stage's, summed exactly and rounded once), and this month's won deals,
    invoiced total and collected money (succeeded payments less refunds, by the organisation's
    calendar month)."""
    tz = _org_tz(session)
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(tz)).date()
    first, start = month_bounds(today, tz)

    prob = func.coalesce(Deal.probability, PipelineStage.probability)
    pipe = session.execute(
        select(
            Deal.currency, func.count(), func.sum(Deal.value_minor), func.sum(cast(Deal.value_minor, BigInteger) * prob)
        )
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(Deal.status == "open", PipelineStage.kind == "open")
        .group_by(Deal.currency)
    ).all()
    open_count = sum(int(r[1]) for r in pipe)

    won = session.execute(
        select(Deal.currency, func.count(), func.sum(Deal.value_minor))
        .where(Deal.status == "won", Deal.closed_at >= start)
        .group_by(Deal.currency)
    ).all()

    invoiced = session.execute(
        select(Invoice.currency, func.sum(Invoice.total_minor))
        .where(
            Invoice.kind != "credit_note",
            Invoice.status.not_in(("draft", "void")),
            Invoice.issue_date >= first,
            Invoice.issue_date <= today,
        )
        .group_by(Invoice.currency)
    ).all()

    received = or_(
        and_(Payment.received_on.is_not(None), Payment.received_on >= first, Payment.received_on <= today),
        and_(Payment.received_on.is_(None), Payment.created_at >= start),
    )
    # Credit applied to an invoice is money received earlier, not collected again; a reversed
    # payment is not money at all (its status is "reversed").
    paid = session.execute(
        select(Payment.currency, func.sum(Payment.amount_minor))
        .where(Payment.status == "succeeded", Payment.method != "credit", received)
        .group_by(Payment.currency)
    ).all()
    refunded = session.execute(
        select(Payment.currency, func.sum(Refund.amount_minor))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.created_at >= start)
        .group_by(Payment.currency)
    ).all()
    collected = _totals(paid)
    for cur, v in refunded:
        collected[cur] = collected.get(cur, 0) - int(v or 0)

    return {
        "month": first,
        "open_count": open_count,
        "open": _totals((r[0], r[2]) for r in pipe),
        "weighted": {r[0]: round_minor(Decimal(int(r[3] or 0)) / 100) for r in pipe if r[3]},
        "won_count": sum(int(r[1]) for r in won),
        "won": _totals((r[0], r[2]) for r in won),
        "invoiced": _totals(invoiced),
        "collected": {c: v for c, v in collected.items() if v},
    }
