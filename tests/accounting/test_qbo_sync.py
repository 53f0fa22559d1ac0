"""QuickBooks Online sync through the real SDKs against the stand-in: the full cycle equals l2c's
figures to the cent, a second sync pushes nothing, an edit updates with the SyncToken, a remote
error is logged and retried, a revoked token asks to reconnect, throttling stops the round."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from l2c_app.accounting.sync import connection as conn_service
from l2c_app.accounting.sync.engine import connection, remote_number, sync_log, sync_pending
from l2c_app.accounting.sync.models import AccountingMapping
from l2c_app.billing import service
from l2c_app.billing.credit_notes import partial_credit_note
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from l2c_app.core.money import to_major
from l2c_app.payments.models import Refund
from tests.accounting.conftest import connect, issued_invoice, payments, reload, send


def _cycle(session, world, standin):
    """Two invoices (one with VAT), a partial bank payment, a Stripe payment with its fee, a partial
    refund of it, and a partial credit note."""
    world.change_order(12345, tax=world.vat)
    world.expense(4321)
    inv1 = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv1.id)
    session.commit()
    service.record_manual_payment(
        session,
        SYSTEM,
        inv1.id,
        amount_minor=5000,
        method="bank_transfer",
        received_on=date(2026, 4, 2),
        reference="BANK-1",
    )
    session.commit()
    inv2 = issued_invoice(session, world, 20000)
    paid = standin.pay(send(session, inv2))
    standin.refund(paid["charge"]["id"], 2500)
    expense_line = next(ln for ln in service.lines_of(session, inv1.id) if ln.source_type == "expense")
    cn = partial_credit_note(session, SYSTEM, inv1.id, line_ids=[expense_line.id], reason="not billable")
    session.commit()
    return reload(session, inv1), reload(session, inv2), cn


def _major(minor: int) -> Decimal:
    return to_major(minor, "EUR")


def test_full_cycle_equals_the_ledger_and_a_second_sync_pushes_nothing(session, world, standin, qbo):
    inv1, inv2, cn = _cycle(session, world, standin)
    connect(session)
    pushed = sync_pending()
    assert pushed > 0
    assert sync_log(session, "failed") == []
    remote_inv = {i["DocNumber"]: i for i in qbo.all("Invoice")}
    for inv in (inv1, inv2):
        r = remote_inv[inv.number]
        assert Decimal(str(r["TotalAmt"])) == _major(inv.total_minor)
        assert Decimal(str(r["TxnTaxDetail"]["TotalTax"])) == _major(inv.tax_minor)
    (memo,) = qbo.all("CreditMemo")
    assert memo["DocNumber"] == cn.number and Decimal(str(memo["TotalAmt"])) == _major(-cn.total_minor)
    pays = payments(session)
    assert sorted(Decimal(str(p["TotalAmt"])) for p in qbo.all("Payment")) == sorted(
        _major(p.amount_minor) for p in pays
    )
    stripe_pay = next(p for p in pays if p.method == "stripe")
    (fee,) = qbo.all("JournalEntry")
    assert all(Decimal(str(ln["Amount"])) == _major(stripe_pay.fee_minor) for ln in fee["Line"])
    (refund,) = qbo.all("RefundReceipt")
    ref = session.exec(select(Refund)).one()
    assert Decimal(str(refund["TotalAmt"])) == _major(ref.amount_minor) == Decimal("25.00")
    # each invoice's balance in QuickBooks is what l2c still has open on it, before credit notes
    for inv in (inv1, inv2):
        assert Decimal(str(remote_inv[inv.number]["Balance"])) == _major(
            inv.total_minor - sum(p.amount_minor for p in pays if p.invoice_id == inv.id)
        )
    # the pages' "In QuickBooks as ..."
    assert remote_number(session, "invoice", inv1.id) == inv1.number
    ref_num = stripe_pay.stripe_payment_intent_id[:21]
    stripe_remote = next(p for p in qbo.all("Payment") if p["PaymentRefNum"] == ref_num)
    assert remote_number(session, "payment", stripe_pay.id) == stripe_remote["Id"]
    assert stripe_remote["Line"][0]["LinkedTxn"][0]["TxnId"] == remote_inv[inv2.number]["Id"]
    calls = len(qbo.calls)
    counts = {k: len(v) for k, v in qbo.store.items()}
    assert sync_pending() == 0  # nothing changed: nothing pushed, nothing created
    assert {k: len(v) for k, v in qbo.store.items()} == counts
    assert all(m == "POST" and p.endswith("/query") for m, p in qbo.calls[calls:])  # only the account look-ups


def test_an_edit_updates_with_the_synctoken_even_after_an_edit_in_quickbooks(session, world, standin, qbo):
    inv = issued_invoice(session, world, 10000)
    connect(session)
    sync_pending()
    acc = world.account
    acc.name = "Client Ltd (renamed)"
    session.add(acc)
    session.commit()
    (cust,) = qbo.all("Customer")
    cust["SyncToken"] = "7"  # someone edited it in QuickBooks since: our SyncToken is stale (5010)
    assert sync_pending() == 1
    (cust,) = qbo.all("Customer")
    assert cust["DisplayName"] == "Client Ltd (renamed)" and cust["SyncToken"] == "8"
    assert len(qbo.all("Invoice")) == 1 and remote_number(session, "invoice", inv.id) == inv.number


def test_a_remote_error_is_logged_and_retried(session, world, standin, qbo):
    inv = issued_invoice(session, world, 10000)
    connect(session)
    qbo.fail_next(
        "Invoice", 6000, "A business validation error has occurred", "Business Validation Error: Select a tax rate"
    )
    sync_pending()
    session.expire_all()
    (failed,) = sync_log(session, "failed")
    assert failed.label == f"Invoice {inv.number}" and "Select a tax rate" in failed.error
    assert conn_service.status(session)["failed"][0]["error"].endswith("Select a tax rate")
    assert qbo.all("Invoice") == []
    assert sync_pending() == 1  # retried: the next round pushes it
    session.expire_all()
    assert sync_log(session, "failed") == [] and len(qbo.all("Invoice")) == 1


def test_an_expired_access_token_is_refreshed_and_a_revoked_one_asks_to_reconnect(session, world, standin, qbo):
    issued_invoice(session, world, 10000)
    connect(session)
    session.expire_all()
    first_refresh = connection(session).refresh_token_enc
    qbo.expire_access_tokens()
    assert sync_pending() > 0  # 401 -> refresh -> retried
    session.expire_all()
    row = connection(session)
    assert row.refresh_token_enc != first_refresh and row.status == "connected"
    assert "rt-" not in (row.refresh_token_enc or "")  # kept encrypted
    world.change_order(500)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 4, 30))
    service.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    qbo.revoke_refresh_tokens()
    assert sync_pending() == 0
    session.expire_all()
    row = connection(session)
    assert row.status == "reconnect" and "connect again" in row.last_error
    assert sync_pending() == 0  # stopped until someone connects again
    connect(session)
    assert sync_pending() == 1


def test_throttling_stops_the_round_and_the_next_one_finishes(session, world, standin, qbo):
    issued_invoice(session, world, 10000)
    connect(session)
    qbo.per_minute = 6
    first = sync_pending()
    session.expire_all()
    assert "rate limit" in connection(session).last_error
    qbo.new_minute()
    qbo.per_minute = 500
    assert first + sync_pending() == len(session.exec(select(AccountingMapping)).all())
    assert len(qbo.all("Invoice")) == 1
    assert session.exec(select(Invoice)).first() is not None


def test_the_callback_refuses_a_state_it_did_not_make(session, qbo):
    import pytest

    from l2c_app.core.errors import DomainError

    conn_service.start_connect(session, SYSTEM)
    session.commit()
    with pytest.raises(DomainError):
        conn_service.finish_connect(SYSTEM, "code", "forged-state", qbo.realm)


def test_the_hourly_job_runs_the_sync(session, world, standin, qbo):
    from l2c_app import jobs

    inv = issued_invoice(session, world, 10000)
    connect(session)
    assert jobs.run_jobs()["accounting sync"] == "4 accounting record(s) pushed"  # customer, 2 items, invoice
    assert remote_number(session, "invoice", inv.id) == inv.number
    assert jobs.run_jobs()["accounting sync"] == "0 accounting record(s) pushed"


def test_a_reversed_payment_is_zeroed_in_quickbooks(session, world, standin, qbo):
    from l2c_app.billing.ledger import reverse_payment

    inv = issued_invoice(session, world, 10000)
    pay = service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=4000,
        method="check",
        received_on=date(2026, 4, 1),
    )
    session.commit()
    connect(session)
    sync_pending()
    (remote,) = qbo.all("Payment")
    assert Decimal(str(remote["TotalAmt"])) == Decimal("40.00")
    reverse_payment(session, SYSTEM, pay.id, "bounced check")
    session.commit()
    assert sync_pending() == 1
    (remote,) = qbo.all("Payment")
    assert Decimal(str(remote["TotalAmt"])) == 0 and remote["Line"] == [] and remote["SyncToken"] == "1"
    assert Decimal(str(qbo.all("Invoice")[0]["Balance"])) == Decimal("100.00")


def test_queries_page_through_more_than_one_page(qbo, monkeypatch):
    """STARTPOSITION/MAXRESULTS: 2,345 accounts come back in three pages of at most 1,000."""
    from l2c_app.accounting.sync import qbo as adapter

    for i in range(2345):
        qbo.store["Account"][str(10_000 + i)] = {
            "Id": str(10_000 + i),
            "SyncToken": "0",
            "Name": "Same",
            "AccountType": "Expense",
        }
    qbo.codes["c"] = qbo.realm
    tokens = adapter.exchange_code(adapter.config(), "c", qbo.realm)
    client = adapter.QuickBooks(adapter.config(), tokens, lambda t: None)
    rows = client._query("SELECT * FROM Account WHERE Name = 'Same'")
    assert len(rows) == 2345 and len({r["Id"] for r in rows}) == 2345
    pages = [p for m, p in qbo.calls if p.endswith("/query")]
    assert len(pages) == 3


def test_settings_routes_connect_sync_and_show_the_log_and_pages_say_in_quickbooks_as(
    session, world, standin, qbo, api
):
    import requests

    from l2c_app.billing.views import invoice_detail, ledger_rows
    from l2c_app.core.auth import create_api_key

    _, secret = create_api_key(session, "bookkeeper")
    session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/accounting/qbo/connect").status_code == 401  # needs Settings
    go = api.get("/api/accounting/qbo/connect", headers=auth, follow_redirects=False)
    assert go.status_code == 303 and go.headers["location"].startswith(qbo.base_url + "/connect/oauth2?")
    back = requests.get(go.headers["location"], allow_redirects=False, timeout=5).headers["Location"]
    path = back.split("/api/", 1)[1]
    done = api.get(f"/api/{path}", headers=auth, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    again = api.get(f"/api/{path}", headers=auth, follow_redirects=False)  # the state is spent: refused, noted
    assert again.status_code == 303
    inv = issued_invoice(session, world, 10000)
    pay = service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=10000,
        method="bank_transfer",
        received_on=date(2026, 4, 1),
    )
    session.commit()
    assert api.post("/api/v1/accounting/sync", headers=auth).json() == {"pushed": 5}
    log = api.get("/api/v1/accounting/sync-log", headers=auth).json()
    assert log["connection"]["status"] == "connected" and "refresh_token" not in str(log)
    assert {r["label"] for r in log["records"]} >= {f"Invoice {inv.number}", f"Payment {pay.id} on {inv.number}"}
    session.expire_all()
    detail = invoice_detail(session, inv.id)
    assert detail["invoice"]["in_accounting"] == f"In QuickBooks as {inv.number}"
    (remote_pay,) = qbo.all("Payment")
    assert detail["payments"][0]["in_accounting"] == f"In QuickBooks as {remote_pay['Id']}"
    assert ledger_rows(session)["payments"][0].in_accounting == f"In QuickBooks as {remote_pay['Id']}"


def test_one_round_at_a_time(session, world, standin, qbo):
    from l2c_app.accounting.sync.engine import LEASE
    from l2c_app.core.lease import acquire, release

    issued_invoice(session, world, 10000)
    connect(session)
    assert acquire(session, LEASE, "another-host", 60)
    assert sync_pending() == 0 and qbo.all("Invoice") == []  # the outbox pump and the job do not race
    release(session, LEASE, "another-host")
    assert sync_pending() == 4


def test_a_changed_secret_key_asks_to_reconnect_instead_of_failing_every_hour(
    session, world, standin, qbo, monkeypatch
):
    from l2c_app.core.config import reset_settings

    issued_invoice(session, world, 10000)
    connect(session)
    import os

    before = os.environ.get("SECRET_KEY")
    monkeypatch.setenv("SECRET_KEY", "another-secret-key-0123456789")
    reset_settings()
    try:
        assert sync_pending() == 0
        session.expire_all()
        row = connection(session)
        assert row.status == "reconnect" and "SECRET_KEY" in row.last_error
    finally:
        if before is None:
            monkeypatch.delenv("SECRET_KEY")
        else:
            monkeypatch.setenv("SECRET_KEY", before)
        reset_settings()
