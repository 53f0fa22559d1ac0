"""Time rules: datetimes are timezone-aware and stored in UTC (SQLModel's UTCDateTime
columns refuse naive values); the UI shows the organisation's zone.

Durations are integer minutes. A person's day holds at most 24 h (1440 minutes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

if TYPE_CHECKING:  # typing only: core.timeutil imports nothing at run time
    from sqlmodel import Session

MINUTES_PER_DAY = 24 * 60


def _system_clock() -> datetime:
    return datetime.now(UTC)


# THE clock of l2c: `utcnow`, `today_in` and `org_today` read it. Tests replace it
# (`monkeypatch.setattr(timeutil, "clock", lambda: fixed)`) to stand at a chosen instant,
# e.g. when Kiritimati is already on tomorrow and Honolulu still on yesterday.
clock: Callable[[], datetime] = _system_clock


def utcnow() -> datetime:
    """Current time, aware, in UTC (what every datetime column stores)."""
    return clock()


def to_local(value: datetime | None, tz: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # defensive: treat naive values as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz))


def format_local(value: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(value, tz)
    return local.strftime(fmt) if local else ""


def is_valid_timezone(name: str) -> bool:
    return name in available_timezones()


def week_start(day: date) -> date:
    """Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


def today_in(tz: str, now: datetime | None = None) -> date:
    """The calendar date in zone `tz` at `now` (default: this instant)."""
    return (now or utcnow()).astimezone(ZoneInfo(tz or "UTC")).date()


def org_today(session: Session, now: datetime | None = None) -> date:
    """THE "today" of l2c: the organisation's date in its own time zone.

    Never the server's date (`date` today of the host's zone): an organisation east or west of the server
    would date invoices yesterday or find nothing to bill on its own today.
    """
    from sqlmodel import col, select

    from l2c_app.core.models import Organisation

    tz = session.exec(select(Organisation.timezone).order_by(col(Organisation.id))).first()
    return today_in(tz or "UTC", now)
