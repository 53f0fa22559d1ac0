"""The signer's side of a contract (the `/sign/<token>` page is public).

Threat model of the built-in signer:
- a signing link is the only credential of its signer: 256 random bits, only the SHA-256 is
  stored, it expires, it works for that one signer only, only when the routing order reaches
  them, and never again once the contract is completed, declined or voided;
- everything the signer sends (name, reason) is length-limited text; IP and user agent are
  recorded as given by the request, for the certificate;
- the original's SHA-256 goes on the certificate and the final PDF's SHA-256 is stored, so a
  changed PDF is detected by `verification.verify_pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.contracts.records import (
    FINAL,
    ContractError,
    SigningLinkError,
    _get,
    _set_status,
    _trail,
    sha256_hex,
    signers_of,
    signing_signers,
)
from l2c_app.contracts.rendering import ROLE_LABEL, render_pdf
from l2c_app.contracts.sending import _current_group, _issue_token
from l2c_app.contracts.views import _as_utc
from l2c_app.core.audit import SYSTEM, Actor, record_action, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.documents import store_document
from l2c_app.core.models import Document
from l2c_app.core.notify import notify
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline.models import Deal
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.ports.mailer import send_mail

# --- the signer's side (public link) --------------------------------------------------------


@dataclass
class SigningView:
    contract_id: int
    signer_id: int
    title: str
    body: str
    org_name: str
    signer_name: str
    signer_email: str
    status: str  # the signer's status: sent, viewed, signed, declined
    others: list[dict] = field(default_factory=list)


def _by_token(session: Session, token: str, *, for_action: bool = True) -> tuple[Contract, ContractSigner]:
    if not plausible_token(token, 200):
        raise SigningLinkError("This signing link is not valid.")
    signer = session.exec(select(ContractSigner).where(ContractSigner.token_hash == sha256_hex(token))).first()
    if signer is None:
        raise SigningLinkError("This signing link is not valid. It may have been replaced by a newer one.")
    contract = _get(session, signer.contract_id)
    if contract.status in FINAL or contract.provider != "builtin":
        raise SigningLinkError(f"This contract is {contract.status}; the link no longer works.")
    if signer.token_expires_at is None or _as_utc(signer.token_expires_at) <= utcnow():
        raise SigningLinkError("This signing link has expired. Ask the sender for a new one.")
    if for_action and signer.status in ("signed", "declined"):
        raise SigningLinkError(f"You have already {signer.status} this contract.")
    if signer not in _current_group(signing_signers(session, contract.id)) and signer.status != "signed":
        raise SigningLinkError("It is not your turn to sign yet.")
    return contract, signer


def open_for_signing(session: Session, token: str, ip: str | None = None, user_agent: str | None = None) -> SigningView:
    """What the signer sees; the first opening marks the signer viewed and the envelope delivered."""
    contract, signer = _by_token(session, token, for_action=False)
    if signer.viewed_at is None:
        signer.viewed_at = utcnow()
        if signer.status == "sent":
            signer.status = "viewed"
        _trail(contract, "viewed", f"{signer.name} <{signer.email}>", ip=ip, ua=(user_agent or "")[:400])
        record_action(
            session,
            Actor("signer", None, signer.email),
            "contract",
            contract.id,
            "viewed",
            {"signer_id": signer.id, "ip": ip},
        )
        _set_status(session, Actor("signer", None, signer.email), contract, "delivered")
        add_deal_event(session, contract.deal_id, f"Contract viewed by {signer.name}")
    org = get_organisation(session)
    return SigningView(
        contract_id=contract.id,
        signer_id=signer.id,
        title=contract.title,
        body=contract.body,
        org_name=org.name if org else "l2c",
        signer_name=signer.name,
        signer_email=signer.email,
        status=signer.status,
        others=[
            {"name": s.name, "status": s.status, "role": ROLE_LABEL[s.kind]}
            for s in signing_signers(session, contract.id)
            if s.id != signer.id
        ],
    )


def signed_copy(session: Session, token: str) -> tuple[str, bytes]:
    """The signed PDF, for a signer who signed a now completed contract (their own link, until it
    expires): the last signer downloads it at once from the signing page."""
    if not plausible_token(token, 200):
        raise SigningLinkError("This signing link is not valid.")
    signer = session.exec(select(ContractSigner).where(ContractSigner.token_hash == sha256_hex(token))).first()
    if signer is None or signer.status != "signed":
        raise SigningLinkError("This signing link is not valid.")
    contract = _get(session, signer.contract_id)
    if signer.token_expires_at is None or _as_utc(signer.token_expires_at) <= utcnow():
        raise SigningLinkError("This signing link has expired. The signed PDF was e-mailed to you.")
    doc = (
        session.get(Document, contract.signed_document_id)
        if contract.status == "completed" and contract.signed_document_id
        else None
    )
    if doc is None:
        raise SigningLinkError("The signed PDF is ready once everyone has signed.")
    return doc.filename, doc.data


def signing_pdf(session: Session, token: str) -> tuple[str, bytes]:
    """The original PDF, for the holder of a live signing link."""
    contract, _ = _by_token(session, token, for_action=False)
    doc = session.get(Document, contract.original_document_id) if contract.original_document_id else None
    if doc is None:
        raise SigningLinkError("The document is not available.")
    return doc.filename, doc.data


def sign(
    session: Session,
    token: str,
    *,
    consent: bool,
    typed_name: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> Contract:
    contract, signer = _by_token(session, token)
    if not consent:
        raise ContractError("consent: tick “I agree to sign electronically” to sign.")
    typed_name = " ".join((typed_name or "").split())
    if len(typed_name) < 2:
        raise ContractError("typed_name: type your full name to sign.")
    now = utcnow()
    who = Actor("signer", None, signer.email)
    before = snapshot(signer)
    signer.viewed_at = signer.viewed_at or now
    signer.consent_at, signer.signed_at, signer.status = now, now, "signed"
    signer.typed_name, signer.ip, signer.user_agent = (
        typed_name[:200],
        (ip or "")[:64] or None,
        (user_agent or "")[:400] or None,
    )
    record_update(session, who, signer, before, action="sign")
    _trail(
        contract,
        "signed",
        f"{signer.name} <{signer.email}>",
        f"typed name: {signer.typed_name}",
        ip=signer.ip,
        ua=signer.user_agent,
    )
    _set_status(session, who, contract, "delivered")
    add_deal_event(session, contract.deal_id, f"Contract signed by {signer.name}", body=contract.title)
    deal = session.get(Deal, contract.deal_id)
    signers = signing_signers(session, contract.id)
    group = _current_group(signers)
    if not group:
        _complete(session, contract)
    else:
        for s in group:
            if s.token_hash is None:
                _issue_token(session, contract, s)
        if deal is not None:
            notify(
                session,
                deal.owner_id,
                "contract_signed",
                f"{signer.name} signed “{contract.title}”",
                link=f"/contracts/{contract.id}",
                email=False,
            )
    return contract


def _complete(session: Session, contract: Contract) -> None:
    _set_status(session, SYSTEM, contract, "completed")
    _trail(contract, "completed", "l2c")
    data = render_pdf(session, contract, signed=True)
    doc = store_document(session, kind="contract_signed", filename=f"contract-C{contract.id}-signed.pdf", data=data)
    contract.signed_document_id, contract.signed_sha256 = doc.id, doc.sha256
    record_action(session, SYSTEM, "contract", contract.id, "signed_pdf_stored", {"sha256": doc.sha256})
    _after_completion(session, contract, doc)


def _after_completion(session: Session, contract: Contract, doc: Document) -> None:
    """Everyone gets the signed copy; the deal shows it; the owner hears of it."""
    for s in signers_of(session, contract.id):
        send_mail(
            session,
            to=s.email,
            subject=f"Signed: “{contract.title}”",
            body=f"Hello {s.name},\n\nEveryone has signed “{contract.title}”. The signed document is "
            f"attached (SHA-256 {doc.sha256}).\n",
            attachments=[doc],
            related=("contract", contract.id),
        )
    add_deal_event(
        session, contract.deal_id, f"Contract fully signed: {contract.title}", body=f"Signed PDF SHA-256 {doc.sha256}"
    )
    deal = session.get(Deal, contract.deal_id)
    if deal is not None:
        notify(
            session,
            deal.owner_id,
            "contract_completed",
            f"“{contract.title}” is signed by everyone",
            link=f"/contracts/{contract.id}",
        )


def decline(
    session: Session, token: str, *, reason: str, ip: str | None = None, user_agent: str | None = None
) -> Contract:
    contract, signer = _by_token(session, token)
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise ContractError("reason: say why you decline (the sender reads it).")
    who = Actor("signer", None, signer.email)
    before = snapshot(signer)
    signer.status, signer.declined_at, signer.decline_reason = "declined", utcnow(), reason[:500]
    signer.ip, signer.user_agent = (ip or "")[:64] or None, (user_agent or "")[:400] or None
    record_update(session, who, signer, before, action="decline")
    contract.declined_reason = reason[:500]
    _trail(contract, "declined", f"{signer.name} <{signer.email}>", reason[:500], ip=signer.ip)
    _set_status(session, who, contract, "declined")
    add_deal_event(session, contract.deal_id, f"Contract declined by {signer.name}", body=reason[:500])
    deal = session.get(Deal, contract.deal_id)
    if deal is not None:
        notify(
            session,
            deal.owner_id,
            "contract_declined",
            f"{signer.name} declined “{contract.title}”: {reason}",
            link=f"/contracts/{contract.id}",
        )
    return contract
