"""THE formats of l2c: money, dates, numbers and hours in the organisation's locale.

Every page, PDF and e-mail formats through this module (never babel with a hard-coded
locale). The settings live in the organisation's settings JSON, owned here:

- `locale`: one of LOCALES (`en-US` default): money, dates, numbers and the first day
  of the week (Sunday for en-US, Monday for en-GB, de-DE and fr-FR).
- `hours_format`: `hm` ("14:15") or `decimal` ("14.25 h"), one format everywhere hours
  are shown (time grid, project page, invoices and their PDF).

An install has one organisation, so the active formats are one value per process
(`active()`): it is refreshed each time the organisation row is loaded from the database
(a SQLAlchemy load event, installed at import) and when the formats are saved, so a
worker that renders a page, a PDF or an e-mail reads the organisation and formats with
what it just read. Functions take an explicit `Formats` where a caller has one (tests,
the Settings example).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency, format_decimal

from l2c_app.core.errors import DomainError

LOCALES: dict[str, str] = {
    "en-US": "English (United States)",
    "en-GB": "English (United Kingdom)",
    "de-DE": "Deutsch (Deutschland)",
    "fr-FR": "Français (France)",
}
HOURS_FORMATS: dict[str, str] = {"hm": "Hours and minutes (14:15)", "decimal": "Decimal hours (14.25 h)"}

DEFAULT_SETTINGS: dict[str, str] = {"locale": "en-US", "hours_format": "hm"}


@dataclass(frozen=True, slots=True)
class Formats:
    locale: str = "en-US"
    hours_format: str = "hm"

    @property
    def babel(self) -> str:
        """`de-DE` -> `de_DE` (babel's spelling)."""
        return self.locale.replace("-", "_")


DEFAULT = Formats()
_active: Formats = DEFAULT


def formats_of(stored: dict[str, Any] | None) -> Formats:
    """The formats in an organisation's stored settings (defaults for anything unknown)."""
    stored = stored or {}
    loc = stored.get("locale", DEFAULT_SETTINGS["locale"])
    hours = stored.get("hours_format", DEFAULT_SETTINGS["hours_format"])
    return Formats(loc if loc in LOCALES else DEFAULT.locale, hours if hours in HOURS_FORMATS else DEFAULT.hours_format)


def active() -> Formats:
    """The formats of this install's organisation (see the module docstring)."""
    return _active


def set_active(fmt: Formats) -> None:
    global _active
    _active = fmt


def formats(session) -> Formats:
    """Read the organisation's formats (and make them the active ones)."""
    from l2c_app.core.auth import get_organisation

    org = get_organisation(session)
    fmt = formats_of(org.settings if org else None)
    set_active(fmt)
    return fmt


def save_formats(session, actor, *, locale: str, hours_format: str) -> Formats:
    """Owner of `locale` and `hours_format`; DomainError naming the field for a bad value."""
    from l2c_app.core.audit import record_update
    from l2c_app.core.auth import get_organisation

    if locale not in LOCALES:
        raise DomainError(f"Choose one of {', '.join(LOCALES)}.", "locale")
    if hours_format not in HOURS_FORMATS:
        raise DomainError("Choose hours and minutes (hm) or decimal hours (decimal).", "hours_format")
    org = get_organisation(session)
    if org is None:
        raise DomainError("Set up the organisation first.", None, kind="not_found")
    before = dict(org.settings or {})
    org.settings = {**before, "locale": locale, "hours_format": hours_format}
    session.add(org)
    record_update(session, actor, org, {"settings": before})
    fmt = Formats(locale, hours_format)
    set_active(fmt)
    return fmt


def _fmt(fmt: Formats | None) -> Formats:
    return fmt or _active


# -- money and numbers ---------------------------------------------------------------------


def money(amount_minor: int, currency: str, fmt: Formats | None = None) -> str:
    """`123456 EUR` -> `€1,234.56` (en-US) / `1.234,56 €` (de-DE); the currency's own digits."""
    from l2c_app.core.money import to_major

    return format_currency(to_major(amount_minor, currency), currency.upper(), locale=_fmt(fmt).babel)


def number(value: int | float | Decimal, fmt: Formats | None = None, digits: int | None = None) -> str:
    """A plain number with the locale's separators (`digits` fixes the decimals)."""
    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=_fmt(fmt).babel)
    return format_decimal(value, locale=_fmt(fmt).babel)


# -- dates -----------------------------------------------------------------------------------


def day(value: date | datetime | None, fmt: Formats | None = None, style: str = "medium") -> str:
    """`2026-03-14` -> `Mar 14, 2026` / `14 Mar 2026` / `14.03.2026` / `14 mars 2026`; `-` for None."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.date()
    return _babel_date(value, format=style, locale=_fmt(fmt).babel)


def moment(value: datetime | None, tz: str = "UTC", fmt: Formats | None = None) -> str:
    """A stored (UTC) instant as a person reads it, in zone `tz`: `Mar 14, 2026, 2:15 PM` /
    `14.03.2026, 14:15`; `-` for None. Data (API, audit, CSV) keeps ISO."""
    if value is None:
        return "-"
    from l2c_app.core.timeutil import to_local

    local = to_local(value, tz or "UTC")
    if local is None:
        return "-"
    loc = _fmt(fmt).babel
    return f"{day(local, fmt)}, {_babel_time(local.time(), format='short', locale=loc)}"


def org_zone(session: Any) -> str:
    """The organisation's time zone, for `moment` (read once per list, not once per row)."""
    from l2c_app.core.auth import get_organisation

    org = get_organisation(session)
    return org.timezone if org else "UTC"


def day_short(value: date, fmt: Formats | None = None) -> str:
    """Weekday and day for a column header: `Mon 3/14` / `Mon 14/03` / `Mo., 14.03.`."""
    loc = _fmt(fmt).babel
    return f"{_babel_date(value, format='EEE', locale=loc)} {_babel_date(value, format=_day_month(loc), locale=loc)}"


def _day_month(loc: str) -> str:
    return {"en_US": "M/d", "en_GB": "dd/MM", "de_DE": "dd.MM.", "fr_FR": "dd/MM"}.get(loc, "dd/MM")


def weekday_name(value: date, fmt: Formats | None = None) -> str:
    return _babel_date(value, format="EEEE", locale=_fmt(fmt).babel)


def first_weekday(fmt: Formats | None = None) -> int:
    """0 = Monday ... 6 = Sunday, the locale's first day of the week."""
    return int(Locale.parse(_fmt(fmt).babel).first_week_day)


def week_start(value: date, fmt: Formats | None = None) -> date:
    """The first day (in the locale: Sunday for en-US, Monday otherwise) of the week holding `value`."""
    first = first_weekday(fmt)
    return value - timedelta(days=(value.weekday() - first) % 7)


# -- hours ----------------------------------------------------------------------------------


def hours(minutes: int, fmt: Formats | None = None) -> str:
    """Totals, budgets, invoices: `855` -> `14:15` (hm) or `14.25 h` (decimal, locale separators)."""
    f = _fmt(fmt)
    if f.hours_format == "decimal":
        value = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{number(value, f, 2)} h"
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h}:{m:02d}"


def hours_cell(minutes: int, fmt: Formats | None = None) -> str:
    """The value of a time cell: like `hours` without the unit; empty for nothing."""
    if not minutes:
        return ""
    text = hours(minutes, fmt)
    return text.removesuffix(" h")


def example(fmt: Formats, currency: str = "EUR") -> str:
    """The Settings card's example line."""
    sample = date(2026, 3, 14)
    return (
        f"{money(123456789, currency, fmt)} · {day(sample, fmt)} · {number(Decimal('1234.5'), fmt)} · "
        f"{hours(855, fmt)} · week starts {weekday_name(week_start(sample, fmt), fmt)}"
    )


def _install_load_listener() -> None:
    from sqlalchemy import event

    from l2c_app.core.models import Organisation

    def _on_load(target: Organisation, *_: Any) -> None:
        set_active(formats_of(target.settings))

    event.listen(Organisation, "load", _on_load)
    event.listen(Organisation, "refresh", _on_load)


_install_load_listener()
