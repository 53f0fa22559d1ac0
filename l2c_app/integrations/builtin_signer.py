"""The built-in signer: the default signature provider (ports/signatures.py) without DocuSign.

l2c's own signing links, pages and e-mails are the contracts stage's (contracts/signing.py):
they need its records, so they stay there. This adapter is what the port hands out for
"builtin": `is_external` False tells a stage that no envelope goes out; asked for an envelope
anyway, it refuses (a stage that does is mistaken, and a person should see it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from l2c_app.ports.signatures import EnvelopeRequest, SignatureRefused, StatusMessage


class BuiltInSigner:
    name = "builtin"
    label = "l2c's signing links"
    is_external = False

    def _none(self, what: str) -> SignatureRefused:
        return SignatureRefused(f"the built-in signer has no envelopes ({what}): its signing links are l2c's own")

    def send_envelope(self, request: EnvelopeRequest) -> str:
        raise self._none(f"send {request.reference[0]} {request.reference[1]}")

    def status(self, envelope_id: str) -> str:
        raise self._none(f"status of {envelope_id}")

    def void(self, envelope_id: str, reason: str) -> None:
        raise self._none(f"void {envelope_id}")

    def download(self, envelope_id: str) -> bytes:
        raise self._none(f"download {envelope_id}")

    def verify_message(self, raw: bytes, headers: Iterable[tuple[str, str]]) -> bool:
        return False  # no outside provider sends it messages: none is trusted

    def read_message(self, payload: dict[str, Any]) -> StatusMessage:
        raise ValueError("the built-in signer has no status messages")


PROVIDER = BuiltInSigner()
