"""Manual payments: the built-in payments gateway (ports/payments.py) when Stripe is not set up.

Invoices are paid by bank transfer, card terminal or cash and recorded in l2c by a person
(payments/ "record a payment"): there is no link to pay and no processor to read back from.
Stages ask `is_external` before offering a link or reading refunds and fees; the reads here
answer "nothing outside" so a caller that asks anyway gets no records, never a Stripe call.
"""

from __future__ import annotations

from typing import Any

from l2c_app.ports.payments import BadWebhookSignature, GatewayRefused, LinkRequest, PaymentLink


class ManualPayments:
    name = "manual"
    label = "Manual payments"
    is_external = False

    def create_payment_link(self, request: LinkRequest, idempotency_key: str) -> PaymentLink:
        # Not permanent: a link queued while Stripe was configured waits (retried) for its key.
        raise GatewayRefused("manual payments have no payment links (set STRIPE_API_KEY for Stripe)", permanent=False)

    def deactivate_payment_link(self, link_id: str, idempotency_key: str) -> None:
        # A link Stripe made before its key was removed: waits (retried) for the key, as a new one does.
        raise GatewayRefused(f"manual payments cannot deactivate {link_id}: no processor", permanent=False)

    def retrieve_payment_intent(self, pi_id: str) -> dict[str, Any]:
        raise GatewayRefused(f"manual payments cannot read {pi_id}: no processor", permanent=False)

    def refunds_of_charge(self, charge_id: str) -> list[dict[str, Any]]:
        return []

    def balance_transaction_of_payment_intent(self, pi_id: str) -> dict[str, Any] | None:
        return None

    def events_since(self, created_after: int | None) -> list[dict[str, Any]]:
        return []

    def complete_checkout_sessions(self, created_after: int | None) -> list[dict[str, Any]]:
        return []

    def verify_webhook(self, payload: bytes, sig_header: str | None, secret: str, tolerance: int) -> dict[str, Any]:
        raise BadWebhookSignature("manual payments receive no webhooks: none is trusted")


GATEWAY = ManualPayments()
