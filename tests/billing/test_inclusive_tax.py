"""Inclusive tax rates on invoices: the tax is already inside the price, reported but not added.

Same rule as quotes (core/tax.py): inclusive tax = round(amount x rate / (100 + rate)),
exclusive tax = round(amount x rate / 100); total = sum(amounts) + exclusive taxes only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from l2c_app.billing import service as billing
from l2c_app.billing.drafting import _line_tax
from l2c_app.core.audit import SYSTEM
from l2c_app.core.money import format_money
from l2c_app.core.tax import line_tax
from l2c_app.projects.models import BudgetLine
from l2c_app.quotes.totals import LineInput, compute_totals

UP_TO = date(2026, 3, 31)


def test_every_line_kind_keeps_an_inclusive_tax_inside_its_amount(world, session):
    w = world
    incl = w.vat_incl
    dev_incl = BudgetLine(project_id=w.pid, role="Tester", rate_minor=6000, tax_rate_id=incl.id)
    session.add(dev_incl)
    session.flush()
    w.time(60, line=dev_incl)  # 60.00 incl. 20 % -> tax 10.00
    w.milestone(12000, tax=incl)  # tax 2000
    w.change_order(1000, tax=incl)  # 1000 x 20/120 = 166.67 -> 167
    w.expense(2500, tax=incl)  # 416.67 -> 417
    w.retainer(3001, start=date(2026, 3, 1), tax=incl)  # 500.17 -> 500
    w.milestone(10000, kind="fixed")  # exclusive 20 % -> +2000 on top
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    lines = billing.lines_of(session, inv.id)
    by_amount = {ln.amount_minor: ln for ln in lines}
    assert by_amount[6000].tax_minor == 1000 and by_amount[6000].tax_inclusive
    assert by_amount[12000].tax_minor == 2000 and by_amount[12000].tax_inclusive
    assert by_amount[1000].tax_minor == 167
    assert by_amount[2500].tax_minor == 417
    assert by_amount[3001].tax_minor == 500
    assert by_amount[10000].tax_minor == 2000 and not by_amount[10000].tax_inclusive
    assert inv.subtotal_minor == 6000 + 12000 + 1000 + 2500 + 3001 + 10000
    assert inv.total_minor == inv.subtotal_minor + 2000  # only the exclusive tax is added
    assert inv.tax_minor == 1000 + 2000 + 167 + 417 + 500 + 2000  # every tax is reported
    data = billing.invoice_json(session, inv)
    assert data["total_minor"] == inv.total_minor
    assert {ln["amount_minor"]: ln["tax_inclusive"] for ln in data["lines"]}[12000] is True


def test_inclusive_deposit_is_deducted_and_credited_with_its_rule(world, session):
    w = world
    dep = billing.create_deposit_invoice(session, SYSTEM, w.pid, amount_minor=12000, tax_rate_id=w.vat_incl.id)
    assert (dep.subtotal_minor, dep.tax_minor, dep.total_minor) == (12000, 2000, 12000)
    billing.issue_invoice(session, SYSTEM, dep.id)
    w.milestone(60000, tax=w.vat_incl)
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    (deduction,) = [ln for ln in billing.lines_of(session, inv.id) if ln.source_type == "deposit"]
    assert (deduction.amount_minor, deduction.tax_minor, deduction.tax_inclusive) == (-12000, -2000, True)
    assert inv.total_minor == 60000 - 12000
    billing.issue_invoice(session, SYSTEM, inv.id)
    cn = billing.credit_note(session, SYSTEM, inv.id)
    assert cn.total_minor == -inv.total_minor and cn.tax_minor == -inv.tax_minor
    assert all(ln.tax_inclusive for ln in billing.lines_of(session, cn.id))


@given(amount=st.integers(-(10**9), 10**9), rate=st.decimals(0, 100, places=4), inclusive=st.booleans())
def test_invoice_line_tax_is_the_quote_line_tax(amount, rate, inclusive):
    """One rule: an invoice line taxes its amount exactly as a one-unit quote line would."""
    if amount >= 0:  # quotes refuse negative prices; invoices have them (deductions, credit notes)
        quote = compute_totals(
            [
                LineInput(
                    key=1, quantity=1, unit_price_minor=amount, tax_key=1, tax_percent=rate, tax_inclusive=inclusive
                )
            ]
        )
        assert _line_tax(amount, rate, inclusive) == quote.line(1).tax_minor
        assert quote.total_minor == amount + (0 if inclusive else quote.tax_minor)
    # a credit note line is the exact negation of the line it credits
    assert _line_tax(-amount, rate, inclusive) == -_line_tax(amount, rate, inclusive)
    assert _line_tax(amount, rate, inclusive) == line_tax(amount, Decimal(rate), inclusive)


def test_pages_and_pdf_say_incl_for_an_inclusive_tax(world, session):
    from l2c_app.billing import views
    from l2c_app.billing.pdf import render_invoice_pdf

    w = world
    w.milestone(12000, tax=w.vat_incl)
    w.milestone(10000, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    detail = views.invoice_detail(session, inv.id)
    assert sorted(ln["tax"] for ln in detail["lines"]) == ["20 %", "20 % incl."]
    assert detail["invoice"]["tax"] == format_money(2000, "EUR")  # only the exclusive tax is added
    assert detail["invoice"]["tax_included"] == format_money(2000, "EUR")
    assert render_invoice_pdf(session, inv)[:4] == b"%PDF"


def test_deal_panel_shows_invoiced_collected_and_open(world, session):
    from l2c_app.billing import views

    w = world
    w.milestone(10000, kind="fixed")  # 100.00 + 20 % = 120.00
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    billing.issue_invoice(session, SYSTEM, inv.id)
    billing.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=5000,
        method="bank_transfer",
        reference="T1",
    )
    panel = views.deal_panel_data(session, w.deal.id)
    assert (panel["invoiced"], panel["collected"], panel["open"]) == tuple(
        format_money(m, "EUR") for m in (12000, 5000, 7000)
    )
