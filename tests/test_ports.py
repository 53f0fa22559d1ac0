"""The ports (l2c_app/ports/): each selector hands out the configured implementation, the
built-in defaults answer without an outside account, and what crosses is plain data."""

from __future__ import annotations

import pytest

from l2c_app.core.config import Settings
from l2c_app.ports import payments, signatures
from l2c_app.ports.payments import GatewayRefused, LinkRequest, PaymentLink
from l2c_app.ports.signatures import EnvelopeRequest, Recipient, SignatureRefused

BASE = {"database_url": "sqlite://", "redis_url": None, "app_base_url": "https://l2c", "secret_key": "k"}
BARE = Settings(**BASE)
STRIPE = Settings(**BASE, stripe_api_key="sk_test_x")
DOCUSIGN = Settings(**BASE, docusign_integration_key="ik", docusign_user_id="u", docusign_account_id="a")


def test_the_gateway_is_stripe_with_a_key_else_manual_payments():
    assert payments.gateway(STRIPE).name == "stripe" and payments.gateway(STRIPE).is_external
    manual = payments.gateway(BARE)
    assert manual.name == "manual" and not manual.is_external


def test_manual_payments_have_no_links_and_nothing_to_read():
    manual = payments.gateway(BARE)
    with pytest.raises(GatewayRefused) as refused:
        manual.create_payment_link(LinkRequest(100, "EUR", "Invoice 1", "https://x/i/t"), "key")
    assert not refused.value.permanent  # a link queued under Stripe waits for its key
    assert manual.events_since(None) == [] and manual.complete_checkout_sessions(None) == []
    assert manual.refunds_of_charge("ch_1") == [] and manual.balance_transaction_of_payment_intent("pi_1") is None


def test_use_gateway_swaps_the_configured_one():
    class Fake:
        name, label, is_external = "fake", "Fake", True

    fake = Fake()
    payments.use_gateway(fake)  # type: ignore[arg-type]
    try:
        assert payments.gateway(BARE) is fake
    finally:
        payments.use_gateway(None)
    assert payments.gateway(BARE).name == "manual"


def test_stripe_gets_the_link_parameters_it_always_got(monkeypatch):
    from l2c_app.integrations import stripe_client

    seen = {}

    def create(params, key):
        seen.update(params=params, key=key)
        return "plink_1", "https://buy.stripe.com/x"

    monkeypatch.setattr(stripe_client, "create_payment_link", create)
    meta = {"invoice_id": "7", "invoice_number": "INV-7", "source": "l2c"}
    link = payments.gateway(STRIPE).create_payment_link(
        LinkRequest(12_345, "EUR", "Invoice INV-7", "https://l2c/i/tok?paid=1", meta), "l2c-inv7-gen1-12345"
    )
    assert link == PaymentLink("plink_1", "https://buy.stripe.com/x") and seen["key"] == "l2c-inv7-gen1-12345"
    assert seen["params"] == {
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": "eur", "unit_amount": 12_345, "product_data": {"name": "Invoice INV-7"}},
            }
        ],
        "metadata": meta,
        "payment_intent_data": {"metadata": meta},
        "restrictions": {"completed_sessions": {"limit": 1}},
        "after_completion": {"type": "redirect", "redirect": {"url": "https://l2c/i/tok?paid=1"}},
    }
    assert issubclass(stripe_client.StripeRefused, GatewayRefused)


def test_the_signature_provider_is_docusign_when_configured_else_the_built_in_signer():
    assert signatures.provider(settings=DOCUSIGN).name == "docusign"
    builtin = signatures.provider(settings=BARE)
    assert builtin.name == "builtin" and not builtin.is_external
    assert signatures.available("builtin", BARE) and not signatures.available("docusign", BARE)
    assert signatures.available("docusign", DOCUSIGN)
    assert signatures.provider("docusign", BARE).is_external  # a record's own provider, by name
    with pytest.raises(ValueError):
        signatures.provider("wetink")


def test_the_built_in_signer_has_no_envelopes_and_trusts_no_message():
    builtin = signatures.provider("builtin")
    with pytest.raises(SignatureRefused):
        builtin.status("env-1")
    assert not builtin.verify_message(b"{}", [("X-DocuSign-Signature-1", "x")])
    from l2c_app.integrations.docusign_client import DocuSignError

    assert issubclass(DocuSignError, SignatureRefused)


def test_a_docusign_envelope_from_plain_data():
    from l2c_app.integrations.docusign_client import CHANGE_ORDER_FIELD, CONTRACT_FIELD, DocuSignClient

    client = DocuSignClient(DOCUSIGN)
    ann, bob = Recipient("11", "Ann", "ann@example.com", 1), Recipient("12", "Bob", "bob@example.com", 2)
    contract = client.envelope_definition(
        EnvelopeRequest("Please sign: MSA", "MSA.pdf", b"%PDF", (ann, bob), ("contract", 5), ccs=())
    )
    tabs = [s.tabs.sign_here_tabs[0].anchor_string for s in contract.recipients.signers]
    assert tabs == ["/sig1/", "/sig2/"] and [s.recipient_id for s in contract.recipients.signers] == ["11", "12"]
    assert contract.recipients.carbon_copies == []  # a contract lists its copies, even none
    [field] = contract.custom_fields.text_custom_fields
    assert (field.name, field.value) == (CONTRACT_FIELD, "5")
    co = client.envelope_definition(EnvelopeRequest("s", "CO.pdf", b"%PDF", (ann,), ("change_order", 9)))
    [field] = co.custom_fields.text_custom_fields
    assert (field.name, field.value) == (CHANGE_ORDER_FIELD, "9") and co.recipients.carbon_copies is None


def test_stripe_verifies_its_webhooks_with_the_sdk_and_manual_payments_trust_none():
    """verify_webhook (ports/payments): Stripe's own scheme on the raw bytes, a plain dict out;
    a wrong secret, an old or future timestamp is refused; manual payments refuse every webhook."""
    import json
    import time

    import stripe

    from l2c_app.ports.payments import BadWebhookSignature

    secret, body = "whsec_port_test", json.dumps({"id": "evt_1", "type": "payout.paid"}).encode()

    def header(at: int, key: str = secret) -> str:
        sig = stripe.WebhookSignature._compute_signature(f"{at}.{body.decode()}", key)
        return f"t={at},v1={sig}"

    stripe_gw, now = payments.named("stripe"), int(time.time())
    assert stripe_gw.verify_webhook(body, header(now), secret, 300) == {"id": "evt_1", "type": "payout.paid"}
    for bad in (header(now, "whsec_other"), header(now - 301), header(now + 301), None, "t=x,v1=y"):
        with pytest.raises(BadWebhookSignature):
            stripe_gw.verify_webhook(body, bad, secret, 300)
    with pytest.raises(BadWebhookSignature):
        stripe_gw.verify_webhook(body + b" ", header(now), secret, 300)  # the raw bytes are what is signed
    with pytest.raises(BadWebhookSignature):
        payments.named("manual").verify_webhook(body, header(now), secret, 300)
    assert payments.named("stripe") is payments.gateway(STRIPE)  # the same gateway, whatever the default
    with pytest.raises(ValueError):
        payments.named("paypal")
