"""Stripe fees and payouts (issue 20), through the real SDK against the stand-in, which models
Stripe's "Balance Transaction object", "Payout object" and the "Payouts" guide."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from l2c_app import jobs
from l2c_app.billing.views import invoice_detail
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import AuditLog, WebhookEvent
from l2c_app.payments.fees import heal_fees, payout_rows
from l2c_app.payments.models import Payment, Payout
from l2c_app.payments.webhooks import stripe_sync
from tests.payments.conftest import issued_invoice
from tests.payments.test_stripe_as_documented import payments, reload, send


def _bt_of(standin, paid) -> dict:
    return standin.objects[paid["charge"]["balance_transaction"]]


def expanded_reads(standin) -> list[dict]:
    return [
        p
        for m, path, p in standin.requests
        if m == "GET" and path.startswith("/v1/payment_intents/") and p.get("expand")
    ]


def test_a_card_payment_records_its_fee_and_net(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    (pay,) = payments(session)
    bt = _bt_of(standin, paid)
    # 2.9 % + 30 of 100.00: 2.90 + 0.30
    assert (bt["fee"], bt["net"]) == (320, 9680)
    assert (pay.fee_minor, pay.net_minor, pay.fee_currency, pay.balance_transaction_id) == (320, 9680, "EUR", bt["id"])
    assert pay.amount_minor == 10000 and reload(session, inv).paid_minor == 10000  # the invoice is paid gross
    assert expanded_reads(standin)[0]["expand"] == ["latest_charge.balance_transaction"]
    audit = session.exec(
        select(AuditLog).where(AuditLog.entity == "payment", AuditLog.entity_id == pay.id, AuditLog.action == "update")
    ).all()
    assert any((a.after or {}).get("fee_minor") == 320 for a in audit)
    row = invoice_detail(session, inv.id)["payments"][0]
    assert "3.20" in row["fee"]
    assert "96.80" in row["net"]


def test_the_fee_is_read_once_per_payment(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    for ev in paid["events"]:  # Stripe delivers again: duplicates ask nothing of Stripe
        assert standin.deliver(ev) == 200
    assert len(expanded_reads(standin)) == 1


def test_the_sync_job_heals_a_missing_fee(session, world, standin):
    inv = issued_invoice(session, world, 25000)
    standin.card_fee = lambda amount: 755  # whatever Stripe charged: read, never computed by us
    standin.pay(send(session, inv), deliver=False)  # the webhooks were lost
    stripe_sync(session)
    session.commit()
    (pay,) = payments(session)
    assert pay.status == "succeeded" and pay.fee_minor is None
    results = jobs.run_jobs()
    assert results["stripe fees"] == "1 payment fee(s) recorded"
    (pay,) = payments(session)
    assert (pay.fee_minor, pay.net_minor) == (755, 24245)
    assert heal_fees(session) == 0  # nothing left to heal


def test_a_bank_debit_has_a_fee_once_its_charge_exists(session, world, standin):
    inv = issued_invoice(session, world, 7000)
    paid = standin.pay(send(session, inv), delayed=True)
    (pay,) = payments(session)
    assert pay.status == "pending" and pay.fee_minor is None and expanded_reads(standin) == []
    standin.settle_async(paid["session"]["id"])
    (pay,) = payments(session)
    assert pay.status == "succeeded" and pay.fee_minor == (7000 * 29 + 500) // 1000 + 30


def test_an_unreachable_stripe_leaves_the_fee_to_the_sync(session, world, standin, monkeypatch):
    from l2c_app.integrations import stripe_client

    def down(pi_id):
        raise stripe_client.stripe.APIConnectionError("Stripe is unreachable")

    inv = issued_invoice(session, world, 10000)
    link = send(session, inv)
    monkeypatch.setattr(stripe_client, "balance_transaction_of_payment_intent", down)
    standin.pay(link)
    assert all(status == 200 for _, status in standin.deliveries)  # the payment itself is applied
    (pay,) = payments(session)
    assert pay.status == "succeeded" and pay.fee_minor is None and reload(session, inv).status == "paid"
    monkeypatch.undo()
    assert heal_fees(session) == 1
    session.commit()
    assert payments(session)[0].fee_minor == 320


# --- payouts ---------------------------------------------------------------------------------


def payouts(session) -> list[Payout]:
    session.expire_all()
    return list(session.exec(select(Payout).order_by(Payout.id)))


def test_a_paid_payout_and_a_failed_one(session, world, standin):
    paid = standin.payout(96800)
    failed = standin.payout(5000, fail="account_closed")
    first, second = payouts(session)
    assert (first.stripe_payout_id, first.status, first.amount_minor, first.currency) == (
        paid["id"],
        "paid",
        96800,
        "EUR",
    )
    assert first.arrival_date == datetime.fromtimestamp(paid["arrival_date"], UTC).date()
    assert first.failure_code is None
    assert (second.stripe_payout_id, second.status, second.failure_code) == (failed["id"], "failed", "account_closed")
    assert second.failure_message == "The bank account has been closed."
    rows = payout_rows(session)
    assert [r["status"] for r in rows] == ["failed", "paid"]  # newest first
    assert any("account_closed" in r["failure"] for r in rows)


def test_a_payout_that_fails_after_paid_stays_failed(session, world, standin):
    po = standin.payout(12000, deliver=False)
    paid_event = standin.events[-1]
    standin.fail_payout(po["id"], "no_account")  # the failure is delivered first
    assert standin.deliver(paid_event) == 200  # the older `paid` snapshot arrives late
    (row,) = payouts(session)
    assert row.status == "failed" and row.failure_code == "no_account"
    assert session.exec(select(WebhookEvent).where(WebhookEvent.type == "payout.paid")).one().outcome == "applied"


def test_the_sync_picks_up_payouts(session, world, standin):
    standin.payout(4000, deliver=False)
    standin.payout(3000, fail="insufficient_funds", deliver=False)
    result = stripe_sync(session)
    session.commit()
    assert result["applied"] == 2
    assert sorted(p.status for p in payouts(session)) == ["failed", "paid"]
    assert stripe_sync(session)["applied"] == 0  # known events change nothing


def test_an_impossible_payout_is_rejected(session, world, standin):
    ev = standin.event(
        "payout.paid", {"id": "po_x", "object": "payout", "amount": "4000", "currency": "eur", "status": "paid"}
    )
    assert standin.deliver(ev) == 200
    row = session.exec(select(WebhookEvent)).one()
    assert row.outcome == "rejected" and payouts(session) == []


def test_payments_without_stripe_have_no_fee(session, world):
    from l2c_app.billing import service

    inv = issued_invoice(session, world, 10000)
    service.record_manual_payment(
        session,
        SYSTEM,
        inv.id,
        amount_minor=10000,
        method="bank_transfer",
        received_on=datetime(2026, 4, 1, tzinfo=UTC).date(),
    )
    session.commit()
    assert heal_fees(session) == 0
    row = invoice_detail(session, inv.id)["payments"][0]
    assert row["fee"] == "" and row["net"] == ""
    assert session.exec(select(Payment)).one().fee_minor is None


def test_the_payout_events_are_listed_by_the_sync():
    from l2c_app.integrations.stripe_client import EVENT_TYPES

    assert {"payout.paid", "payout.failed"} <= set(EVENT_TYPES)
    assert len(EVENT_TYPES) <= 20  # Stripe, "List all events": `types` takes at most 20
