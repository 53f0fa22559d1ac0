"""The money rules of a quote (quotes/totals.py): examples worked by hand, then properties."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2c_app.quotes.totals import LineInput, TotalsInputError, compute_totals

VAT = dict(tax_key=1, tax_name="VAT 20%", tax_percent=Decimal("20"))


def test_worked_example_exclusive_tax_and_quote_discount():
    lines = [
        LineInput("design", Decimal("12.5"), 15000, **VAT),  # 12.5 h x 150.00 = 1875.00
        LineInput("hosting", 1, 999, discount_percent=Decimal("10"), **VAT),  # 9.99 - 10% = 8.991 -> 8.99
    ]
    t = compute_totals(lines, discount_percent=Decimal("5"))
    assert t.line("design").amount_minor == 187500
    assert t.line("hosting").amount_minor == 899
    assert t.subtotal_minor == 188399
    # 5% quote discount per line: 187500 -> 178125; 8.991 x 0.95 = 8.54145 -> 854
    assert t.discount_minor == 188399 - (178125 + 854)
    # VAT 20% per line on the exact discounted amount: 35625 + 170.829 -> 171
    assert t.taxes[0].tax_minor == 35625 + 171
    assert t.total_minor == 178125 + 854 + 35625 + 171


def test_inclusive_tax_is_inside_the_price_not_added():
    t = compute_totals([LineInput("a", 1, 12000, tax_key=2, tax_name="VAT incl", tax_percent=20, tax_inclusive=True)])
    assert t.total_minor == 12000
    assert t.tax_minor == 2000 and t.exclusive_tax_minor == 0
    assert t.taxes[0].inclusive


def test_half_up_rounding_once_per_line():
    # 0.5 minor units round up (half-up), once for the line: 3 x 0.5 cent lines -> 1 cent each
    lines = [LineInput(i, Decimal("0.5"), 1) for i in range(3)]
    t = compute_totals(lines)
    assert [lt.amount_minor for lt in t.lines] == [1, 1, 1]
    assert t.subtotal_minor == 3


def test_optional_lines_count_only_when_ticked():
    base = LineInput("base", 1, 10000)
    unticked = LineInput("extra", 1, 5000, optional=True, selected=False)
    ticked = LineInput("extra", 1, 5000, optional=True, selected=True)
    assert compute_totals([base, unticked]).total_minor == 10000
    assert compute_totals([base, ticked]).total_minor == 15000
    assert compute_totals([base, unticked]).line("extra").amount_minor == 5000  # still priced for display
    assert not compute_totals([base, unticked]).line("extra").included


@pytest.mark.parametrize(
    "line,discount,field",
    [
        (LineInput("a", -1, 100), 0, "quantity"),
        (LineInput("a", 1, -100), 0, "unit_price"),
        (LineInput("a", 1, 100, discount_percent=101), 0, "line discount_percent"),
        (LineInput("a", 1, 100, tax_key=1, tax_percent=-5), 0, "tax percent"),
        (LineInput("a", "abc", 100), 0, "quantity"),
        (LineInput("a", 1, 100), 150, "discount_percent"),
    ],
)
def test_bad_input_is_refused_naming_the_field(line, discount, field):
    with pytest.raises(TotalsInputError) as exc:
        compute_totals([line], discount)
    assert exc.value.field == field


# --- properties -------------------------------------------------------------------------------

quantities = st.decimals(min_value=0, max_value=10000, places=3, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
rates = st.sampled_from(
    [
        (None, "", Decimal(0), False),
        (1, "VAT 20%", Decimal("20"), False),
        (2, "VAT 7.7% incl", Decimal("7.7"), True),
        (3, "GST 5.5%", Decimal("5.5"), False),
    ]
)


@st.composite
def line_inputs(draw, key):
    tax_key, tax_name, tax_percent, inclusive = draw(rates)
    optional = draw(st.booleans())
    return LineInput(
        key,
        draw(quantities),
        draw(st.integers(0, 10_000_000)),
        draw(percents),
        tax_key,
        tax_name,
        tax_percent,
        inclusive,
        optional,
        draw(st.booleans()) if optional else True,
    )


@st.composite
def quotes(draw):
    n = draw(st.integers(0, 25))
    return [draw(line_inputs(i)) for i in range(n)], draw(percents)


@settings(max_examples=300, deadline=None)
@given(quotes())
def test_never_negative_and_total_is_the_sum_of_its_parts(quote):
    lines, discount = quote
    t = compute_totals(lines, discount)
    figures = [t.subtotal_minor, t.discount_minor, t.tax_minor, t.total_minor]
    figures += [x for lt in t.lines for x in (lt.amount_minor, lt.discounted_minor, lt.tax_minor)]
    assert all(isinstance(x, int) and x >= 0 for x in figures)
    assert t.total_minor == t.subtotal_minor - t.discount_minor + sum(x.tax_minor for x in t.taxes if not x.inclusive)
    assert t.subtotal_minor == sum(lt.amount_minor for lt in t.lines if lt.included)
    assert t.tax_minor == sum(x.tax_minor for x in t.taxes)
    assert t.discount_minor <= t.subtotal_minor


@settings(max_examples=200, deadline=None)
@given(quotes(), st.randoms(use_true_random=False))
def test_order_of_lines_is_irrelevant(quote, rnd):
    lines, discount = quote
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    a, b = compute_totals(lines, discount), compute_totals(shuffled, discount)
    assert (a.subtotal_minor, a.discount_minor, a.taxes, a.total_minor) == (
        b.subtotal_minor,
        b.discount_minor,
        b.taxes,
        b.total_minor,
    )


@settings(max_examples=200, deadline=None)
@given(quotes())
def test_rounding_is_stable(quote):
    """The same inputs give the same cents, also after a round trip through strings (DB/JSON)."""
    lines, discount = quote
    again = [
        LineInput(
            ln.key,
            str(ln.quantity),
            ln.unit_price_minor,
            str(ln.discount_percent),
            ln.tax_key,
            ln.tax_name,
            str(ln.tax_percent),
            ln.tax_inclusive,
            ln.optional,
            ln.selected,
        )
        for ln in lines
    ]
    assert compute_totals(lines, discount) == compute_totals(lines, discount) == compute_totals(again, str(discount))


@settings(max_examples=200, deadline=None)
@given(quotes())
def test_unticked_optional_lines_change_nothing(quote):
    lines, discount = quote
    without = [ln for ln in lines if not ln.optional or ln.selected]
    a, b = compute_totals(lines, discount), compute_totals(without, discount)
    assert (a.subtotal_minor, a.discount_minor, a.taxes, a.total_minor) == (
        b.subtotal_minor,
        b.discount_minor,
        b.taxes,
        b.total_minor,
    )


@settings(max_examples=100, deadline=None)
@given(line_inputs("x"), percents)
def test_discounts_never_raise_a_line(line, discount):
    t = compute_totals([line], discount)
    lt = t.lines[0]
    assert lt.discounted_minor <= lt.amount_minor <= round(Decimal(line.quantity) * line.unit_price_minor + 1)
