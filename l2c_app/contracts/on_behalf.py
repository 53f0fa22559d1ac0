"""Signing recorded on behalf of a signer (a signature given on paper, in person, by e-mail).

The signature goes through the same rule as the signer's own link (`service.sign`: their
turn, consent, typed name, the trail, completion and the signed PDF): a one-time token is
minted for that call and replaces the signer's link, which is spent by signing anyway.
Who recorded it and how is kept in the audit log.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session

from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.errors import NotFound


def _signer(session: Session, contract_id: int, signer_id: int) -> ContractSigner:
    signer = session.get(ContractSigner, signer_id)
    if signer is None or signer.contract_id != contract_id:
        raise NotFound(f"No signer {signer_id} on contract {contract_id}", "signer_id")
    return signer


def _one_time_token(signer: ContractSigner) -> str:
    if signer.token_hash is None or signer.token_expires_at is None:
        raise svc.ContractError("status: this signer has not been asked to sign yet (send the contract, or wait "
                                "for their turn).")
    token = secrets.token_urlsafe(32)
    signer.token_hash = svc.sha256_hex(token)
    return token


def sign_on_behalf(session: Session, actor: Actor, contract_id: int, signer_id: int, *, typed_name: str,
                   how: str, ip: str | None = None) -> Contract:
    signer = _signer(session, contract_id, signer_id)
    token = _one_time_token(signer)
    contract = svc.sign(session, token, consent=True, typed_name=typed_name, ip=ip,
                        user_agent=f"recorded by {actor.label} ({how})")
    record_action(session, actor, "contract", contract_id, "signature_recorded",
                  {"signer_id": signer_id, "typed_name": typed_name, "how": how})
    return contract


def decline_on_behalf(session: Session, actor: Actor, contract_id: int, signer_id: int, *, reason: str,
                      how: str, ip: str | None = None) -> Contract:
    signer = _signer(session, contract_id, signer_id)
    token = _one_time_token(signer)
    contract = svc.decline(session, token, reason=reason, ip=ip,
                           user_agent=f"recorded by {actor.label} ({how})")
    record_action(session, actor, "contract", contract_id, "decline_recorded",
                  {"signer_id": signer_id, "how": how})
    return contract
