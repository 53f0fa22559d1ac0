"""DocuSign's envelope status applied to contracts (webhook and re-poll of stalled envelopes)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from l2c_app.contracts.models import Contract
from l2c_app.contracts.records import _RANK, ContractError, _set_status, _trail, can_move, signing_signers
from l2c_app.contracts.signing import _after_completion
from l2c_app.contracts.views import _as_utc
from l2c_app.core.audit import Actor
from l2c_app.core.documents import store_document
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.timeline import add_deal_event

# --- provider status (DocuSign webhook and re-poll) ------------------------------------------


def apply_provider_status(
    session: Session, contract: Contract, status: str, *, source: str, signed_pdf: bytes | None = None, detail: str = ""
) -> bool:
    """Move a DocuSign contract forward to `status` (sent, delivered, completed, declined, voided).

    Returns False when nothing changes (a late or repeated event). A completed envelope needs
    its signed PDF: the caller passes it (from the payload, or downloaded)."""
    actor = Actor("webhook", None, source)
    contract.last_provider_event_at = utcnow()
    if status not in _RANK or not can_move(contract.status, status):
        return False
    if status == "completed" and signed_pdf is None:
        raise ContractError("a completed envelope needs its signed PDF")
    _trail(contract, status, source, detail)
    if status == "declined":
        contract.declined_reason = (detail or "declined in DocuSign")[:500]
    if status == "voided":
        contract.void_reason = (detail or "voided in DocuSign")[:500]
    _set_status(session, actor, contract, status)
    subject = {
        "sent": "Contract sent for signature (DocuSign)",
        "delivered": "Contract viewed (DocuSign)",
        "completed": None,
        "declined": "Contract declined (DocuSign)",
        "voided": "Contract voided (DocuSign)",
    }[status]
    if status == "completed":
        for s in signing_signers(session, contract.id):
            s.status, s.signed_at = "signed", s.signed_at or utcnow()
        doc = store_document(
            session, kind="contract_signed", filename=f"contract-C{contract.id}-signed.pdf", data=signed_pdf
        )
        contract.signed_document_id, contract.signed_sha256 = doc.id, doc.sha256
        add_deal_event(session, contract.deal_id, f"Contract signed (DocuSign): {contract.title}")
        _after_completion(session, contract, doc)
    elif subject:
        add_deal_event(session, contract.deal_id, f"{subject}: {contract.title}", body=detail or None)
    return True


def stalled_docusign(session: Session, hours: int = 24) -> list[Contract]:
    """DocuSign contracts still out for signature with no Connect event for `hours`."""
    cutoff = utcnow() - timedelta(hours=hours)
    rows = session.exec(
        select(Contract).where(
            Contract.provider == "docusign",
            Contract.status.in_(("sent", "delivered")),
            Contract.envelope_id.is_not(None),
        )
    ).all()
    return [c for c in rows if _as_utc(c.last_provider_event_at or c.sent_at or c.created_at) <= cutoff]


# DocuSign, "eSignature API rules and resource limits": poll any one envelope at most once
# every 15 minutes (more GETs per envelope per hour answer Hourly_Envelope_Polling_Limit_Exceeded).
MIN_POLL_SECONDS = 15 * 60


def _poll_each(session: Session, envelopes: list[tuple[str, str]], poll, out: list) -> None:
    """For each (label, envelope id): claim the poll (at most once per MIN_POLL_SECONDS, across
    runs and hosts: the claim is a row in provider_state), then `poll(envelope id)` in a
    savepoint of its own, so one envelope that fails is reported and the others still apply."""
    from l2c_app.integrations.models import claim_poll
    from l2c_app.ports.signatures import SignatureRefused

    for label, envelope_id in envelopes:
        if not claim_poll(session, "docusign", envelope_id, MIN_POLL_SECONDS):
            out.append((label, "skipped (polled less than 15 minutes ago)"))
            continue
        try:
            with session.begin_nested():
                out.append((label, poll(envelope_id)))
        except SignatureRefused as exc:
            out.append((label, f"failed: {exc}"))
        except Exception as exc:  # noqa: BLE001 - one envelope never rolls back the others
            logging.getLogger(__name__).exception("re-poll of envelope %s failed", envelope_id)
            out.append((label, f"failed: {type(exc).__name__}: {exc}"))


def repoll(session: Session, hours: int = 24, client=None) -> list[tuple[int, str]]:
    """Ask DocuSign for the state of stalled envelopes, so a lost webhook leaves nothing stuck.
    `client`: a signature provider (ports/signatures.py); DocuSign's by default."""
    from l2c_app.ports import signatures

    client = client or signatures.provider(signatures.DOCUSIGN)
    by_envelope = {c.envelope_id: c for c in stalled_docusign(session, hours)}

    def poll(envelope_id: str) -> str:
        contract = by_envelope[envelope_id]
        status = client.status(envelope_id)
        pdf = client.download(envelope_id) if status == "completed" else None
        changed = apply_provider_status(session, contract, status, source="docusign:repoll", signed_pdf=pdf)
        return status if changed else f"{status} (unchanged)"

    out: list[tuple[int, str]] = []
    _poll_each(session, [(by_envelope[e].id, e) for e in by_envelope], poll, out)
    return out


def repoll_change_orders(session: Session, client, hours: int = 24) -> list[tuple[int, str]]:
    """The change-order envelopes of the projects stage, under the same poll limit and isolation."""
    from l2c_app.projects.service import apply_envelope_status, stalled_change_orders

    by_envelope = {co.envelope_id: co for co in stalled_change_orders(session, hours)}

    def poll(envelope_id: str) -> str:
        status = client.status(envelope_id)
        changed = apply_envelope_status(session, by_envelope[envelope_id], status, source="docusign:repoll")
        return status if changed else f"{status} (unchanged)"

    out: list[tuple[int, str]] = []
    _poll_each(session, [(by_envelope[e].id, e) for e in by_envelope], poll, out)
    return out


def repoll_all(session: Session, hours: int = 24, client=None) -> list[tuple[str, str]]:
    """`repoll` for contracts, then the change-order envelopes of the projects stage;
    (label, status) pairs for the CLI and the scheduled job."""
    from l2c_app.ports import signatures

    client = client or signatures.provider(signatures.DOCUSIGN)
    return [(f"contract C-{cid}", status) for cid, status in repoll(session, hours, client)] + [
        (f"change order {coid}", status) for coid, status in repoll_change_orders(session, client, hours)
    ]
