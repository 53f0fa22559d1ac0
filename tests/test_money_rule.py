"""The one line-and-tax rule (core/lines) on every document, and the money seams of issue 21."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from l2c_app.billing import service as billing
from l2c_app.core import lines as rule
from l2c_app.core.audit import SYSTEM, Actor
from l2c_app.core.money import to_minor
from l2c_app.quotes.totals import LineInput, TotalsInputError, compute_totals
from tests.billing.factory import World

UP_TO = date(2026, 3, 31)


def ten(key, price=3334.5, qty="1", **kw):
    return LineInput(key, qty, price, tax_key=1, tax_name="VAT 10", tax_percent=Decimal(10), **kw)


# --- bullet 1: quote and invoice agree -------------------------------------------------------


def three_items(convention=rule.PER_LINE):
    # 33.345 typed as a quantity of 1 at 33.345 is not a price; 1.5 x 22.23 = 33.345 is.
    return compute_totals(
        [LineInput(i, "1.5", 2223, tax_key=1, tax_name="VAT 10", tax_percent=10) for i in range(3)],
        convention=convention,
    )


def test_quote_taxes_the_rounded_line_per_line():
    t = three_items()
    assert [ln.discounted_minor for ln in t.lines] == [3335, 3335, 3335]
    assert [ln.tax_minor for ln in t.lines] == [334, 334, 334]  # 33.35 x 10 % = 3.335 -> 3.34
    assert (t.subtotal_minor, t.tax_minor, t.total_minor) == (10005, 1002, 11007)


def test_quote_taxes_per_rate_on_the_document():
    t = three_items(rule.PER_RATE)
    assert (t.subtotal_minor, t.tax_minor, t.total_minor) == (10005, 1001, 11006)  # 100.05 x 10 % = 10.005 -> 10.01
    assert sum(ln.tax_minor for ln in t.lines) == 1001
    (row,) = t.taxes
    assert (row.base_minor, row.tax_minor) == (10005, 1001)


@pytest.mark.parametrize("convention, tax", [(rule.PER_LINE, 1002), (rule.PER_RATE, 1001)])
def test_invoice_bills_what_the_quote_says(session, convention, tax):
    w = World(session, tax_convention=convention)
    ten_pct = w.vat.__class__(name="VAT 10", percent=Decimal(10))
    session.add(ten_pct)
    session.flush()
    for _ in range(3):
        w.milestone(3335, kind="fixed", tax=ten_pct)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (10005, tax, 10005 + tax)
    quote = three_items(convention)
    assert (quote.subtotal_minor, quote.tax_minor, quote.total_minor) == (
        inv.subtotal_minor,
        inv.tax_minor,
        inv.total_minor,
    )


def test_per_rate_keeps_a_deposits_stated_tax(session):
    """Deposit 10.01 at 10 % (tax 1.00), then the work: the two invoices' tax is the tax of
    the work (rate x 100.05 -> 10.01), not 1.00 + round(9.004)."""
    w = World(session, tax_convention=rule.PER_RATE)
    ten_pct = w.vat.__class__(name="VAT 10", percent=Decimal(10))
    session.add(ten_pct)
    session.flush()
    for _ in range(3):
        w.milestone(3335, kind="fixed", tax=ten_pct)
    dep = billing.create_deposit_invoice(session, SYSTEM, w.pid, amount_minor=1001, tax_rate_id=ten_pct.id)
    billing.issue_invoice(session, SYSTEM, dep.id, issue_date=date(2026, 3, 1))
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert dep.tax_minor == 100
    assert inv.subtotal_minor + dep.subtotal_minor == 10005
    assert inv.tax_minor + dep.tax_minor == 1001


def test_allocation_shares_add_up_and_fixed_taxes_stay():
    items = [
        rule.TaxItem("a", 3335, Decimal(10), False),
        rule.TaxItem("b", 3335, Decimal(10), False),
        rule.TaxItem("c", 3335, Decimal(10), False),
        rule.TaxItem("d", -1001, Decimal(10), False, fixed_tax=-100),
    ]
    out = rule.allocate_rate_tax(items, rule.PER_RATE)
    assert out["d"] == -100 and out["a"] + out["b"] + out["c"] == 1001
    assert rule.allocate_rate_tax(items, rule.PER_LINE) == {"a": 334, "b": 334, "c": 334, "d": -100}


def test_the_convention_is_an_audited_setting(session):
    World(session)
    assert rule.tax_convention(session) == rule.PER_LINE
    assert rule.save_tax_convention(session, SYSTEM, rule.PER_RATE) == rule.PER_RATE
    assert rule.tax_convention(session) == rule.PER_RATE
    with pytest.raises(ValueError, match="tax convention"):
        rule.save_tax_convention(session, SYSTEM, "per_whim")


# --- bullet 2: change orders carry their tax ----------------------------------------------------


def test_change_order_takes_the_contracts_rate_and_is_invoiced_with_it(session):
    from l2c_app.projects import service as projects

    w = World(session)
    w.milestone(100000, kind="fixed", tax=w.vat)  # the contract's fixed work is taxed at 20 %
    co = projects.create_change_order(
        session, Actor("user", w.user.id), w.pid, description="Extra page", amount_minor=125000
    )
    assert (co.tax_rate_id, co.tax_percent, co.tax_minor) == (w.vat.id, Decimal(20), 25000)
    shown = projects.public_change_order(session, co.public_token)
    assert (shown["amount_minor"], shown["tax_minor"], shown["total_minor"]) == (125000, 25000, 150000)
    projects.approve_change_order(session, Actor("client", None, "co"), co.id, "Carl Client")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO, only_types={"change_order"})
    assert (inv.subtotal_minor, inv.tax_minor, inv.total_minor) == (125000, 25000, 150000)


def test_change_order_falls_back_to_the_organisations_default_rate(session):
    from l2c_app.projects import service as projects

    w = World(session)
    w.dev.tax_rate_id = None  # nothing of the plan names a rate: the organisation's default applies
    w.org.settings = {"default_tax_rate_id": w.vat_incl.id}
    session.add_all([w.org, w.dev])
    session.flush()
    co = projects.create_change_order(session, SYSTEM, w.pid, description="Extra", amount_minor=12000)
    assert (co.tax_rate_id, co.tax_inclusive, co.tax_minor, projects.change_order_total(co)) == (
        w.vat_incl.id,
        True,
        2000,
        12000,
    )
    none = projects.create_change_order(
        session, SYSTEM, w.pid, description="Free of tax", amount_minor=12000, tax_rate_id=0
    )
    assert (none.tax_rate_id, none.tax_minor) == (None, 0)


def test_migration_0003_keeps_a_change_orders_tax(tmp_path):
    """A 0001 database holding change orders upgrades: the one naming a rate gets its figures."""
    from sqlalchemy import create_engine, text

    from alembic import command
    from l2c_app.core.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0001")
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(
            text(
                "INSERT INTO project (id, name, currency, status, billable_default, created_at) "
                "VALUES (1, 'P', 'EUR', 'active', 1, '2026-01-01')"
            )
        )
        c.execute(text("INSERT INTO taxrate (id, name, percent, inclusive) VALUES (1, 'VAT 20', 20, 0)"))
        for i, rate in ((1, 1), (2, None)):
            c.execute(
                text(
                    "INSERT INTO changeorder (id, project_id, number, description, kind, amount_minor, "
                    "minutes, rate_minor, tax_rate_id, status, public_token, provider, created_at) VALUES "
                    "(:i, 1, :i, 'x', 'fixed', 125005, 0, 0, :r, 'approved', :t, 'builtin', '2026-01-01')"
                ),
                {"i": i, "r": rate, "t": f"tok{i}"},
            )
    command.upgrade(cfg, "0003")
    with eng.connect() as c:
        rows = c.execute(text("SELECT id, tax_percent, tax_inclusive, tax_minor FROM changeorder ORDER BY id")).all()
    eng.dispose()
    assert [(r[0], Decimal(str(r[1])), bool(r[2]), r[3]) for r in rows] == [
        (1, Decimal(20), False, 25001),
        (2, Decimal(0), False, 0),
    ]


# --- bullet 3: retainers add up ----------------------------------------------------------------


def test_fixed_term_retainer_bills_the_quoted_amount(session):
    from l2c_app.projects.models import Retainer

    w = World(session)
    session.add(
        Retainer(
            project_id=w.pid, name="Care", amount_minor=300, months=3, planned_minor=899, start_date=date(2026, 1, 1)
        )
    )
    session.flush()
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO, only_types={"retainer_period"})
    assert [ln.amount_minor for ln in billing.lines_of(session, inv.id)] == [300, 300, 299]
    assert inv.subtotal_minor == 899
    assert rule.split_evenly(899, 3) == [300, 300, 299] and rule.split_evenly(5, 0) == []


# --- bullet 5: nothing of zero value is billed -------------------------------------------------


def test_a_zero_item_never_drafts_an_invoice(session):
    w = World(session)
    w.milestone(0, kind="fixed")
    with pytest.raises(billing.BillingError, match="Nothing to bill"):
        billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    w.milestone(5000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    assert [ln.amount_minor for ln in billing.lines_of(session, inv.id)] == [5000]
    with pytest.raises(billing.BillingError, match="not 0"):
        billing.add_manual_line(session, SYSTEM, inv.id, "Nothing", 0)


# --- bullet 8: sharper unit tests of the money core --------------------------------------------


def test_one_percent_tax_is_charged():
    t = compute_totals([LineInput(1, "1", 10000, tax_key=1, tax_name="Low", tax_percent="1")])
    assert (t.tax_minor, t.total_minor) == (100, 10100)
    assert rule.line_tax(150, 1, False) == 2 and rule.line_tax(149, 1, False) == 1


@pytest.mark.parametrize("price", [100.0, Decimal("100"), "100", Decimal("NaN"), float("inf"), True])
def test_compute_totals_refuses_prices_that_are_not_integers(price):
    with pytest.raises(TotalsInputError) as exc:
        compute_totals([LineInput(1, "1", price)])
    assert exc.value.field == "unit_price"


@pytest.mark.parametrize("qty", ["NaN", "Infinity", "-Infinity", "abc"])
def test_compute_totals_refuses_quantities_that_are_not_numbers(qty):
    with pytest.raises(TotalsInputError) as exc:
        compute_totals([LineInput(1, qty, 100)])
    assert exc.value.field == "quantity"


def test_quote_tax_rows_carry_their_base_in_a_stable_order():
    lines = [
        LineInput("a", "1", 10000, tax_key=2, tax_name="VAT 20", tax_percent=20),
        LineInput("b", "2", 2500, tax_key=1, tax_name="VAT 10", tax_percent=10),
        LineInput("c", "1", 1000, tax_key=2, tax_name="VAT 20", tax_percent=20),
        LineInput("d", "1", 1200, tax_key=3, tax_name="VAT 20", tax_percent=20, tax_inclusive=True),
    ]
    for order in (lines, lines[::-1]):
        t = compute_totals(order, discount_percent=10)
        assert [(r.name, r.percent, r.inclusive, r.base_minor, r.tax_minor) for r in t.taxes] == [
            ("VAT 10", Decimal(10), False, 4500, 450),
            ("VAT 20", Decimal(20), False, 9900, 1980),
            ("VAT 20", Decimal(20), True, 1080, 180),
        ]
        assert t.total_minor == t.subtotal_minor - t.discount_minor + 450 + 1980


@pytest.mark.parametrize(
    "typed, minor", [("1 234.50", 123450), ("1\u00a0234.50", 123450), ("12 345 678", 1234567800), (" 1,234.5 ", 123450)]
)
def test_to_minor_reads_space_and_no_break_space_separators(typed, minor):
    assert to_minor(typed, "EUR") == minor
    assert to_minor(typed.replace("34.50", "34").replace("34.5", "34"), "JPY") == minor // 100
