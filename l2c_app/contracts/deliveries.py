"""Outbox deliveries of contracts, run by the worker after commit (no transaction open
during the outside call).
"""

from __future__ import annotations

from l2c_app.contracts.records import _get, signers_of, signing_signers
from l2c_app.contracts.sending import _original
from l2c_app.core.audit import SYSTEM, record_action
from l2c_app.core.models import Document
from l2c_app.core.timeutil import utcnow
from l2c_app.outbox.service import Permanent, enqueue, handler, write_scope
from l2c_app.ports import signatures
from l2c_app.ports.signatures import EnvelopeRequest, Recipient, SignatureRefused


def _recipient(row) -> Recipient:
    return Recipient(str(row.id), row.name, row.email, row.routing_order)


def envelope_request(contract, signers, ccs, pdf: bytes) -> EnvelopeRequest:
    """The contract as plain data for the signature provider: signer N in `signers` order signs
    on the PDF's anchors `/sigN/` and `/dateN/` (contracts/pdf.py prints them)."""
    return EnvelopeRequest(
        subject=f"Please sign: {contract.title}",
        document_name=f"{contract.title}.pdf",
        pdf=pdf,
        signers=tuple(_recipient(s) for s in signers),
        ccs=tuple(_recipient(c) for c in ccs),
        reference=("contract", contract.id),
    )


# --- outbox deliveries (run by the worker after commit, no transaction open during the call) --


@handler("docusign.send")
def deliver_docusign_send(effect) -> str:
    """Create the envelope of a sent contract and record its id. DocuSign's create-envelope has
    no idempotency key: a contract that already has an envelope is never sent again, and a
    contract voided before the envelope was made gets none (or its new envelope voided)."""
    from l2c_app.core.db import session_scope

    contract_id = effect.payload["contract_id"]
    with session_scope() as session:
        contract = _get(session, contract_id)
        if contract.envelope_id:
            return contract.envelope_id
        if contract.status != "sent":
            return f"not sent: the contract is {contract.status}"
        signers = signing_signers(session, contract_id)
        ccs = [s for s in signers_of(session, contract_id) if s.kind == "cc"]
        doc = session.get(Document, effect.payload.get("document_id")) or _original(session, contract)
        request = envelope_request(contract, signers, ccs, doc.data)
    try:
        envelope_id = signatures.provider(signatures.DOCUSIGN).send_envelope(request)
    except SignatureRefused as exc:
        # A refusal a person must fix fails at once, with DocuSign's code and hint on the Outbox page.
        if exc.needs_a_person:
            raise Permanent(str(exc)) from None
        raise
    with write_scope() as session:
        contract = _get(session, contract_id)
        if contract.envelope_id:  # another attempt finished first: this envelope is one too many
            stale, reason = envelope_id, "duplicate envelope"
        elif contract.status != "sent":
            contract.envelope_id = envelope_id
            stale, reason = envelope_id, f"the contract was {contract.status} before the envelope was made"
        else:
            contract.envelope_id, stale, reason = envelope_id, None, ""
            contract.last_provider_event_at = utcnow()
            record_action(session, SYSTEM, "contract", contract.id, "envelope_created", {"envelope_id": envelope_id})
        session.add(contract)
        if stale:
            enqueue(
                session,
                "docusign.void",
                {"envelope_id": stale, "reason": reason},
                f"docusign-void-{stale}",
                summary=f"Void DocuSign envelope {stale}",
                related=("contract", contract_id),
            )
    return envelope_id


@handler("docusign.void")
def deliver_docusign_void(effect) -> str:
    reason = effect.payload.get("reason") or "voided"
    signatures.provider(signatures.DOCUSIGN).void(effect.payload["envelope_id"], reason)
    return "voided"
