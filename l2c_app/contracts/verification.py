"""Verification: is this PDF the signed copy we stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from l2c_app.contracts.models import Contract
from l2c_app.contracts.records import sha256_hex

# --- verification ---------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    message: str
    contract_id: int | None = None
    kind: str = "unknown"  # signed, original, unknown
    sha256: str = ""


def verify_pdf(session: Session, data: bytes) -> Verification:
    """Is this exactly a PDF l2c produced? Compares the file's SHA-256 with the stored ones."""
    digest = sha256_hex(data)
    contract = session.exec(select(Contract).where(Contract.signed_sha256 == digest)).first()
    if contract is not None:
        when = contract.completed_at.strftime("%Y-%m-%d %H:%M UTC") if contract.completed_at else "?"
        return Verification(
            True,
            f"Authentic: the signed PDF of contract C-{contract.id} “{contract.title}”, completed {when}.",
            contract.id,
            "signed",
            digest,
        )
    contract = session.exec(select(Contract).where(Contract.original_sha256 == digest)).first()
    if contract is not None:
        return Verification(
            True,
            f"This is the unsigned original of contract C-{contract.id} “{contract.title}” "
            f"(status {contract.status}), not a signed copy.",
            contract.id,
            "original",
            digest,
        )
    return Verification(
        False,
        f"No contract matches this file (SHA-256 {digest}): it was changed after "
        "signing, or it is not an l2c contract.",
        None,
        "unknown",
        digest,
    )
