"""What every Insights figure shares: the money text, the organisation's zone, the thresholds
(the days a lead may wait) and the number of rows listed per card."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from l2c_app.core.auth import get_organisation
from l2c_app.core.money import format_money
from l2c_app.pipeline import service as pipeline

OPEN_LEAD_STATUSES = ("new", "qualified")
DEFAULT_LEAD_DAYS = 3  # a new lead waits at most this long unless the pipeline's stale days are set
DRAFT_DAYS = 7  # a draft invoice older than this was probably forgotten
LIST_LIMIT = 10  # rows listed per card (the counts and totals always cover every row)
ID_LIST_LIMIT = 500  # above this many ids, read the rows unfiltered and keep the wanted ones in Python

Totals = dict[str, int]


# --- helpers ----------------------------------------------------------------------------------


def money_text(totals: Totals, empty: str = "-") -> str:
    """{"EUR": 12345, "USD": 500} -> "$5.00 + €123.45" (one formatted amount per currency)."""
    parts = [format_money(v, c) for c, v in sorted(totals.items()) if v]
    return " + ".join(parts) if parts else empty


def _totals(rows) -> Totals:
    return {cur: int(v or 0) for cur, v in rows if v}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _org_tz(session: Session) -> str:
    org = get_organisation(session)
    return (org.timezone if org else None) or "UTC"


def lead_days(session: Session) -> int:
    """N for "new leads untouched for more than N days": the pipeline's stale-days setting when
    the organisation set one, else 3 (the pipeline's own default, 14, suits deals, not leads)."""
    org = get_organisation(session)
    own = (org.settings or {}).get("insights_lead_days") if org else None  # Settings > Insights, when set
    if own is not None:
        return int(own)
    chosen = ((org.settings or {}).get("pipeline") or {}).get("stale_days") if org else None
    return pipeline.stale_days(session) if chosen is not None else DEFAULT_LEAD_DAYS
