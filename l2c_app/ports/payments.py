"""The payments gateway port: payment links for invoices, and the reads reconciliation needs.

`gateway()` is the configured implementation: Stripe (`integrations.stripe_client`) when
`STRIPE_API_KEY` is set, else manual payments (`integrations.manual_payments`: no links, no
outside reads; invoices are paid by hand and recorded in l2c). A stage asks the gateway, never
`stripe_client`; where the flows differ for a real reason (a link to pay, a processor to read
refunds and fees from) it asks `gateway().is_external`.

What crosses is plain data: a `LinkRequest` in, a `PaymentLink` out, and the processor's own
records as JSON-able dicts (a payment intent, its refunds, events) that payments/ interprets.
A refusal is `GatewayRefused`; `permanent` when the same request would fail again.

The processor's webhooks are verified on their raw bytes by the gateway that sends them
(`named("stripe").verify_webhook`, whichever gateway is the default: a signing secret without
an API key still receives Stripe's events), before anything is parsed or stored; a webhook
that is not the processor's own is `BadWebhookSignature`. Manual payments receive none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from l2c_app.core.config import Settings, get_settings
from l2c_app.ports._load import implementation

STRIPE = "l2c_app.integrations.stripe_client:GATEWAY"
MANUAL = "l2c_app.integrations.manual_payments:GATEWAY"
IMPLEMENTATIONS = {"stripe": STRIPE, "manual": MANUAL}  # by the gateway's `name`

# The event types l2c handles (payments/webhook_record.HANDLERS is checked to be the same
# list): the sync asks the gateway only for these; README tells the operator to subscribe to them.
EVENT_TYPES: tuple[str, ...] = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.succeeded",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "payout.paid",
    "payout.failed",
)

Record = dict[str, Any]  # a processor's record as plain JSON data


class GatewayRefused(RuntimeError):
    """The gateway answered with an error; `permanent` when the same request would fail again."""

    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class BadWebhookSignature(Exception):
    """A webhook that is not the processor's own (no or a wrong signature, outside the
    tolerance, not an event): refused before anything is stored."""


@dataclass(frozen=True)
class LinkRequest:
    """A single-use link to pay `amount_minor` of `currency` (ISO code), back to `return_url`."""

    amount_minor: int
    currency: str
    description: str
    return_url: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentLink:
    id: str
    url: str


class PaymentsGateway(Protocol):
    name: str  # "stripe", "manual": what the ledger's rows say
    label: str  # what pages say
    is_external: bool  # a processor outside l2c: links to pay, webhooks, records to read back

    def create_payment_link(self, request: LinkRequest, idempotency_key: str) -> PaymentLink: ...

    def deactivate_payment_link(self, link_id: str, idempotency_key: str) -> None: ...

    def retrieve_payment_intent(self, pi_id: str) -> Record: ...

    def refunds_of_charge(self, charge_id: str) -> list[Record]: ...

    def balance_transaction_of_payment_intent(self, pi_id: str) -> Record | None:
        """The fee and net of the intent's latest charge; None while there is no charge yet."""

    def events_since(self, created_after: int | None) -> list[Record]:
        """The processor's events l2c handles, created at or after `created_after`, oldest first."""

    def complete_checkout_sessions(self, created_after: int | None) -> list[Record]: ...

    def verify_webhook(self, payload: bytes, sig_header: str | None, secret: str, tolerance: int) -> Record:
        """The event a webhook carries, once its signature over the raw `payload` is checked
        with `secret` and its timestamp is within `tolerance` seconds (past or future);
        BadWebhookSignature otherwise. Nothing is parsed before the signature is checked."""


_override: PaymentsGateway | None = None


def use_gateway(gateway: PaymentsGateway | None) -> None:
    """Take payments through `gateway` from now on (None: back to the configured one)."""
    global _override
    _override = gateway


def gateway(settings: Settings | None = None) -> PaymentsGateway:
    """The configured gateway: Stripe with an API key, else manual payments."""
    if _override is not None:
        return _override
    settings = settings or get_settings()
    return cast(PaymentsGateway, implementation(STRIPE if settings.stripe_enabled else MANUAL))


def named(name: str) -> PaymentsGateway:
    """The gateway of this name ("stripe", "manual"), whichever is configured: the one that
    sends a webhook verifies it (as ports/signatures.provider(name) does for DocuSign)."""
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"no payments gateway {name!r}")
    return cast(PaymentsGateway, implementation(IMPLEMENTATIONS[name]))
