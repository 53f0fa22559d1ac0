"""The signature provider port: envelopes sent for signature outside l2c, and their state.

`provider()` is the install's default: DocuSign (`integrations.docusign_client`) when its
integration key, user and account are configured, else the built-in signer
(`integrations.builtin_signer`). `provider(name)` is the one a record names
(`contract.provider`, `change_order.provider`: "docusign" or "builtin"). The built-in signer
has no envelopes: its signing links and pages are the contracts stage's own, so a stage asks
`is_external` to decide whether an envelope goes out (an outbox effect, after commit).

What crosses is plain data: an `EnvelopeRequest` (the PDF, the recipients in routing order,
the l2c record it belongs to) in; an envelope id, l2c's status name ("sent", "delivered",
"completed", "declined", "voided") and the signed PDF's bytes out; the provider's status
messages (webhooks) are verified on their raw bytes and read into a `StatusMessage`. A refusal is
`SignatureRefused`, its message written for a team member; `needs_a_person` when retrying
cannot fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from l2c_app.core.config import Settings, get_settings
from l2c_app.ports._load import implementation

DOCUSIGN = "docusign"
BUILTIN = "builtin"
NAMES = (BUILTIN, DOCUSIGN)
IMPLEMENTATIONS = {
    DOCUSIGN: "l2c_app.integrations.docusign_client:PROVIDER",
    BUILTIN: "l2c_app.integrations.builtin_signer:PROVIDER",
}


class SignatureRefused(RuntimeError):
    """The provider refused or could not be reached; the message is safe to show to a team member."""

    @property
    def needs_a_person(self) -> bool:
        """A refusal retrying cannot fix (the outbox fails it at once); limits and outages are retried."""
        return True


@dataclass(frozen=True)
class Recipient:
    recipient_id: str  # l2c's id of the signer row (a change order's one client signer: "1")
    name: str
    email: str
    routing_order: int


@dataclass(frozen=True)
class EnvelopeRequest:
    """One PDF; signer N (1-based, in this order) signs on the anchors `/sigN/` and `/dateN/`
    the PDF carries; `reference` ("contract" or "change_order", id) travels with the envelope
    so its status messages find the record."""

    subject: str
    document_name: str
    pdf: bytes
    signers: tuple[Recipient, ...]
    reference: tuple[str, int]
    ccs: tuple[Recipient, ...] = ()


@dataclass
class StatusMessage:
    """What a provider's status message (a webhook) tells, as l2c uses it."""

    event: str  # the provider's event name (DocuSign: envelope-completed ...)
    envelope_id: str
    generated: str
    status: str | None  # the l2c status it means, None when l2c does not track it
    contract_id: int | None
    pdf: bytes | None  # the signed document when the message carries it
    void_reason: str | None = None
    decline_reason: str | None = None
    change_order_id: int | None = None  # envelopes of change orders (projects stage)
    signer_name: str | None = None  # the first signer who completed

    @property
    def event_id(self) -> str:
        return f"{self.envelope_id}:{self.event}:{self.generated}"[:255]


class SignatureProvider(Protocol):
    name: str  # "docusign", "builtin": what a contract's or change order's `provider` holds
    label: str  # what pages say
    is_external: bool  # envelopes outside l2c (else l2c's own signing links)

    def send_envelope(self, request: EnvelopeRequest) -> str:
        """Create and send the envelope; its id."""

    def status(self, envelope_id: str) -> str:
        """The envelope's state as l2c's status name."""

    def void(self, envelope_id: str, reason: str) -> None: ...

    def download(self, envelope_id: str) -> bytes:
        """The signed PDF (for DocuSign: combined, with the Certificate of Completion)."""

    def verify_message(self, raw: bytes, headers: Iterable[tuple[str, str]]) -> bool:
        """Whether a status message, exactly as received, is the provider's own (checked
        before anything is parsed or stored)."""

    def read_message(self, payload: dict[str, Any]) -> StatusMessage:
        """The fields l2c uses from a status message; ValueError when they are missing."""


def available(name: str, settings: Settings | None = None) -> bool:
    """Whether this install can send through `name` (the built-in signer always can)."""
    settings = settings or get_settings()
    return name == BUILTIN or (name == DOCUSIGN and settings.docusign_enabled)


def provider(name: str | None = None, settings: Settings | None = None) -> SignatureProvider:
    """The provider a record names, or (no name) the install's default: DocuSign when configured."""
    if name is None:
        name = DOCUSIGN if available(DOCUSIGN, settings) else BUILTIN
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"no signature provider {name!r}")
    return cast(SignatureProvider, implementation(IMPLEMENTATIONS[name]))
