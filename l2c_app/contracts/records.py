"""Contracts: statuses, errors, the audit trail and reading a contract's signers."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

import l2c_app.models  # noqa: F401  every table, so foreign keys resolve outside the app (CLI, jobs)
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.audit import Actor, record_action, record_update, snapshot
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import ContractEvent

STATUSES = ("draft", "sent", "delivered", "completed", "declined", "voided")
_RANK = {"draft": 0, "sent": 1, "delivered": 2, "completed": 3, "declined": 3, "voided": 3}
FINAL = ("completed", "declined", "voided")
SIGNING_KINDS = ("signer", "countersigner")
SIGNER_KINDS = ("signer", "countersigner", "cc")
TOKEN_DAYS = 14


class ContractError(DomainError):
    """A user-facing message; starts with the field name when one field is wrong."""


class SigningLinkError(ContractError):
    """The signing link cannot be used (unknown, expired, finished, not yet your turn).

    Always not_found: a link holder learns only that this link does not work."""

    default_kind = "not_found"


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def can_move(current: str, new: str) -> bool:
    """Statuses only move forward; a final status never changes."""
    return current not in FINAL and _RANK.get(new, -1) > _RANK.get(current, 99)


def _trail(contract: Contract, event: str, who: str = "", detail: str = "", **extra) -> None:
    entry = {"at": utcnow().isoformat(timespec="seconds"), "event": event, "who": who, "detail": detail}
    entry.update({k: v for k, v in extra.items() if v is not None})
    contract.audit_trail = [*contract.audit_trail, entry]  # new list: JSON columns track assignment


def _set_status(session: Session, actor: Actor, contract: Contract, new: str, **detail) -> bool:
    if not can_move(contract.status, new):
        return False
    before = snapshot(contract)
    contract.status = new
    now = utcnow()
    if new == "sent" and contract.sent_at is None:
        contract.sent_at = now
    elif new == "completed":
        contract.completed_at = now
    elif new == "voided":
        contract.voided_at = now
    record_update(session, actor, contract, before, action=new)
    if detail:
        record_action(session, actor, "contract", contract.id, f"{new}_detail", detail)
    event_type = {"sent": "contract.sent", "completed": "contract.signed", "declined": "contract.declined"}.get(new)
    if event_type:
        # Delivery may start by itself on signature: projects/subscribers.py reacts to contract.signed.
        session.flush()
        emit(
            session,
            event_type,
            ContractEvent(
                contract_id=contract.id,
                deal_id=contract.deal_id,
                quote_id=contract.quote_id,
                provider=contract.provider or "",
            ),
        )
    return True


def _get(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise ContractError("contract: no such contract.", kind="not_found")
    return contract


def signers_of(session: Session, contract_id: int) -> list[ContractSigner]:
    return list(
        session.exec(
            select(ContractSigner)
            .where(ContractSigner.contract_id == contract_id)
            .order_by(ContractSigner.routing_order, ContractSigner.id)
        )
    )


def signing_signers(session: Session, contract_id: int) -> list[ContractSigner]:
    return [s for s in signers_of(session, contract_id) if s.kind in SIGNING_KINDS]


def anchor_index(session: Session, signer: ContractSigner) -> int:
    """1-based position among the signing signers: the N of the `/sigN/` anchor."""
    return [s.id for s in signing_signers(session, signer.contract_id)].index(signer.id) + 1
