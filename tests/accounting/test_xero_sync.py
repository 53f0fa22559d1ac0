"""Xero sync through the real xero-python SDK against the stand-in: the full cycle equals l2c's
figures to the cent, a second sync changes nothing, a remote error is logged and retried, a
revoked token asks to reconnect, throttling (429 + Retry-After) stops the round."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from l2c_app.accounting.sync import connection as conn_service
from l2c_app.accounting.sync.engine import active_provider, connection, remote_number, sync_log, sync_pending
from l2c_app.accounting.sync.models import AccountingMapping
from l2c_app.billing import service
from l2c_app.core.audit import SYSTEM
from l2c_app.core.errors import DomainError
from l2c_app.core.money import to_major
from l2c_app.payments.models import Refund
from tests.accounting.conftest import connect, connect_xero, issued_invoice, payments
from tests.accounting.test_qbo_sync import _cycle


def _major(minor: int) -> Decimal:
    return to_major(minor, "EUR")


def test_full_cycle_equals_the_ledger_and_a_second_sync_changes_nothing(session, world, standin, xero):
    inv1, inv2, cn = _cycle(session, world, standin)
    connect_xero(session)
    assert active_provider(session) == "xero"
    assert sync_pending() > 0
    assert sync_log(session, "failed") == []
    remote_inv = {i["InvoiceNumber"]: i for i in xero.all("Invoices")}
    for inv in (inv1, inv2):
        r = remote_inv[inv.number]
        assert r["Type"] == "ACCREC" and r["LineAmountTypes"] == "Exclusive"
        assert r["Total"] == _major(inv.total_minor) and r["TotalTax"] == _major(inv.tax_minor)
    (note,) = xero.all("CreditNotes")
    assert note["Type"] == "ACCRECCREDIT" and note["CreditNoteNumber"] == cn.number
    assert note["Total"] == _major(-cn.total_minor) and note["TotalTax"] == _major(-cn.tax_minor)
    pays = payments(session)
    assert sorted(Decimal(str(p["Amount"])) for p in xero.all("Payments")) == sorted(
        _major(p.amount_minor) for p in pays
    )
    for inv in (inv1, inv2):  # what Xero still has due is what l2c has open, before credit notes
        assert remote_inv[inv.number]["AmountDue"] == _major(
            inv.total_minor - sum(p.amount_minor for p in pays if p.invoice_id == inv.id)
        )
    stripe_pay = next(p for p in pays if p.method == "stripe")
    spends = {b["Reference"]: b for b in xero.all("BankTransactions")}
    fee = spends[f"FEE-{stripe_pay.id}"]
    clearing = connection(session).accounts_json
    assert fee["Type"] == "SPEND" and fee["Total"] == _major(stripe_pay.fee_minor)
    assert fee["BankAccount"]["AccountID"] in clearing
    ref = session.exec(select(Refund)).one()
    refund = spends[ref.stripe_refund_id]
    assert refund["Total"] == _major(ref.amount_minor) == Decimal("25.00")
    assert remote_number(session, "invoice", inv1.id) == inv1.number
    calls, counts = len(xero.calls), {k: len(v) for k, v in xero.store.items()}
    assert sync_pending() == 0  # nothing changed: no call at all (the accounts are known)
    assert {k: len(v) for k, v in xero.store.items()} == counts and len(xero.calls) == calls


def test_an_edit_updates_the_same_record_and_idempotency_keys_replay(session, world, standin, xero):
    inv = issued_invoice(session, world, 10000)
    connect_xero(session)
    sync_pending()
    acc = world.account
    acc.name = "Client Ltd (renamed)"
    session.add(acc)
    session.commit()
    assert sync_pending() == 1
    (contact,) = xero.all("Contacts")
    assert contact["Name"] == "Client Ltd (renamed)"
    assert len(xero.all("Invoices")) == 1 and remote_number(session, "invoice", inv.id) == inv.number
    # a repeated write with the same Idempotency-Key changes nothing (the answer was lost, say)
    for m in session.exec(select(AccountingMapping).where(AccountingMapping.entity == "invoice")):
        session.delete(m)
    session.commit()
    assert sync_pending() == 1
    assert len(xero.all("Invoices")) == 1


def test_a_remote_error_is_logged_and_retried(session, world, standin, xero):
    inv = issued_invoice(session, world, 10000)
    connect_xero(session)
    xero.fail_next("Invoices", "Account code '200' is not a valid code for this document.")
    sync_pending()
    session.expire_all()
    (failed,) = sync_log(session, "failed")
    assert failed.label == f"Invoice {inv.number}" and "not a valid code" in failed.error
    assert conn_service.status(session)["failed"][0]["error"].startswith("400: Account code")
    assert xero.all("Invoices") == []
    assert sync_pending() == 1  # retried
    session.expire_all()
    assert sync_log(session, "failed") == [] and len(xero.all("Invoices")) == 1


def test_refresh_tokens_rotate_and_a_revoked_one_asks_to_reconnect(session, world, standin, xero):
    issued_invoice(session, world, 10000)
    connect_xero(session)
    session.expire_all()
    first = connection(session).refresh_token_enc
    xero.expire_access_tokens()
    assert sync_pending() > 0  # 401 -> refresh (a new refresh token, the old one dead) -> retried
    session.expire_all()
    row = connection(session)
    assert row.refresh_token_enc != first and row.status == "connected" and xero.refreshes == 1
    assert "xrt-" not in (row.refresh_token_enc or "")
    assert len(xero.refresh) == 1  # only the newest refresh token works
    world.change_order(500)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 4, 30))
    service.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    xero.revoke_refresh_tokens()
    assert sync_pending() == 0
    session.expire_all()
    row = connection(session)
    assert row.status == "reconnect" and "Xero refused" in row.last_error
    assert sync_pending() == 0
    connect_xero(session)
    assert sync_pending() == 1


def test_throttling_stops_the_round_and_the_next_one_finishes(session, world, standin, xero):
    issued_invoice(session, world, 10000)
    connect_xero(session)
    xero.per_minute = 4  # the accounts look-up and creation take the first calls
    first = sync_pending()
    session.expire_all()
    assert "rate limit" in connection(session).last_error and "retry after 42 s" in connection(session).last_error
    assert xero.throttled == 1  # one 429 ends the round: no call waits out Retry-After or tries again
    xero.new_minute()
    xero.per_minute = 60
    assert first + sync_pending() == len(session.exec(select(AccountingMapping)).all())
    assert len(xero.all("Invoices")) == 1 and len(xero.all("Contacts")) == 1


def test_a_reversed_payment_is_deleted_in_xero(session, world, standin, xero):
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
    connect_xero(session)
    sync_pending()
    (remote,) = xero.all("Payments")
    assert remote["Status"] == "AUTHORISED" and xero.all("Invoices")[0]["AmountDue"] == Decimal("60.00")
    reverse_payment(session, SYSTEM, pay.id, "bounced check")
    session.commit()
    assert sync_pending() == 1
    (remote,) = xero.all("Payments")
    assert remote["Status"] == "DELETED" and xero.all("Invoices")[0]["AmountDue"] == Decimal("100.00")


def test_contact_look_up_pages_through_100_a_page(session, xero):
    from l2c_app.accounting.sync import xero as adapter

    for i in range(250):
        cid = f"c-{i}"
        xero.store["Contacts"][cid] = {"ContactID": cid, "Name": "Same"}
    tokens = adapter.Tokens(None, next(iter(xero.refresh)) if xero.refresh else "", xero.tenant)
    xero.refresh.add("xrt-seed")
    client = adapter.Xero(adapter.config(), adapter.Tokens(None, "xrt-seed", tokens.realm_id), lambda t: None)
    rows = client._all("get_contacts", "contacts", where='Name=="Same"')
    assert len(rows) == 250 and len({r.contact_id for r in rows}) == 250
    assert len([p for _, p in xero.calls if p.endswith("/Contacts")]) == 3


def test_one_organisation_is_connected_to_one_system(session, world, standin, xero, qbo):
    connect(session)
    with pytest.raises(DomainError, match="connected to QuickBooks"):
        conn_service.start_connect(session, SYSTEM, "xero")
    conn_service.disconnect(session, SYSTEM, "qbo")
    session.commit()
    connect_xero(session)
    assert active_provider(session) == "xero" and conn_service.status(session)["label"] == "Xero"


def test_routes_connect_xero_and_pages_say_in_xero_as(session, world, standin, xero, api):
    import requests

    from l2c_app.billing.views import invoice_detail
    from l2c_app.core.auth import create_api_key

    _, secret = create_api_key(session, "bookkeeper")
    session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/accounting/xero/connect").status_code == 401
    go = api.get("/api/accounting/xero/connect", headers=auth, follow_redirects=False)
    assert go.status_code == 303 and go.headers["location"].startswith(xero.base_url + "/connect/authorize?")
    back = requests.get(go.headers["location"], allow_redirects=False, timeout=5).headers["Location"]
    done = api.get("/api/" + back.split("/api/", 1)[1], headers=auth, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    session.expire_all()
    assert connection(session, "xero").status == "connected" and connection(session, "xero").realm_id == xero.tenant
    inv = issued_invoice(session, world, 10000)
    service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=10000,
        method="bank_transfer",
        received_on=date(2026, 4, 1),
    )
    session.commit()
    assert api.post("/api/v1/accounting/sync", headers=auth).json() == {"pushed": 5}
    session.expire_all()
    detail = invoice_detail(session, inv.id)
    assert detail["invoice"]["in_accounting"] == f"In Xero as {inv.number}"
    (remote_pay,) = xero.all("Payments")
    assert detail["payments"][0]["in_accounting"] == f"In Xero as {remote_pay['PaymentID']}"
