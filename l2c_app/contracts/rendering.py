"""The contract's PDF: current, original or signed, with its certificate."""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.contracts.models import Contract
from l2c_app.contracts.pdf import Certificate, CertificateRow, SignerBlock, render_contract
from l2c_app.contracts.records import _get, signing_signers
from l2c_app.core.auth import get_organisation
from l2c_app.core.models import Document

# --- PDF ------------------------------------------------------------------------------------

ROLE_LABEL = {"signer": "Client", "countersigner": "Provider", "cc": "Copy"}


def _blocks(session: Session, contract: Contract, signed: bool) -> list[SignerBlock]:
    out = []
    for i, s in enumerate(signing_signers(session, contract.id), start=1):
        out.append(
            SignerBlock(
                index=i,
                role=ROLE_LABEL[s.kind],
                name=s.name,
                email=s.email,
                signed_name=s.typed_name if signed and s.status == "signed" else None,
                signed_at=s.signed_at if signed else None,
                ip=s.ip if signed else None,
            )
        )
    return out


def _logo(session: Session) -> bytes | None:
    org = get_organisation(session)
    if org and org.logo_document_id:
        doc = session.get(Document, org.logo_document_id)
        return doc.data if doc else None
    return None


def render_pdf(session: Session, contract: Contract, *, signed: bool = False) -> bytes:
    """The contract PDF: the original (anchors, empty blocks) or, `signed`, with blocks and certificate."""
    org = get_organisation(session)
    cert = None
    if signed:
        cert = Certificate(
            envelope=contract.envelope_id or f"l2c-{contract.id}",
            original_sha256=contract.original_sha256 or "-",
            sent_at=contract.sent_at,
            completed_at=contract.completed_at,
            rows=[
                CertificateRow(
                    name=s.name,
                    email=s.email,
                    role=ROLE_LABEL[s.kind],
                    routing_order=s.routing_order,
                    status=s.status,
                    viewed_at=s.viewed_at,
                    consent_at=s.consent_at,
                    signed_at=s.signed_at,
                    typed_name=s.typed_name,
                    ip=s.ip,
                    user_agent=s.user_agent,
                )
                for s in signing_signers(session, contract.id)
            ],
            events=list(contract.audit_trail),
        )
    return render_contract(
        org_name=org.name if org else "l2c",
        title=contract.title,
        subtitle=f"Contract C-{contract.id}",
        body=contract.body,
        signers=_blocks(session, contract, signed),
        created=contract.sent_at or contract.created_at,
        certificate=cert,
        logo=_logo(session),
    )


def contract_pdf(session: Session, contract_id: int, version: str = "current") -> tuple[str, bytes]:
    """What "Download PDF" gives: the signed PDF once signed, else the sent original, else a
    preview. `version="original"` asks for the document as it was sent."""
    contract = _get(session, contract_id)
    docs = [contract.signed_document_id, contract.original_document_id]
    if version == "original":
        docs = [contract.original_document_id]
    for doc_id in docs:
        if doc_id:
            doc = session.get(Document, doc_id)
            if doc is not None:
                return doc.filename, doc.data
    return f"contract-C{contract.id}-draft.pdf", render_pdf(session, contract)
