"""Stripe as its documentation says it behaves (issue 20), through the real SDK against the
stand-in (tests/payments/stripe_standin.py models each behaviour and names its page)."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import select

from l2c_app.billing import payment_links
from l2c_app.core.models import WebhookEvent
from l2c_app.integrations import stripe_client
from l2c_app.integrations.models import ProviderState
from l2c_app.outbox.worker import deliver_outbox
from l2c_app.payments.models import Dispute, Refund
from l2c_app.payments.webhooks import HANDLERS, stripe_sync
from tests.payments.conftest import issued_invoice, payments, reload, send


def event_lists(standin) -> list[dict]:
    return [params for method, path, params in standin.requests if method == "GET" and path == "/v1/events"]


# --- 8. one API version, 1. what the sync asks for ------------------------------------------


def test_every_request_sends_the_pinned_api_version(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    standin.pay(send(session, inv), deliver=False)
    stripe_sync(session)
    assert standin.versions and set(standin.versions) == {stripe_client.API_VERSION}


def test_the_sync_asks_only_for_the_types_we_handle():
    assert set(stripe_client.EVENT_TYPES) == set(HANDLERS)


def test_sync_survives_decimal_fields_and_filters_types(session, world, standin):
    """SDK 16 turns decimal strings (a session's currency_conversion.fx_rate) into Decimal."""
    inv = issued_invoice(session, world, 10000)
    standin.pay(send(session, inv), deliver=False, fx_rate="1.0834")
    for i in range(5):  # events of types we do not handle are not even listed
        standin.event("customer.created", {"id": f"cus_{i}", "object": "customer"})
    result = stripe_sync(session)
    session.commit()
    assert result["applied"] == 2 and reload(session, inv).status == "paid"
    (params,) = event_lists(standin)
    assert sorted(params["types"]) == sorted(stripe_client.EVENT_TYPES)
    stored = session.exec(select(WebhookEvent).where(WebhookEvent.type == "checkout.session.completed")).one()
    assert json.loads(stored.raw_body)["data"]["object"]["currency_conversion"]["fx_rate"] == "1.0834"
    sessions = [p for m, path, p in standin.requests if m == "GET" and path == "/v1/checkout/sessions"]
    assert sessions and all(p.get("status") == "complete" for p in sessions)


# --- 2. cursor and pages ------------------------------------------------------------------------


def test_sync_reads_every_page_and_keeps_a_created_cursor(session, world, standin):
    """A charge.refunded behind many newer events is still applied; the next sync starts at the cursor."""
    standin.page_cap = 3  # Stripe returns up to `limit`: a small page makes the sync walk the pages
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    standin.refund(paid["charge"]["id"], 1000, deliver=False)  # its webhooks were lost
    for _ in range(4):
        other = issued_invoice(session, world, 500)
        standin.pay(send(session, other))  # newer events, already delivered
    result = stripe_sync(session)
    session.commit()
    assert result["events"] == len([e for e in standin.events if e["type"] in HANDLERS])
    assert reload(session, inv).paid_minor == 9000
    assert any("starting_after" in p for p in event_lists(standin))
    cursor = session.exec(select(ProviderState).where(ProviderState.key == "events_cursor")).one()
    assert int(cursor.value) == max(e["created"] for e in standin.events)
    stripe_sync(session)
    last = event_lists(standin)[-1]
    assert int(last["created"]["gte"]) == int(cursor.value) - 300  # from the cursor (with a margin)


# --- 3. a failed bank debit gets a new link ----------------------------------------------------


def test_async_payment_failure_replaces_the_dead_link(session, world, standin):
    inv = issued_invoice(session, world, 7000)
    first = send(session, inv)
    paid = standin.pay(first, delayed=True)  # SEPA: the session completes, the link is used up
    with pytest.raises(ValueError):
        standin.pay(first)
    standin.settle_async(paid["session"]["id"], success=False)
    inv = reload(session, inv)
    assert inv.payment_link_id and inv.payment_link_id != first
    assert standin.objects[inv.payment_link_id]["active"] and not standin.objects[first]["active"]
    assert standin.amount_of(inv.payment_link_id) == 7000
    standin.pay(inv.payment_link_id)  # the client pays through the new link
    assert reload(session, inv).status == "paid"


# --- 4. the idempotency key is new for each link ------------------------------------------------


def test_a_new_link_after_a_refund_is_not_an_idempotent_replay(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    first = send(session, inv)
    paid = standin.pay(first)
    assert not standin.objects[first]["active"]
    standin.refund(paid["charge"]["id"])  # within 24 h: the old key would replay the dead link
    inv = reload(session, inv)
    assert inv.status == "sent"
    payment_links.ensure_payment_link(session, inv)
    session.commit()
    deliver_outbox()  # the new link is an outbox effect
    new = reload(session, inv).payment_link_id
    assert new != first and standin.objects[new]["active"]
    keys = sorted(k for k in standin.idempotent if k.startswith("/v1/payment_linksl2c-"))  # creations
    assert keys == [f"/v1/payment_linksl2c-inv{inv.id}-gen0-10000", f"/v1/payment_linksl2c-inv{inv.id}-gen1-10000"]


# --- 5. refunds that fail, disputes -------------------------------------------------------------


def test_a_failed_refund_gives_the_money_back(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    refund = standin.refund(paid["charge"]["id"], 4000)
    assert reload(session, inv).paid_minor == 6000
    standin.fail_refund(refund["id"])
    inv = reload(session, inv)
    assert inv.paid_minor == 10000 and inv.status == "paid" and not inv.refunded
    assert session.exec(select(Refund)).one().status == "failed"


def test_a_failed_refund_stays_failed_whatever_the_order(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    refund = standin.refund(paid["charge"]["id"], 4000, deliver=False)
    created = standin.events[-2:]
    failed = standin.fail_refund(refund["id"], deliver=False)
    for ev in failed + created:  # the failure first, the creation late
        assert standin.deliver(ev) == 200
    assert reload(session, inv).paid_minor == 10000
    assert session.exec(select(Refund)).one().status == "failed"


def test_a_prevented_dispute_closes(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    ev = standin.dispute(paid["charge"]["id"], withdraw=False)
    assert reload(session, inv).disputed
    standin.close_dispute(ev["data"]["object"]["id"], "prevented")
    inv = reload(session, inv)
    dispute = session.exec(select(Dispute)).one()
    assert not inv.disputed and inv.paid_minor == 10000 and dispute.closed_at is not None


def test_funds_withdrawn_are_not_held_and_reinstated_in_any_order(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    ev = standin.dispute(paid["charge"]["id"], deliver=False)
    opened = standin.events[-2:]  # created, funds_withdrawn
    standin.close_dispute(ev["data"]["object"]["id"], "won", deliver=False)
    closed = standin.events[-2:]  # funds_reinstated, closed
    assert standin.deliver(opened[1]) == 200
    assert reload(session, inv).paid_minor == 0  # withdrawn: not ours while Stripe holds it
    for e in closed + [opened[0], opened[1]]:  # reinstated first, then the older snapshots late
        assert standin.deliver(e) == 200
    inv = reload(session, inv)
    assert inv.paid_minor == 10000 and inv.status == "paid" and not inv.disputed


# --- 6. impossible signed events ----------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "negative_total",
        "negative_refunded",
        "two_to_63",
        "string_amount",
        "data_object_not_object",
        "refunded_above_amount",
    ],
)
def test_an_impossible_signed_event_is_rejected_and_answered_200(session, world, standin, case):
    inv = issued_invoice(session, world, 10000)
    cs = {
        "id": "cs_x",
        "object": "checkout.session",
        "amount_total": 10000,
        "currency": "eur",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_x",
        "metadata": {"invoice_id": str(inv.id)},
    }
    charge = {
        "id": "ch_x",
        "object": "charge",
        "amount": 10000,
        "amount_refunded": 0,
        "currency": "eur",
        "payment_intent": "pi_x",
        "metadata": {},
    }
    kind, obj = {
        "negative_total": ("checkout.session.completed", {**cs, "amount_total": -10000}),
        "negative_refunded": ("charge.refunded", {**charge, "amount_refunded": -5000}),
        "two_to_63": ("checkout.session.completed", {**cs, "amount_total": 2**63}),
        "string_amount": ("checkout.session.completed", {**cs, "amount_total": "10000"}),
        "data_object_not_object": ("checkout.session.completed", ["not", "an", "object"]),
        "refunded_above_amount": ("charge.refunded", {**charge, "amount_refunded": 20000}),
    }[case]
    ev = standin.event(kind, {})
    ev["data"]["object"] = obj
    assert standin.deliver(ev) == 200  # not retried: it can never apply
    row = session.exec(select(WebhookEvent)).one()
    assert row.outcome == "rejected" and row.detail and "data.object" in row.detail
    assert payments(session) == [] and reload(session, inv).status == "sent"
    assert standin.deliver(ev) == 200  # a redelivery is a duplicate
    assert len(session.exec(select(WebhookEvent)).all()) == 1


def test_a_timestamp_in_the_future_is_refused_like_a_stale_one(session, world, standin):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv), deliver=False)
    ev = paid["events"][0]
    assert standin.deliver(ev, timestamp=int(time.time()) + 400) == 400  # well past 300 s, even on a slow machine
    assert standin.deliver(ev, timestamp=int(time.time()) + 10) == 200  # clock skew within tolerance
    assert len(payments(session)) == 1


# --- 7. shared Stripe accounts --------------------------------------------------------------------


def test_other_apps_payments_are_behind_a_filter(session, world, standin, api):
    from l2c_app.billing.views import ledger_rows

    inv = issued_invoice(session, world, 10000)
    ours = standin.create_payment_link(
        {
            "line_items": [{"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "10000"}}],
            "metadata": {"invoice_id": str(inv.id), "source": "l2c"},
        }
    )
    theirs = standin.create_payment_link(
        {
            "line_items": [{"quantity": "1", "price_data": {"currency": "eur", "unit_amount": "2500"}}],
            "metadata": {"shop_order": "A-17"},
        }
    )
    standin.pay(ours["id"])  # ours, but the currency does not match the invoice: unmatched
    standin.pay(theirs["id"])  # another app's sale on the same account
    pays = payments(session)
    assert [p.stripe_foreign for p in pays] == [False, True] and all(p.invoice_id is None for p in pays)
    rows = ledger_rows(session)
    assert [r.id for r in rows["unmatched"]] == [str(pays[0].id)]
    assert [r.id for r in rows["unmatched_other"]] == [str(pays[1].id)]
    from l2c_app.payments.api import list_payments

    def listed(**kw):
        return [
            p.id
            for p in list_payments(
                unmatched=True, cursor=None, limit=50, updated_since=None, session=session, _=None, **kw
            ).items
        ]

    assert listed(other_apps=False) == [pays[0].id]
    assert sorted(listed(other_apps=True)) == [pays[0].id, pays[1].id]
