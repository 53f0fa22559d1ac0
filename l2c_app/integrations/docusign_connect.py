"""DocuSign Connect messages: HMAC verification and reading a JSON SIM payload.

Threat model: the webhook URL is public. A message is trusted only if one of its
`X-DocuSign-Signature-N` headers equals base64(HMAC-SHA256(key, raw body)) for one of the
configured keys (several during a key rotation). The check runs on the raw bytes exactly as
received, before any parsing: a body re-serialised by anyone on the way fails. Comparison is
constant-time. With no key configured nothing is trusted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from l2c_app.ports.signatures import StatusMessage


def signature(key: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def signature_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [v.strip() for k, v in items if k.lower().startswith("x-docusign-signature-")]


def verify(raw: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]], keys: Iterable[str]) -> bool:
    presented = signature_headers(headers)
    if not presented:
        return False
    ok = False
    for key in keys:
        expected = signature(key, raw)
        for value in presented:
            # no early exit: the time taken does not depend on which key matched
            ok |= hmac.compare_digest(expected.encode(), value.encode())
    return ok


# The port's status message (ports/signatures.py), under the name DocuSign gives it.
ConnectEvent = StatusMessage


EVENT_STATUS = {
    "envelope-sent": "sent",
    "envelope-delivered": "delivered",
    "envelope-completed": "completed",
    "envelope-declined": "declined",
    "envelope-voided": "voided",
}


def parse(payload: dict) -> ConnectEvent:
    """Read the fields l2c uses from a JSON SIM message; raises ValueError when they are missing."""
    if not isinstance(payload, dict):
        raise ValueError("payload is not an object")
    event = str(payload.get("event") or "")
    data = payload.get("data") or {}
    envelope_id = str(data.get("envelopeId") or "")
    if not event or not envelope_id:
        raise ValueError("event and data.envelopeId are required")
    summary = data.get("envelopeSummary") or {}
    contract_id = change_order_id = None
    for f in (summary.get("customFields") or {}).get("textCustomFields") or []:
        if f.get("name") == "l2c_contract_id" and str(f.get("value", "")).isdigit():
            contract_id = int(f["value"])
        if f.get("name") == "l2c_change_order_id" and str(f.get("value", "")).isdigit():
            change_order_id = int(f["value"])
    pdf = None
    docs = [d for d in summary.get("envelopeDocuments") or [] if d.get("PDFBytes")]
    # Prefer the combined document, else our contract (document 1), else the first one.
    for pick in (lambda d: d.get("documentId") == "combined", lambda d: d.get("documentId") == "1", lambda d: True):
        match = next((d for d in docs if pick(d)), None)
        if match is not None:
            pdf = base64.b64decode(match["PDFBytes"])
            break
    decline = signer_name = None
    for s in (summary.get("recipients") or {}).get("signers") or []:
        if s.get("declinedReason"):
            decline = s["declinedReason"]
        if signer_name is None and s.get("status") == "completed" and s.get("name"):
            signer_name = str(s["name"])
    return ConnectEvent(
        event=event,
        envelope_id=envelope_id,
        generated=str(payload.get("generatedDateTime") or ""),
        status=EVENT_STATUS.get(event),
        contract_id=contract_id,
        pdf=pdf,
        void_reason=summary.get("voidedReason"),
        decline_reason=decline,
        change_order_id=change_order_id,
        signer_name=signer_name,
    )
