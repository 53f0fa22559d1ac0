"""AR aging per client and DSO, read from the invoices (no table, no write).

- Open amount: billing's own figure (`billing.service.open_minor_sql`, the column twin of
  `open_amount`: total - partial credit notes - net paid (payments less refunds and lost
  disputes) - written off) of issued invoices still open (sent or partially paid).
- Buckets by days past due = the organisation's today - the due date: `current` (not yet due,
  or due today), `d1_30`, `d31_60`, `d61_90`, `d90_plus`.
- DSO per currency = open AR / revenue of the last 90 days x 90, where revenue is what the
  invoices issued in the 90 days up to today ask for (total - partial credit notes; drafts,
  voids and credit notes excluded). None when that revenue is 0. Rounded half-up to 0.1 day.

One aggregate query per figure; amounts are integer minor units per currency.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.models import Account

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
BUCKET_LABELS = {
    "current": "Current",
    "d1_30": "1-30 days",
    "d31_60": "31-60 days",
    "d61_90": "61-90 days",
    "d90_plus": "90+ days",
}
DSO_DAYS = 90
GROUPS = ("client", "currency")


def _bucket_sums(today: date):
    """SUM(open) per bucket, by the due date against today's thresholds (portable date compares)."""
    open_minor = billing.open_minor_sql()
    due = Invoice.due_date
    edges = {
        "current": due >= today,
        "d1_30": and_(due < today, due >= today - timedelta(days=30)),
        "d31_60": and_(due < today - timedelta(days=30), due >= today - timedelta(days=60)),
        "d61_90": and_(due < today - timedelta(days=60), due >= today - timedelta(days=90)),
        "d90_plus": due < today - timedelta(days=90),
    }
    return [func.sum(case((cond, open_minor), else_=0)).label(name) for name, cond in edges.items()]


OPEN = and_(Invoice.status.in_(billing.OPEN_STATUSES), Invoice.kind != "credit_note", Invoice.due_date.is_not(None))


def aging(session: Session, today: date | None = None, group: str = "client") -> dict[str, Any]:
    """Rows per client and currency (or per currency with group="currency"), their buckets and
    total, the totals per currency and DSO per currency."""
    if group not in GROUPS:
        from l2c_app.core.errors import DomainError

        raise DomainError(f"Group by one of {', '.join(GROUPS)}.", "group")
    today = today or org_today(session)
    sums = _bucket_sums(today)
    by_client = session.execute(
        select(Invoice.account_id, Account.name, Invoice.currency, func.count(), *sums)
        .outerjoin(Account, Account.id == Invoice.account_id)
        .where(OPEN, billing.open_minor_sql() > 0)
        .group_by(Invoice.account_id, Account.name, Invoice.currency)
    ).all()
    rows = []
    totals: dict[str, dict[str, int]] = {}
    for r in by_client:
        buckets = {b: int(getattr(r, b) or 0) for b in BUCKETS}
        row = {
            "account_id": r.account_id,
            "client": r.name or "No client",
            "currency": r.currency,
            "invoices": int(r[3]),
            **buckets,
            "total": sum(buckets.values()),
        }
        rows.append(row)
        cur = totals.setdefault(r.currency, {**{b: 0 for b in BUCKETS}, "total": 0, "invoices": 0})
        for k in (*BUCKETS, "total", "invoices"):
            cur[k] += row[k]
    rows.sort(key=lambda x: (x["currency"], -x["total"], x["client"]))
    ar = {c: t["total"] for c, t in totals.items()}
    revenue = revenue_days(session, today)
    dso = {c: dso_days(ar.get(c, 0), revenue.get(c, 0)) for c in sorted(set(ar) | set(revenue))}
    if group == "currency":
        rows = [{"account_id": None, "client": "All clients", "currency": c, **t} for c, t in sorted(totals.items())]
    return {
        "today": today,
        "rows": rows,
        "totals": dict(sorted(totals.items())),
        "revenue": revenue,
        "dso": dso,
        "dso_window_days": DSO_DAYS,
    }


def revenue_days(session: Session, today: date, days: int = DSO_DAYS) -> dict[str, int]:
    """What the invoices issued in the `days` days up to today ask for, per currency."""
    rows = session.execute(
        select(Invoice.currency, func.sum(Invoice.total_minor - Invoice.credited_minor))
        .where(
            Invoice.kind != "credit_note",
            Invoice.status.not_in(("draft", "void")),
            Invoice.issue_date > today - timedelta(days=days),
            Invoice.issue_date <= today,
        )
        .group_by(Invoice.currency)
    ).all()
    return {c: int(v or 0) for c, v in rows if v}


def dso_days(ar_minor: int, revenue_minor: int, days: int = DSO_DAYS) -> Decimal | None:
    """THE DSO rule: AR / revenue of the window x its days, half-up to 0.1; None without revenue."""
    if revenue_minor <= 0:
        return None
    return (Decimal(ar_minor) * days / Decimal(revenue_minor)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
