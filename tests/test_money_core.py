"""Sharp unit tests of the money core (core/money, core/tax, core/lines, quotes/totals),
written against the survivors of the mutation bench (`python -m bench mutation_bench`)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from l2c_app.core import lines as rule
from l2c_app.core.errors import DomainError
from l2c_app.core.money import (
    MAX_AMOUNT_MINOR,
    Money,
    check_amount,
    format_money,
    minor_digits,
    percent_of,
    round_minor,
    to_major,
    to_minor,
)
from l2c_app.core.tax import exact_line_tax, line_tax
from l2c_app.quotes.totals import LineInput, TotalsInputError, compute_totals, recurring_months

# ---------------------------------------------------------------- core/money


@pytest.mark.parametrize(
    "exact, rounded",
    [
        (Decimal("0.5"), 1),
        (Decimal("-0.5"), -1),
        (Decimal("1.49"), 1),
        (Decimal("2.5"), 3),
        (Decimal("-2.5"), -3),
        (7, 7),
    ],
)
def test_round_minor_is_half_up_away_from_zero(exact, rounded):
    assert round_minor(exact) == rounded and isinstance(round_minor(exact), int)


def test_percent_of_is_exact():
    assert percent_of(1000, 10) == Decimal(100)
    assert percent_of(1, "12.5") == Decimal("0.125")
    assert percent_of(250, 4) == Decimal(10)


@pytest.mark.parametrize(
    "typed, currency, minor",
    [
        ("1,234.50", "EUR", 123450),
        ("1234", "JPY", 1234),
        ("1.234", "BHD", 1234),
        (Decimal("12.3"), "eur", 1230),
        (" 7 ", "EUR", 700),
        (5, "EUR", 500),
        ("-1.01", "EUR", -101),
    ],
)
def test_to_minor_reads_major_units(typed, currency, minor):
    assert to_minor(typed, currency) == minor and isinstance(to_minor(typed, currency), int)


@pytest.mark.parametrize(
    "typed, currency",
    [("NaN", "EUR"), ("Infinity", "EUR"), ("abc", "EUR"), ("1.2345", "BHD"), ("1.5", "JPY"), ("0.001", "EUR")],
)
def test_to_minor_refuses_what_is_not_an_amount_of_the_currency(typed, currency):
    with pytest.raises(ValueError):
        to_minor(typed, currency)


def test_minor_digits_and_to_major():
    assert (minor_digits("eur"), minor_digits("JPY"), minor_digits("BHD")) == (2, 0, 3)
    assert to_major(12345, "EUR") == Decimal("123.45")
    assert to_major(12345, "JPY") == Decimal(12345)
    assert to_major(12345, "BHD") == Decimal("12.345")
    assert format_money(123456, "eur") == "€1,234.56"


def test_check_amount_guards_type_and_magnitude():
    assert check_amount(0, "f") == 0
    assert check_amount(MAX_AMOUNT_MINOR - 1, "f") == MAX_AMOUNT_MINOR - 1
    assert check_amount(-(MAX_AMOUNT_MINOR - 1), "f") == -(MAX_AMOUNT_MINOR - 1)
    for bad in (MAX_AMOUNT_MINOR, -MAX_AMOUNT_MINOR, True, 1.0, "100", Decimal(1)):
        with pytest.raises(DomainError) as err:
            check_amount(bad, "amount_minor")
        assert err.value.field == "amount_minor"


def test_money_value_object():
    a, b = Money(150, "EUR"), Money(50, "EUR")
    assert (a + b) == Money(200, "EUR") and (a - b) == Money(100, "EUR")
    assert a.as_json() == {"amount": 150, "currency": "EUR"} and a.format() == "€1.50"
    with pytest.raises(ValueError):
        a + Money(1, "USD")
    with pytest.raises(ValueError):
        a - Money(1, "USD")
    for minor in (1.0, True, Decimal(1)):
        with pytest.raises(TypeError):
            Money(minor, "EUR")
    for code in ("EU", "EURO", "E1R"):
        with pytest.raises(ValueError):
            Money(1, code)


# ---------------------------------------------------------------- core/tax and core/lines


def test_line_tax_exclusive_inclusive_and_zero():
    assert exact_line_tax(1000, 10, False) == Decimal(100)
    assert exact_line_tax(1100, 10, True) == Decimal(100)
    assert exact_line_tax(1100, "0", True) == 0 and exact_line_tax(1100, 0, False) == 0
    assert line_tax(3335, 10, False) == 334  # 333.5 half-up
    assert line_tax(3334, 10, False) == 333
    assert line_tax(10000, 1, False) == 100 and line_tax(10100, 1, True) == 100
    assert line_tax(2200, "10", True) == 200


def test_line_amount_applies_both_discounts_and_rounds_once():
    assert rule.line_amount(3, 1000, 10, 20) == 2160  # 3000 x 0.9 x 0.8
    assert rule.line_amount("1.5", 333) == 500  # 499.5 half-up
    assert rule.line_amount(1, 999, 50) == 500  # 499.5 half-up, once
    assert rule.line_amount(2, 1000, 0, 100) == 0
    assert rule.hourly_rate(10000, 10, 10) == 8100
    assert rule.hourly_rate(1005, 50) == 503  # 502.5 half-up


def test_minutes_and_time_amount():
    assert rule.minutes_of("1.5") == 90 and rule.minutes_of(2) == 120 and rule.minutes_of("0.0083") == 0
    assert rule.time_amount(90, 1000) == 1500
    assert rule.time_amount(1, 1000) == 17  # 16.67
    assert rule.time_amount(3, 10) == 1  # 0.5 half-up


def test_split_evenly_adds_up_and_front_loads_the_remainder():
    assert rule.split_evenly(899, 3) == [300, 300, 299]
    assert rule.split_evenly(900, 3) == [300, 300, 300]
    assert rule.split_evenly(901, 3) == [301, 300, 300]
    assert rule.split_evenly(5, 1) == [5]
    assert rule.split_evenly(5, 0) == [] and rule.split_evenly(5, -1) == []
    assert rule.split_evenly(2, 3) == [1, 1, 0]


def test_rate_tax_rounds_the_base_once():
    assert rule.rate_tax(10005, 10, False) == 1001  # 1000.5 half-up
    assert rule.rate_tax(11000, 10, True) == 1000
    assert rule.rate_tax(11000, 0, True) == 0


def _items(*amounts, percent="10", inclusive=False):
    return [rule.TaxItem(i, a, Decimal(percent), inclusive) for i, a in enumerate(amounts)]


def test_allocation_per_line_is_each_lines_rounded_tax():
    items = _items(3335, 3335, 3335) + [rule.TaxItem("fixed", -5000, Decimal(10), False, fixed_tax=-499)]
    assert rule.allocate_rate_tax(items, rule.PER_LINE) == {0: 334, 1: 334, 2: 334, "fixed": -499}
    assert rule.document_tax(items, rule.PER_LINE) == 334 * 3 - 499


def test_allocation_per_rate_takes_the_difference_from_the_largest_line_first():
    # 3 x 333.5 -> 1,002 per line, 1,000.5 -> 1,001 on the sum: one unit back, from the first (tie)
    assert rule.allocate_rate_tax(_items(3335, 3335, 3335), rule.PER_RATE) == {0: 333, 1: 334, 2: 334}
    # 333.4 x 3 -> 999 per line, 1,000.2 -> 1,000 on the sum: one unit more, to the largest line
    assert rule.allocate_rate_tax(_items(3334, 3334, 3334), rule.PER_RATE) == {0: 334, 1: 333, 2: 333}
    assert rule.allocate_rate_tax(_items(1000, 3334, 3334, 3334), rule.PER_RATE) == {0: 100, 1: 334, 2: 333, 3: 333}
    got = rule.allocate_rate_tax(_items(14, 14, 14, 14, 24, percent="12.5"), rule.PER_RATE)
    assert sum(got.values()) == rule.rate_tax(80, "12.5", False) == 10
    assert got == {0: 2, 1: 2, 2: 2, 3: 2, 4: 2}  # per line 4 x 2 + 3 = 11; 10 on the sum: the largest gives one
    assert rule.document_tax(_items(3335, 3335, 3335), rule.PER_RATE) == 1001


def test_allocation_per_rate_keeps_rates_inclusive_and_fixed_apart():
    excl = _items(3335, 3335)
    incl = [rule.TaxItem(("i", i), 3335, Decimal(10), True) for i in range(2)]
    zero = [rule.TaxItem("z", 3335, Decimal(0), False)]
    fixed = [rule.TaxItem("f", -3335, Decimal(10), False, fixed_tax=-300)]
    got = rule.allocate_rate_tax(excl + incl + zero + fixed, rule.PER_RATE)
    assert got[0] + got[1] == rule.rate_tax(6670, 10, False) == 667
    assert got[("i", 0)] + got[("i", 1)] == rule.rate_tax(6670, 10, True) == 606
    assert got["z"] == 0 and got["f"] == -300


def test_tax_convention_unknown_values_fall_back_to_per_line():
    class Result:
        def __init__(self, org):
            self.org = org

        def first(self):
            return self.org

    def session_with(settings):
        org = None if settings is None else SimpleNamespace(settings=settings)
        return SimpleNamespace(exec=lambda _stmt: Result(org))

    assert rule.tax_convention(session_with(None)) == rule.PER_LINE
    assert rule.tax_convention(session_with({})) == rule.PER_LINE
    assert rule.tax_convention(session_with({"tax_convention": "bogus"})) == rule.PER_LINE
    assert rule.tax_convention(session_with({"tax_convention": "per_rate"})) == rule.PER_RATE
    with pytest.raises(DomainError):
        rule.save_tax_convention(session_with({}), None, "bogus")
    with pytest.raises(DomainError):
        rule.save_tax_convention(session_with(None), None, "per_rate")


# ---------------------------------------------------------------- quotes/totals


def L(key, qty, price, **kw):  # noqa: N802
    return LineInput(key=key, quantity=qty, unit_price_minor=price, **kw)


VAT = {"tax_key": 1, "tax_name": "VAT", "tax_percent": Decimal(20)}


def test_totals_of_a_mixed_quote():
    t = compute_totals(
        [
            L("a", 2, 5000, discount_percent=10, **VAT),  # 9,000 -> 8,100 after 10 %
            L("h", "1.5", 10000, kind="hourly", **VAT),  # 15,000 -> 13,500
            L("r", 3, 899, kind="recurring", **VAT),  # 2,697 -> 2,427 (809,809,809)
            L("n", 1, 1000),  # untaxed 1,000 -> 900
            L("o", 1, 7777, optional=True, selected=False, **VAT),  # not included
            L("i", 1, 1200, tax_key=2, tax_name="Incl", tax_percent=Decimal(20), tax_inclusive=True),
        ],
        discount_percent=10,
    )
    assert t.subtotal_minor == 9000 + 15000 + 2697 + 1000 + 1200
    assert t.line("a") == t.lines[0] and t.line("a").amount_minor == 9000 and t.line("a").discounted_minor == 8100
    assert t.line("h").amount_minor == 15000 and t.line("h").discounted_minor == 13500
    assert t.line("r").discounted_minor == 2427 and t.line("r").tax_minor == 162 * 3  # 161.8 per month
    assert t.line("a").tax_minor == 1620 and t.line("h").tax_minor == 2700
    assert t.line("n").tax_minor == 0 and t.line("i").tax_minor == 180  # 1,080 incl. 20 % -> 180
    o = t.line("o")
    assert not o.included and o.amount_minor == 7777 and o.tax_minor == 0
    assert t.discount_minor == t.subtotal_minor - (8100 + 13500 + 2427 + 900 + 1080)
    assert t.exclusive_tax_minor == 1620 + 2700 + 486 and t.tax_minor == 1620 + 2700 + 486 + 180
    assert t.total_minor == 8100 + 13500 + 2427 + 900 + 1080 + 1620 + 2700 + 486
    assert [(x.name, x.base_minor, x.tax_minor, x.inclusive) for x in t.taxes] == [
        ("Incl", 1080, 180, True),
        ("VAT", 8100 + 13500 + 2427, 1620 + 2700 + 486, False),
    ]


def test_a_ticked_optional_line_counts():
    t = compute_totals([L("o", 1, 1000, optional=True, selected=True, **VAT)])
    assert t.line("o").included and t.subtotal_minor == 1000 and t.total_minor == 1200


def test_per_rate_convention_in_totals():
    lines = [L(i, 1, 3335, tax_key=1, tax_name="VAT", tax_percent=10) for i in range(3)]
    assert compute_totals(lines).tax_minor == 1002
    assert compute_totals(lines, convention=rule.PER_RATE).tax_minor == 1001
    with pytest.raises(TotalsInputError) as err:
        compute_totals(lines, convention="per_invoice")
    assert err.value.field == "tax_convention"


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"discount_percent": -1}, "line discount_percent"),
        ({"discount_percent": "100.01"}, "line discount_percent"),
        ({"quantity": -1}, "quantity"),
        ({"unit_price_minor": -1}, "unit_price"),
        ({"tax_key": 1, "tax_percent": "-0.5"}, "tax percent"),
        ({"quantity": object()}, "quantity"),
    ],
)
def test_totals_refuse_bad_inputs_naming_the_field(kw, field):
    line = {"key": 1, "quantity": 1, "unit_price_minor": 100, **kw}
    with pytest.raises(TotalsInputError) as err:
        compute_totals([LineInput(**line)])
    assert err.value.field == field


def test_totals_accept_the_bounds():
    t = compute_totals([L(1, 0, 0, discount_percent=100, tax_key=1, tax_percent=250)], discount_percent=100)
    assert t.total_minor == 0
    t = compute_totals([L(1, 1, 100, tax_key=1, tax_percent=250)])
    assert t.total_minor == 350
    assert compute_totals([L(1, 0.5, 100)]).subtotal_minor == 50  # a float quantity is read as its text
    for bad in (-1, "100.5"):
        with pytest.raises(TotalsInputError) as err:
            compute_totals([L(1, 1, 100)], discount_percent=bad)
        assert err.value.field == "discount_percent"


def test_recurring_months_rounds_up_and_is_at_least_one():
    assert recurring_months("2.1") == 3 and recurring_months(3) == 3 and recurring_months("0") == 1
    assert recurring_months("0.5") == 1 and recurring_months("12") == 12


def test_per_rate_shares_at_one_percent_too():
    # 0.5 per line rounds up to 1 on each of three lines (3); 1.5 on their sum rounds to 2
    got = rule.allocate_rate_tax(_items(50, 50, 50, percent="1"), rule.PER_RATE)
    assert got == {0: 0, 1: 1, 2: 1} and rule.document_tax(_items(50, 50, 50, percent="1"), rule.PER_LINE) == 3


def test_per_rate_gives_a_difference_of_two_to_two_lines_in_order():
    # 4 x 333.5 -> 1,336 per line, 1,334 on the sum: the two first (equal) lines give one each
    assert rule.allocate_rate_tax(_items(3335, 3335, 3335, 3335), rule.PER_RATE) == {0: 333, 1: 333, 2: 334, 3: 334}


def test_saving_the_convention_is_audited_as_such(monkeypatch):
    from l2c_app.core import audit

    org = SimpleNamespace(settings={"other": 1})
    added, audited = [], []

    class Result:
        def first(self):
            return org

    session = SimpleNamespace(exec=lambda _stmt: Result(), add=added.append)
    monkeypatch.setattr(audit, "snapshot", lambda obj: dict(obj.settings))
    monkeypatch.setattr(audit, "record_update", lambda s, actor, obj, before, action: audited.append((before, action)))
    assert rule.save_tax_convention(session, None, rule.PER_RATE) == rule.PER_RATE
    assert org.settings == {"other": 1, "tax_convention": "per_rate"} and added == [org]
    assert audited == [({"other": 1}, "tax_convention")]


def test_an_hourly_line_is_priced_as_its_minutes_will_bill():
    # 0.333 h = 19.98 min -> 20 min; 20 x 100.00 / 60 = 33.33 (as a fixed line: 33.30)
    t = compute_totals([L("h", "0.333", 10000, kind="hourly"), L("f", "0.333", 10000)])
    assert t.line("h").amount_minor == 3333 and t.line("f").amount_minor == 3330
    # the rate after both discounts is rounded first: 100.05 x 0.5 = 50.025 -> 50.03 an hour
    t = compute_totals([L("h", 3, 10005, kind="hourly", discount_percent=50)])
    assert (
        t.line("h").discounted_minor == 15009
        and compute_totals([L("f", 3, 10005, discount_percent=50)]).line("f").discounted_minor == 15008
    )


def test_tax_rows_sort_by_name_then_rate_then_inclusive_then_key():
    def taxed(key, name, pct, incl, price):
        return L(f"{key}{name}{pct}{incl}", 1, price, tax_key=key, tax_name=name, tax_percent=pct, tax_inclusive=incl)

    rows = [
        taxed(3, "B", 20, True, 100),
        taxed(4, "B", 20, False, 200),
        taxed(0, "B", 20, False, 500),
        taxed(1, "B", 10, False, 400),
        taxed(2, "A", 20, False, 300),
    ]
    t = compute_totals(rows)
    assert [(x.key, x.name, x.percent, x.inclusive, x.base_minor) for x in t.taxes] == [
        (2, "A", 20, False, 300),
        (1, "B", 10, False, 400),
        (0, "B", 20, False, 500),
        (4, "B", 20, False, 200),
        (3, "B", 20, True, 100),
    ]
    assert compute_totals(list(reversed(rows))).taxes == t.taxes


def test_bad_percent_messages_name_the_bound():
    with pytest.raises(TotalsInputError, match="0 or more"):
        compute_totals([L(1, 1, 100, tax_key=1, tax_percent=-1)])
    with pytest.raises(TotalsInputError, match="between 0 and 100"):
        compute_totals([L(1, 1, 100, discount_percent=101)])
