"""DocuSign Connect events: recorded raw first (deduplicated), then applied forward-only.

The HTTP route (contracts/api.py) has already checked the HMAC when these run.
"""

from __future__ import annotations

import json

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from l2c_app.contracts.models import Contract
from l2c_app.contracts.service import apply_provider_status
from l2c_app.core.db import session_scope
from l2c_app.core.models import WebhookEvent
from l2c_app.core.timeutil import utcnow
from l2c_app.ports import signatures
from l2c_app.ports.signatures import StatusMessage

PROVIDER = "docusign"


def record(raw: bytes, headers: dict[str, str]) -> tuple[int, bool]:
    """Store the raw event in its own transaction. Returns (row id, already handled).

    A redelivery of an event whose earlier attempt failed is handled again (DocuSign retries
    precisely because we answered an error)."""
    payload = json.loads(raw)
    event = signatures.provider(signatures.DOCUSIGN).read_message(payload)
    kept = {k: v for k, v in headers.items() if k.lower().startswith(("x-docusign", "content-type", "user-agent"))}
    try:
        with session_scope() as session:
            row = WebhookEvent(
                provider=PROVIDER,
                event_id=event.event_id,
                type=event.event,
                raw_body=raw.decode("utf-8", "replace"),
                headers=kept,
            )
            session.add(row)
            session.flush()
            return row.id, False
    except IntegrityError:
        with session_scope() as session:
            row = session.exec(
                select(WebhookEvent).where(WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == event.event_id)
            ).one()
            return row.id, row.outcome in ("applied", "ignored")


def _find_contract(session: Session, event: StatusMessage) -> Contract | None:
    stmt = select(Contract).where(Contract.envelope_id == event.envelope_id).with_for_update()
    contract = session.exec(stmt).first()
    if contract is None and event.contract_id:
        # The envelope id is unknown (our send crashed after DocuSign accepted it): the signed
        # custom field names the contract; adopt the envelope only if the contract has none.
        candidate = session.exec(select(Contract).where(Contract.id == event.contract_id).with_for_update()).first()
        if candidate is not None and candidate.provider == "docusign" and candidate.envelope_id is None:
            candidate.envelope_id = event.envelope_id
            contract = candidate
    return contract


def _find_change_order(session: Session, event: StatusMessage):
    """The change order (projects stage) this envelope belongs to, if any."""
    from l2c_app.projects.service import change_order_for_envelope

    return change_order_for_envelope(session, event.envelope_id, event.change_order_id)


def apply(session: Session, row_id: int, client=None) -> str:
    """Apply a recorded event. Returns the outcome (applied / ignored) stored on the row."""
    row = session.get(WebhookEvent, row_id)
    event = signatures.provider(signatures.DOCUSIGN).read_message(json.loads(row.raw_body))
    outcome, detail = "ignored", ""
    co = None if event.contract_id else _find_change_order(session, event)
    contract = None if co is not None else _find_contract(session, event)
    if co is not None:
        from l2c_app.projects.service import apply_envelope_status

        reason = (
            event.void_reason
            if event.status == "voided"
            else event.decline_reason
            if event.status == "declined"
            else ""
        )
        changed = event.status is not None and apply_envelope_status(
            session, co, event.status, signer_name=event.signer_name, reason=reason or ""
        )
        outcome = "applied" if changed else "ignored"
        detail = f"change order {co.id}: {co.status}" + ("" if changed else f" (kept; {event.event})")
    elif contract is None:
        detail = f"no contract for envelope {event.envelope_id}"
    elif event.status is None:
        detail = f"event {event.event} is not tracked"
    else:
        pdf = None
        if event.status == "completed" and contract.status != "completed":
            # Always the combined PDF with the Certificate of Completion, downloaded once: a
            # document in the Connect message (if an account-level configuration sends them) is
            # one document as signed, without the certificate, so it is not the record we keep.
            pdf = (client or signatures.provider(signatures.DOCUSIGN)).download(event.envelope_id)
        reason = (
            event.void_reason
            if event.status == "voided"
            else event.decline_reason
            if event.status == "declined"
            else ""
        )
        changed = apply_provider_status(
            session, contract, event.status, source="docusign", signed_pdf=pdf, detail=reason or ""
        )
        outcome = "applied" if changed else "ignored"
        detail = f"contract {contract.id}: {contract.status}" + ("" if changed else f" (kept; {event.status} is late)")
    row.outcome, row.detail, row.processed_at = outcome, detail, utcnow()
    return outcome


def mark_failed(row_id: int, error: str) -> None:
    with session_scope() as session:
        row = session.get(WebhookEvent, row_id)
        if row is not None:
            row.outcome, row.detail, row.processed_at = "failed", error[:2000], utcnow()
