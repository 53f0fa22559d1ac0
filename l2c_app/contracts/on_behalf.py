"""Signing recorded on behalf of a signer (a signature given on paper, in person, by e-mail).

The signature goes through the same rule as the signer's own link (`service.sign`: their
turn, consent, typed name, the trail, completion and the signed PDF): a one-time token is
minted for that call and replaces the signer's link, which is spent by signing anyway.
Who recorded it and how is kept in the audit log.

`sign_in_app`: a team member who is a signer (the counter-signer) signs on the contract page,
signed in, through the same rule; the session is their credential instead of the e-mailed link.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from l2c_app.contracts import sending
from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.errors import DomainError, NotFound


def _signer(session: Session, contract_id: int, signer_id: int) -> ContractSigner:
    signer = session.get(ContractSigner, signer_id)
    if signer is None or signer.contract_id != contract_id:
        raise NotFound(f"No signer {signer_id} on contract {contract_id}", "signer_id")
    return signer


def _one_time_token(signer: ContractSigner) -> str:
    if signer.token_hash is None or signer.token_expires_at is None:
        raise svc.ContractError(
            "status: this signer has not been asked to sign yet (send the contract, or wait for their turn)."
        )
    token = secrets.token_urlsafe(32)
    signer.token_hash = svc.sha256_hex(token)
    return token


def sign_on_behalf(
    session: Session,
    actor: Actor,
    contract_id: int,
    signer_id: int,
    *,
    typed_name: str,
    how: str,
    ip: str | None = None,
) -> Contract:
    signer = _signer(session, contract_id, signer_id)
    token = _one_time_token(signer)
    contract = svc.sign(
        session, token, consent=True, typed_name=typed_name, ip=ip, user_agent=f"recorded by {actor.label} ({how})"
    )
    record_action(
        session,
        actor,
        "contract",
        contract_id,
        "signature_recorded",
        {"signer_id": signer_id, "typed_name": typed_name, "how": how},
    )
    return contract


def decline_on_behalf(
    session: Session, actor: Actor, contract_id: int, signer_id: int, *, reason: str, how: str, ip: str | None = None
) -> Contract:
    signer = _signer(session, contract_id, signer_id)
    token = _one_time_token(signer)
    contract = svc.decline(session, token, reason=reason, ip=ip, user_agent=f"recorded by {actor.label} ({how})")
    record_action(session, actor, "contract", contract_id, "decline_recorded", {"signer_id": signer_id, "how": how})
    return contract


def my_turn(session: Session, user_id: int | None, contract_id: int) -> ContractSigner | None:
    """The signer row of `user_id` on this contract when it is their turn to sign in the app."""
    if user_id is None:
        return None
    contract = session.get(Contract, contract_id)
    if contract is None or contract.provider != "builtin" or contract.status not in ("sent", "delivered"):
        return None
    mine = session.exec(
        select(ContractSigner).where(
            ContractSigner.contract_id == contract_id,
            ContractSigner.user_id == user_id,
            ContractSigner.kind.in_(("signer", "countersigner")),
        )
    ).first()
    if mine is None or mine.status in ("signed", "declined") or mine.token_hash is None:
        return None
    if mine not in sending._current_group(svc.signing_signers(session, contract_id)):
        return None
    return mine


def sign_in_app(
    session: Session, actor: Actor, contract_id: int, *, consent: bool, typed_name: str, ip: str | None = None
) -> Contract:
    """The signed-in team member signs their own signer row (their turn, consent, typed name)."""
    mine = my_turn(session, actor.user_id, contract_id)
    if mine is None:
        raise DomainError(
            "You are not a signer whose turn it is on this contract.", "signer", kind="forbidden", code="not_your_turn"
        )
    token = _one_time_token(mine)
    contract = svc.sign(
        session, token, consent=consent, typed_name=typed_name, ip=ip, user_agent=f"signed in the app by {actor.label}"
    )
    record_action(
        session,
        actor,
        "contract",
        contract_id,
        "signed_in_app",
        {"signer_id": mine.id, "typed_name": " ".join(typed_name.split())},
    )
    return contract
