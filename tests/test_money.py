"""Money rules: integer minor units, one rounding rule (half-up, once per line)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2c_app.core.money import Money, format_money, minor_digits, percent_of, round_minor, to_major, to_minor


@pytest.mark.parametrize(
    "value,expected",
    [
        (Decimal("2.5"), 3),
        (Decimal("-2.5"), -3),
        (Decimal("2.4999"), 2),
        (Decimal("0.5"), 1),
        (7, 7),
    ],
)
def test_round_minor_is_half_up_away_from_zero(value, expected):
    assert round_minor(value) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_round_minor_keeps_integers(n):
    assert round_minor(Decimal(n)) == n


@given(st.integers(min_value=0, max_value=10**10), st.decimals(min_value=0, max_value=100, places=4))
def test_percent_rounded_once_never_exceeds_amount(amount, pct):
    part = round_minor(percent_of(amount, pct))
    assert 0 <= part <= amount


@pytest.mark.parametrize(
    "text,currency,minor",
    [
        ("1,234.50", "EUR", 123450),
        ("0.01", "USD", 1),
        ("1000", "JPY", 1000),
        ("1.234", "BHD", 1234),
        ("-5", "EUR", -500),
    ],
)
def test_to_minor_parses_typed_amounts(text, currency, minor):
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    "text,currency,message",
    [
        ("12.345", "EUR", "at most 2 decimals"),
        ("1.5", "JPY", "at most 0 decimals"),
        ("abc", "EUR", "not an amount"),
        ("NaN", "EUR", "not an amount"),
    ],
)
def test_to_minor_rejects_what_is_not_money(text, currency, message):
    with pytest.raises(ValueError, match=message):
        to_minor(text, currency)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "USD", "JPY", "BHD", "GBP"]))
def test_major_minor_round_trip(minor, currency):
    assert to_minor(str(to_major(minor, currency)), currency) == minor


def test_currency_digits_and_format():
    assert (minor_digits("EUR"), minor_digits("JPY"), minor_digits("BHD")) == (2, 0, 3)
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(1000, "JPY") == "¥1,000"


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot mix"):
        Money(1, "EUR") + Money(1, "USD")
    assert (Money(150, "EUR") + Money(50, "EUR")).as_json() == {"amount": 200, "currency": "EUR"}
