"""Durations typed by people -> integer minutes, and back.

Accepted (spaces ignored, case-insensitive, `,` works as a decimal point):
  `1.5` / `1,5` / `1.5h`   decimal hours           -> 90
  `1:30`                   hours:minutes           -> 90
  `90m` / `90min`          minutes                 -> 90
  `2h`                     hours                   -> 120
  `1h30` / `1h 30m`        hours and minutes       -> 90
  `` (empty) / `0`         nothing                 -> 0 (clears a time cell)
Decimal hours are rounded to the nearest minute, half-up (`0.01` h = 0.6 min -> 1 min).
A single value never exceeds 24 h (one person's day); the per-day total across cells
is checked by the service (`projects.service.upsert_time`).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from l2c_app.core import formats
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import MINUTES_PER_DAY


class DurationError(DomainError):
    """A message that can be shown as is next to the cell (the API names the field `minutes`)."""

    def __init__(self, message: str, field: str | None = "minutes"):
        super().__init__(message, field)


_HM = re.compile(r"^(\d+):(\d{1,2})$")
_MIN = re.compile(r"^(\d+)(?:m|min|mins|minutes?)$")
_H = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(?:h|hr|hrs|hours?)?$")
_H_M = re.compile(r"^(\d+)h(\d{1,2})(?:m|min)?$")

HELP = "Type hours like 1.5, 1:30, 90m, 2h or 1h30."


def parse_duration(text: str | int | None) -> int:
    """Minutes in `text` (see the module docstring); DurationError with a readable message."""
    if text is None:
        return 0
    if isinstance(text, bool):
        raise DurationError(f"{text!r} is not a duration. {HELP}")
    if isinstance(text, int):
        minutes = text
    else:
        raw = str(text)
        s = raw.strip().lower().replace(" ", "").replace(",", ".")
        if s == "":
            return 0
        if s.startswith("-"):
            raise DurationError(f"{raw.strip()!r}: time cannot be negative.")
        if m := _HM.match(s):
            hours, mins = int(m.group(1)), int(m.group(2))
            if mins >= 60:
                raise DurationError(f"{raw.strip()!r}: minutes after ':' must be below 60.")
            minutes = hours * 60 + mins
        elif m := _H_M.match(s):
            hours, mins = int(m.group(1)), int(m.group(2))
            if mins >= 60:
                raise DurationError(f"{raw.strip()!r}: minutes after 'h' must be below 60.")
            minutes = hours * 60 + mins
        elif m := _MIN.match(s):
            minutes = int(m.group(1))
        elif m := _H.match(s):
            try:
                hours_dec = Decimal(m.group(1))
            except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
                raise DurationError(f"{raw.strip()!r} is not a duration. {HELP}") from None
            minutes = int((hours_dec * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        else:
            raise DurationError(f"{raw.strip()!r} is not a duration. {HELP}")
    if minutes < 0:
        raise DurationError("Time cannot be negative.")
    if minutes > MINUTES_PER_DAY:
        raise DurationError(f"{format_minutes(minutes)} is more than 24 h: a day holds at most 24 h.")
    return minutes


def format_minutes(minutes: int) -> str:
    """A time cell's value in the organisation's hours format (`core.formats.hours_cell`):
    `90` -> `1:30` (hm) or `1.50` (decimal); `0` -> `` (an empty cell)."""
    return formats.hours_cell(minutes)


def format_hours(minutes: int) -> str:
    """Totals and budgets in the organisation's hours format (`core.formats.hours`):
    `855` -> `14:15` (hm) or `14.25 h` (decimal)."""
    return formats.hours(minutes)
