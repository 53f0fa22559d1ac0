"""The client record's figures equal the sums of its documents (open balance, overdue,
credit), and the statement holds: opening + movements = closing, and closing (to today) =
open balance - client credit, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from l2c_app.billing import credit_notes, ledger
from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.clients import service as clients
from l2c_app.clients.statement import statement
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import org_today
from l2c_app.pipeline.models import Account
from tests.billing.factory import World

UP_TO = date(2026, 3, 31)


def issued(session, w: World, amount: int, day: date) -> Invoice:
    w.milestone(amount, kind="fixed")
    inv = billing.build_invoice(session, SYSTEM, w.pid, UP_TO)
    return billing.issue_invoice(session, SYSTEM, inv.id, issue_date=day)


def pay(session, inv, amount, day, **kw):
    return billing.record_manual_payment(
        session, SYSTEM, inv.id, amount_minor=amount, method="bank_transfer", received_on=day, **kw
    )


def a_history(session, w: World):
    """Four invoices of one client: paid, partly paid then credited, overpaid, overdue."""
    today = org_today(session)
    old = today - timedelta(days=120)
    a = issued(session, w, 10000, old)  # 120.00 incl. VAT
    pay(session, a, 12000, old + timedelta(days=5))
    b = issued(session, w, 20000, old + timedelta(days=10))  # 240.00
    pay(session, b, 4000, old + timedelta(days=20))
    credit_notes.partial_credit_note(session, SYSTEM, b.id, amount_minor=6000, reason="discount")
    c = issued(session, w, 5000, today - timedelta(days=3))  # 60.00
    pay(session, c, 10000, today - timedelta(days=2), confirm_overpayment=True)  # 40.00 credit
    d = issued(session, w, 30000, today - timedelta(days=50))  # 360.00, due after 30 days: overdue
    wrong = pay(session, d, 1000, today - timedelta(days=1))
    ledger.reverse_payment(session, SYSTEM, wrong.id, "typed in error")
    session.commit()
    return a, b, c, d


def test_summary_equals_the_sums_of_the_invoices(session, world):
    invoices = a_history(session, world)
    today = org_today(session)
    summary = clients.client_summary(session, world.account.id)
    fresh = [session.get(Invoice, i.id) for i in invoices]
    expected_open = sum(billing.open_amount(session, i) for i in fresh)  # from the ledger itself
    expected_overdue = sum(billing.open_amount(session, i) for i in fresh if i.due_date and i.due_date < today)
    assert summary["open_minor"] == expected_open == (24000 - 7200 - 4000) + 36000
    assert summary["overdue_minor"] == expected_overdue > 0
    assert summary["credit_minor"] == ledger.client_credit_balance(session, world.account.id, "EUR") == 4000
    assert summary["counts"]["invoices"] == 4 and summary["counts"]["credit_notes"] == 1
    assert summary["counts"]["payments"] == 4 and summary["counts"]["projects"] == 1


def test_statement_opening_plus_movements_is_closing_and_closing_is_the_ledger(session, world):
    a_history(session, world)
    today = org_today(session)
    whole = statement(session, world.account.id, today - timedelta(days=400), today)
    assert whole["opening_minor"] == 0
    summary = clients.client_summary(session, world.account.id)
    assert whole["closing_minor"] == summary["open_minor"] - summary["credit_minor"]
    for start in (today - timedelta(days=115), today - timedelta(days=60), today - timedelta(days=2), today):
        st = statement(session, world.account.id, start, today)
        moved = sum(ln["debit_minor"] - ln["credit_minor"] for ln in st["lines"])
        assert st["opening_minor"] + moved == st["closing_minor"] == whole["closing_minor"]
        assert st["lines"] == [ln for ln in whole["lines"] if ln["date"] >= start.isoformat()]
    kinds = [ln["kind"] for ln in whole["lines"]]
    assert kinds.count("invoice") == 4 and kinds.count("credit_note") == 1 and kinds.count("reversal") == 1
    assert whole["invoiced_minor"] == 12000 + 24000 + 6000 + 36000 and whole["credited_minor"] == 7200
    assert sum(whole["aged"].values()) == summary["open_minor"] and whole["aged"]["current"] < summary["open_minor"]


def test_a_statement_refuses_a_backward_range_and_another_currency_is_empty(session, world):
    a_history(session, world)
    today = org_today(session)
    with pytest.raises(DomainError) as err:
        statement(session, world.account.id, today, today - timedelta(days=1))
    assert err.value.field == "start"
    usd = statement(session, world.account.id, currency="USD")
    assert usd["lines"] == [] and usd["closing_minor"] == 0


def test_the_list_filters_and_exports_safely(session, world):
    a_history(session, world)
    bare = clients.create_client(session, SYSTEM, '=HYPERLINK("x") Corp')
    session.commit()
    rows = clients.list_clients(session)
    assert {r["id"] for r in rows} >= {world.account.id, bare.id}
    owing = clients.list_clients(session, has_open_balance=True)
    assert [r["id"] for r in owing] == [world.account.id]
    assert owing[0]["open_minor"] == clients.client_summary(session, world.account.id)["open_minor"]
    assert [r["id"] for r in clients.list_clients(session, has_active_project=True)] == [world.account.id]
    assert [r["id"] for r in clients.list_clients(session, q="carl@client")] == [world.account.id]
    assert clients.list_clients(session, sort="open_balance")[0]["id"] == world.account.id
    text = clients.clients_csv(session)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    with pytest.raises(DomainError):
        clients.list_clients(session, sort="drop table")


def test_contacts_one_primary_one_billing_archive(session, world):
    acc = world.account.id
    ana = clients.add_contact(session, SYSTEM, acc, {"name": "Ana", "email": "ANA@client.test", "is_billing": True})
    bo = clients.add_contact(session, SYSTEM, acc, {"name": "Bo", "is_primary": True, "is_billing": True})
    session.commit()
    session.refresh(ana)
    assert ana.email == "ana@client.test" and not ana.is_billing and bo.is_primary and bo.is_billing
    assert sum(c.is_primary for c in clients.list_contacts(session, acc)) == 1
    clients.update_contact(session, SYSTEM, acc, bo.id, {"archived": True})
    session.commit()
    assert bo.id not in [c.id for c in clients.list_contacts(session, acc)]
    other = Account(name="Other")
    session.add(other)
    session.flush()
    with pytest.raises(DomainError) as err:
        clients.update_contact(session, SYSTEM, other.id, ana.id, {"name": "x"})
    assert err.value.kind == "not_found"
    with pytest.raises(DomainError) as err:
        clients.add_contact(session, SYSTEM, acc, {"name": "C", "email": "not-an-email"})
    assert err.value.field == "email"


def test_details_update_and_documents(session, world):
    a_history(session, world)
    clients.update_client(
        session,
        SYSTEM,
        world.account.id,
        {"billing_email": "AP@client.test", "payment_terms": "net_15", "currency": "eur", "tax_id": "DE123456789"},
    )
    session.commit()
    d = clients.client_details(session, world.account.id)
    assert d["billing_email"] == "ap@client.test" and d["payment_terms"] == "net_15" and d["currency"] == "EUR"
    with pytest.raises(DomainError) as err:
        clients.update_client(session, SYSTEM, world.account.id, {"payment_terms": "net_7"})
    assert err.value.field == "payment_terms"
    docs = clients.client_documents(session, world.account.id)
    assert len(docs["invoices"]) == 4 and len(docs["credit_notes"]) == 1 and len(docs["payments"]) == 4
    assert len(docs["credits"]) == 1 and docs["projects"][0]["href"] == f"/projects/{world.pid}"
    assert session.exec(select(Account)).all()


def test_the_statement_pdf_prints_opening_and_closing(session, world, tmp_path):
    from pypdf import PdfReader

    from l2c_app.clients.statement_pdf import render_statement_pdf

    a_history(session, world)
    today = org_today(session)
    data = render_statement_pdf(session, world.account.id, today - timedelta(days=60), today)
    assert data[:5] == b"%PDF-"
    path = tmp_path / "s.pdf"
    path.write_bytes(data)
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    st = statement(session, world.account.id, today - timedelta(days=60), today)
    from l2c_app.core.money import format_money

    assert "Statement of account" in text and "Opening balance" in text and "Closing balance" in text
    assert format_money(st["closing_minor"], "EUR") in text and "Aged balance" in text
