"""The sender's side after sending: void, change a signer, re-send a link."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.contracts.drafting import _clean_person
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.contracts.records import FINAL, ContractError, _get, _set_status, _trail, signers_of, signing_signers
from l2c_app.contracts.sending import _current_group, _issue_token
from l2c_app.core.audit import Actor, record_action, record_update, snapshot
from l2c_app.outbox.service import enqueue
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.ports.mailer import send_mail

# --- the sender's side after sending ---------------------------------------------------------


def void(session: Session, actor: Actor, contract_id: int, reason: str) -> Contract:
    contract = _get(session, contract_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ContractError("reason: say why the contract is voided.")
    if contract.status in FINAL:
        raise ContractError(f"status: a {contract.status} contract cannot be voided.")
    if contract.provider == "docusign" and contract.envelope_id:
        enqueue(
            session,
            "docusign.void",
            {"envelope_id": contract.envelope_id, "reason": reason[:200]},
            f"docusign-void-{contract.envelope_id}",
            summary=f"Void DocuSign envelope of “{contract.title}”",
            related=("contract", contract.id),
        )
    contract.void_reason = reason[:500]
    for s in signers_of(session, contract.id):
        s.token_hash = None  # links die with the contract (also checked by status)
    _trail(contract, "voided", actor.label, reason[:500])
    _set_status(session, actor, contract, "voided", reason=reason[:500])
    add_deal_event(
        session, contract.deal_id, f"Contract voided: {contract.title}", body=reason[:500], user_id=actor.user_id
    )
    return contract


def change_signer(session: Session, actor: Actor, signer_id: int, name: str, email: str) -> ContractSigner:
    """Replace a signer who has not signed (wrong person, new e-mail): the old link stops
    working and, when it is their turn, the new person gets a fresh link."""
    signer = session.get(ContractSigner, signer_id)
    if signer is None:
        raise ContractError("signer: no such signer.", kind="not_found")
    contract = _get(session, signer.contract_id)
    if contract.status == "draft":
        before = snapshot(signer)
        signer.name, signer.email = _clean_person(name, email)
        record_update(session, actor, signer, before)
        return signer
    if contract.status in FINAL:
        raise ContractError(f"status: the contract is {contract.status}.")
    if contract.provider != "builtin":
        raise ContractError("signer: change DocuSign recipients in DocuSign (correct the envelope).")
    if signer.status in ("signed", "declined"):
        raise ContractError(f"signer: {signer.name} has already {signer.status}.")
    before = snapshot(signer)
    signer.name, signer.email = _clean_person(name, email)
    signer.contact_id = None if signer.kind != "countersigner" else signer.contact_id
    signer.token_hash, signer.viewed_at, signer.status = None, None, "created"
    record_update(session, actor, signer, before, action="change_signer")
    _trail(contract, "signer changed", actor.label, f"{before.get('email')} -> {signer.email}")
    if signer in _current_group(signing_signers(session, contract.id)) or signer.kind == "cc":
        resend(session, actor, signer.id)
    return signer


def resend(session: Session, actor: Actor, signer_id: int) -> ContractSigner:
    """A fresh link for a signer whose turn it is (the previous link stops working)."""
    signer = session.get(ContractSigner, signer_id)
    if signer is None:
        raise ContractError("signer: no such signer.", kind="not_found")
    contract = _get(session, signer.contract_id)
    if contract.status not in ("sent", "delivered") or contract.provider != "builtin":
        raise ContractError("status: only a contract out for built-in signature can be re-sent.")
    if signer.kind == "cc":
        send_mail(
            session,
            to=signer.email,
            subject=f"Copy: “{contract.title}” was sent for signature",
            body=f"Hello {signer.name},\n\nYou are copied on “{contract.title}”.\n",
            related=("contract", contract.id),
        )
        return signer
    if signer.status in ("signed", "declined"):
        raise ContractError(f"signer: {signer.name} has already {signer.status}.")
    if signer not in _current_group(signing_signers(session, contract.id)):
        raise ContractError("signer: it is not this signer's turn yet; the link goes out when it is.")
    _issue_token(session, contract, signer)
    _trail(contract, "link sent", actor.label, signer.email)
    record_action(session, actor, "contract", contract.id, "resend", {"signer_id": signer.id, "email": signer.email})
    return signer
