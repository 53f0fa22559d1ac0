"""core.formats: money, dates, numbers and hours in each organisation locale."""

from datetime import date

import pytest

from l2c_app.core import formats
from l2c_app.core.errors import DomainError
from l2c_app.core.money import format_money

US, GB, DE, FR = (formats.Formats(loc) for loc in ("en-US", "en-GB", "de-DE", "fr-FR"))
NBSP = "\u00a0"
NNBSP = "\u202f"


def _plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


@pytest.mark.parametrize(
    ("fmt", "eur", "jpy", "kwd"),
    [
        (US, "€1,234.56", "¥1,234", "KWD1.234"),
        (GB, "€1,234.56", "JP¥1,234", "KWD1.234"),
        (DE, "1.234,56 €", "1.234 ¥", "1,234 KWD"),
        (FR, "1 234,56 €", "1 234 JPY", "1,234 KWD"),
    ],
)
def test_money_in_each_locale_with_0_2_3_decimal_currencies(fmt, eur, jpy, kwd):
    assert _plain(formats.money(123456, "EUR", fmt)) == eur
    assert _plain(formats.money(1234, "JPY", fmt)) == jpy
    assert _plain(formats.money(1234, "KWD", fmt)) == kwd
    assert _plain(formats.money(0, "EUR", fmt)).replace("0,00", "0.00") in {"€0.00", "0.00 €"}


@pytest.mark.parametrize(
    ("fmt", "text", "first", "header"),
    [
        (US, "Mar 14, 2026", date(2026, 3, 8), "Sat 3/14"),
        (GB, "14 Mar 2026", date(2026, 3, 9), "Sat 14/03"),
        (DE, "14.03.2026", date(2026, 3, 9), "Sa. 14.03."),
        (FR, "14 mars 2026", date(2026, 3, 9), "sam. 14/03"),
    ],
)
def test_dates_and_first_day_of_the_week(fmt, text, first, header):
    saturday = date(2026, 3, 14)
    assert formats.day(saturday, fmt) == text
    assert formats.week_start(saturday, fmt) == first
    assert formats.day_short(saturday, fmt) == header
    assert formats.week_start(first, fmt) == first  # the first day is its own week's start
    assert formats.day(None, fmt) == "-"


@pytest.mark.parametrize(
    ("fmt", "number", "decimal_hours"),
    [
        (US, "1,234.5", "14.25 h"),
        (GB, "1,234.5", "14.25 h"),
        (DE, "1.234,5", "14,25 h"),
        (FR, "1 234,5", "14,25 h"),
    ],
)
def test_numbers_and_hours(fmt, number, decimal_hours):
    assert _plain(formats.number(1234.5, fmt)) == number
    assert formats.hours(855, fmt) == "14:15"
    dec = formats.Formats(fmt.locale, "decimal")
    assert formats.hours(855, dec) == decimal_hours
    assert formats.hours(80, dec).startswith(("1.33", "1,33"))  # 1 h 20 min, rounded half-up
    assert formats.hours_cell(0, dec) == "" and formats.hours_cell(855, fmt) == "14:15"


def test_example_switches_back_to_english():
    """The case a previous attempt got wrong: de-DE, then back to en-US, shows en-US again."""
    assert "1.234.567,89" in formats.example(DE)
    back = formats.example(US)
    assert back.startswith("€1,234,567.89") and "Mar 14, 2026" in back and "Sunday" in back


def test_unknown_values_fall_back_and_active_follows_the_organisation_row(session):
    from l2c_app.core.audit import SYSTEM
    from l2c_app.core.auth import get_organisation
    from tests.billing.factory import World

    assert formats.formats_of({"locale": "xx-XX", "hours_format": "?"}) == formats.DEFAULT
    World(session)
    formats.save_formats(session, SYSTEM, locale="de-DE", hours_format="decimal")
    session.commit()
    assert _plain(format_money(123456, "EUR")) == "1.234,56 €"  # every caller of format_money follows
    formats.set_active(formats.DEFAULT)
    session.expire_all()
    get_organisation(session)  # loading the row (any page, PDF or e-mail does) refreshes the active formats
    assert formats.active() == formats.Formats("de-DE", "decimal")
    with pytest.raises(DomainError) as err:
        formats.save_formats(session, SYSTEM, locale="es-ES", hours_format="hm")
    assert err.value.field == "locale"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (US, "Mar 14, 2026, 3:15 PM"),
        (GB, "14 Mar 2026, 15:15"),
        (DE, "14.03.2026, 15:15"),
        (FR, "14 mars 2026, 15:15"),
    ],
)
def test_moment_in_the_organisation_zone_and_locale(fmt, text):
    from datetime import UTC, datetime

    at = datetime(2026, 3, 14, 14, 15, tzinfo=UTC)
    assert _plain(formats.moment(at, "Europe/Berlin", fmt)) == text
    assert formats.moment(None, "UTC", fmt) == "-"
