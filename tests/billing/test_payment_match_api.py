"""POST /api/v1/payments/{id}/match with its typed body (issue 12): a non-integer invoice id is
refused with 422 naming `invoice_id`; a match answers the payment with every key it had.
On SQLite and PostgreSQL."""

from __future__ import annotations

from l2c_app.payments.models import Payment
from tests.billing.test_ledger_api import client, issued_id  # noqa: F401


def test_match_is_typed_and_answers_the_payment(client, world, session):  # noqa: F811
    inv_id = issued_id(session, world, 10000)
    loose = Payment(
        invoice_id=None,
        account_id=world.account.id,
        amount_minor=1000,
        currency="EUR",
        method="bank_transfer",
        reference="wire 42",
    )
    session.add(loose)
    session.commit()
    bad = client.post(f"/api/v1/payments/{loose.id}/match", json={"invoice_id": "1"})
    assert bad.status_code == 422 and "invoice_id" in bad.text
    r = client.post(f"/api/v1/payments/{loose.id}/match", json={"invoice_id": inv_id})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": loose.id,
        "invoice_id": inv_id,
        "amount_minor": 1000,
        "currency": "EUR",
        "method": "bank_transfer",
        "status": "succeeded",
        "received_on": None,
        "reference": "wire 42",
        "stripe_payment_intent_id": None,
        "from_other_app": False,
    }
    listed = client.get("/api/v1/payments").json()
    assert {p["id"] for p in listed["items"]} >= {loose.id} and "next_cursor" in listed
