"""The payments gateway port: payment links for invoices, and the reads reconciliation needs.

`gateway()` is the configured implementation: Stripe (`integrations.stripe_client`) when
`STRIPE_API_KEY` is set, else manual payments (`integrations.manual_payments`: no links, no
outside reads; invoices are paid by hand and recorded in l2c). A stage asks the gateway, never
`stripe_client`; where the flows differ for a real reason (a link to pay, a processor to read
refunds and fees from) it asks `gateway().is_external`.

What crosses is plain data: a `LinkRequest` in, a `PaymentLink` out, and the processor's own
records as JSON-able dicts (a payment intent, its refunds, events) that payments/ interprets.
A refusal is `GatewayRefused`; `permanent` when the same request would fail again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from l2c_app.core.config import Settings, get_settings
from l2c_app.ports._load import implementation

STRIPE = "l2c_app.integrations.stripe_client:GATEWAY"
MANUAL = "l2c_app.integrations.manual_payments:GATEWAY"

Record = dict[str, Any]  # a processor's record as plain JSON data


class GatewayRefused(RuntimeError):
    """The gateway answered with an error; `permanent` when the same request would fail again."""

    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


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
