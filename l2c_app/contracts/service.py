"""Contracts: create from an accepted quote, edit the draft, send, sign (built-in) or DocuSign,
void, re-send, verify. Plain functions over a Session; no Reflex imports.

Threat model of the built-in signer (the `/sign/<token>` page is public):
- a signing link is the only credential of its signer: 256 random bits, only the SHA-256 is
  stored, it expires, it works for that one signer only, only when the routing order reaches
  them, and never again once the contract is completed, declined or voided;
- everything the signer sends (name, reason) is length-limited text; IP and user agent are
  recorded as given by the request, for the certificate;
- the original's SHA-256 goes on the certificate and the final PDF's SHA-256 is stored, so a
  changed PDF is detected by `verify_pdf`.
"""

from __future__ import annotations

import logging

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func

import l2c_app.models  # noqa: F401  every table, so foreign keys resolve outside the app (CLI, jobs)
from sqlmodel import Session, select

from l2c_app.contracts import merge
from l2c_app.contracts.models import Contract, ContractSigner, ContractTemplate
from l2c_app.contracts.pdf import Certificate, CertificateRow, SignerBlock, render_contract
from l2c_app.core.textlimits import plausible_token
from l2c_app.core import formats
from l2c_app.core.audit import SYSTEM, Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.documents import store_document
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Document, User
from l2c_app.core.notify import notify
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import ContractEvent
from l2c_app.integrations.email import send_mail
from l2c_app.outbox.service import Permanent, enqueue, handler, write_scope
from l2c_app.core.money import format_money
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.quotes.models import Quote

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
        emit(session, event_type, ContractEvent(contract_id=contract.id, deal_id=contract.deal_id,
                                                quote_id=contract.quote_id, provider=contract.provider or ""))
    return True


def _get(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise ContractError("contract: no such contract.", kind="not_found")
    return contract


def signers_of(session: Session, contract_id: int) -> list[ContractSigner]:
    return list(session.exec(select(ContractSigner).where(ContractSigner.contract_id == contract_id)
                             .order_by(ContractSigner.routing_order, ContractSigner.id)))


def signing_signers(session: Session, contract_id: int) -> list[ContractSigner]:
    return [s for s in signers_of(session, contract_id) if s.kind in SIGNING_KINDS]


def anchor_index(session: Session, signer: ContractSigner) -> int:
    """1-based position among the signing signers: the N of the `/sigN/` anchor."""
    return [s.id for s in signing_signers(session, signer.contract_id)].index(signer.id) + 1


# --- create and edit ------------------------------------------------------------------------

def _contact_signer(session: Session, contract: Contract, contact_id: int | None) -> None:
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is not None and contact.email:
        signer = ContractSigner(contract_id=contract.id, kind="signer", routing_order=1, name=contact.name,
                                email=contact.email, contact_id=contact.id)
        session.add(signer)


def create_from_quote(session: Session, actor: Actor, quote_id: int, template_id: int | None = None,
                      title: str | None = None) -> Contract:
    """A draft filled from the records: the scope table is the accepted quote's lines."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise ContractError("quote_id: no such quote.")
    if quote.status != "accepted":
        raise ContractError("quote_id: only an accepted quote becomes a contract "
                            f"(this one is {quote.status}).")
    existing = session.exec(select(Contract).where(Contract.quote_id == quote_id,
                                                   Contract.status.not_in(("voided", "declined")))).first()
    if existing is not None:
        raise ContractError(f"quote_id: contract C-{existing.id} already covers this quote "
                            "(void it first to make a new one).")
    deal = session.get(Deal, quote.deal_id)
    return _create(session, actor, deal, quote, template_id, title)


def create_from_deal(session: Session, actor: Actor, deal_id: int, template_id: int | None = None,
                     title: str | None = None) -> Contract:
    """From a deal: its latest accepted quote, else (a won deal) a contract without a scope table."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise ContractError("deal_id: no such deal.")
    quote = session.exec(select(Quote).where(Quote.deal_id == deal_id, Quote.status == "accepted")
                         .order_by(Quote.accepted_at.desc(), Quote.id.desc())).first()
    if quote is None and deal.status != "won":
        raise ContractError("deal_id: the deal has no accepted quote and is not won.")
    return _create(session, actor, deal, quote, template_id, title)


def _create(session: Session, actor: Actor, deal: Deal, quote: Quote | None, template_id: int | None,
            title: str | None) -> Contract:
    template = session.get(ContractTemplate, template_id) if template_id else merge.default_template(session)
    if template is None or template.archived_at is not None:
        raise ContractError("template_id: no such template.")
    title = (title or "").strip() or f"Agreement: {deal.title}"[:200]
    body = template.body
    if quote is None:  # a won deal without a quote: no scope table to fill
        body = body.replace("{{quote.lines}}", "")
    body = merge.fill(session, body, merge.MergeContext(deal=deal, quote=quote, title=title))
    contract = Contract(deal_id=deal.id, quote_id=quote.id if quote else None, template_id=template.id, title=title,
                        body=body, created_by_id=actor.user_id)
    _trail(contract, "created", actor.label)
    session.add(contract)
    record_create(session, actor, contract)
    _contact_signer(session, contract, (quote.contact_id if quote else None) or deal.contact_id)
    session.flush()
    add_deal_event(session, deal.id, f"Contract drafted: {title}", user_id=actor.user_id)
    return contract


def update_draft(session: Session, actor: Actor, contract_id: int, title: str, body: str) -> Contract:
    contract = _get(session, contract_id)
    if contract.status != "draft":
        raise ContractError("body: only a draft can be edited; void it and create a new one.")
    title = (title or "").strip()
    if not title:
        raise ContractError("title: enter a title.")
    if not (body or "").strip():
        raise ContractError("body: the contract is empty.")
    bad = merge.unknown_fields(body)
    if bad:
        raise ContractError(f"body: unknown merge fields: {', '.join(bad)}")
    before = snapshot(contract)
    contract.title, contract.body = title[:200], body
    record_update(session, actor, contract, before)
    return contract


def _clean_person(name: str, email: str) -> tuple[str, str]:
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name:
        raise ContractError("name: enter the signer's name.")
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise ContractError("email: enter a valid e-mail address.")
    return name[:200], email


def add_signer(session: Session, actor: Actor, contract_id: int, *, kind: str = "signer", name: str = "",
               email: str = "", routing_order: int | None = None, contact_id: int | None = None,
               user_id: int | None = None) -> ContractSigner:
    """A client signer, the team's counter-signer (`user_id`) or a CC recipient."""
    contract = _get(session, contract_id)
    if contract.status != "draft":
        raise ContractError("signers: signers are chosen while the contract is a draft.")
    if kind not in SIGNER_KINDS:
        raise ContractError(f"kind: one of {', '.join(SIGNER_KINDS)}.")
    if user_id:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise ContractError("user_id: no such team member.")
        name, email = name or user.name, email or user.email
    elif contact_id:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise ContractError("contact_id: no such contact.")
        deal = session.get(Deal, contract.deal_id) if contract.deal_id else None
        if deal is not None and deal.account_id is not None and contact.account_id is not None \
                and contact.account_id != deal.account_id:
            # Client B's person must never sign (or receive) client A's contract.
            raise ContractError("contact_id: this contact belongs to another client than the contract's.")
        name, email = name or contact.name, email or (contact.email or "")
    name, email = _clean_person(name, email)
    existing = signers_of(session, contract_id)
    if any(s.email == email and s.kind == kind for s in existing):
        raise ContractError(f"email: {email} is already on this contract.")
    if kind == "countersigner" and any(s.kind == "countersigner" for s in existing):
        raise ContractError("kind: the contract already has a counter-signer.")
    if routing_order is None:
        signing = [s.routing_order for s in existing if s.kind in SIGNING_KINDS]
        # Client signers sign first (together); the counter-signer after all of them.
        routing_order = (max(signing, default=0) + 1) if kind == "countersigner" else \
            min([s.routing_order for s in existing if s.kind == "signer"] or [1])
    if not 1 <= int(routing_order) <= 99:
        raise ContractError("routing_order: between 1 and 99.")
    signer = ContractSigner(contract_id=contract_id, kind=kind, routing_order=int(routing_order), name=name,
                            email=email, contact_id=contact_id, user_id=user_id)
    session.add(signer)
    record_create(session, actor, signer)
    return signer


def remove_signer(session: Session, actor: Actor, signer_id: int, contract_id: int | None = None) -> None:
    """Take a signer off a draft (`contract_id`: only a signer of that contract)."""
    signer = session.get(ContractSigner, signer_id)
    if signer is None or (contract_id is not None and signer.contract_id != contract_id):
        raise ContractError("signer: no such signer.", kind="not_found")
    if _get(session, signer.contract_id).status != "draft":
        raise ContractError("signers: signers are chosen while the contract is a draft.")
    record_action(session, actor, "contractsigner", signer.id, "delete", snapshot(signer))
    session.delete(signer)


# --- PDF ------------------------------------------------------------------------------------

ROLE_LABEL = {"signer": "Client", "countersigner": "Provider", "cc": "Copy"}


def _blocks(session: Session, contract: Contract, signed: bool) -> list[SignerBlock]:
    out = []
    for i, s in enumerate(signing_signers(session, contract.id), start=1):
        out.append(SignerBlock(index=i, role=ROLE_LABEL[s.kind], name=s.name, email=s.email,
                               signed_name=s.typed_name if signed and s.status == "signed" else None,
                               signed_at=s.signed_at if signed else None, ip=s.ip if signed else None))
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
            envelope=contract.envelope_id or f"l2c-{contract.id}", original_sha256=contract.original_sha256 or "-",
            sent_at=contract.sent_at, completed_at=contract.completed_at,
            rows=[CertificateRow(name=s.name, email=s.email, role=ROLE_LABEL[s.kind], routing_order=s.routing_order,
                                 status=s.status, viewed_at=s.viewed_at, consent_at=s.consent_at,
                                 signed_at=s.signed_at, typed_name=s.typed_name, ip=s.ip, user_agent=s.user_agent)
                  for s in signing_signers(session, contract.id)],
            events=list(contract.audit_trail))
    return render_contract(org_name=org.name if org else "l2c", title=contract.title,
                           subtitle=f"Contract C-{contract.id}", body=contract.body,
                           signers=_blocks(session, contract, signed),
                           created=contract.sent_at or contract.created_at, certificate=cert, logo=_logo(session))


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


# --- send -----------------------------------------------------------------------------------

def _link(token: str) -> str:
    return f"{get_settings().app_base_url}/sign/{token}"


def link_days(session: Session) -> int:
    org = get_organisation(session)
    value = (org.settings or {}).get("contract_link_days") if org else None
    return int(value) if isinstance(value, int) and 1 <= value <= 90 else TOKEN_DAYS


def set_link_days(session: Session, actor: Actor, days: int) -> None:
    """How long a signing link works (Settings > Contract templates)."""
    if not 1 <= int(days) <= 90:
        raise ContractError("contract_link_days: between 1 and 90 days.")
    org = get_organisation(session)
    if org is None:
        raise ContractError("organisation: l2c is not set up yet.")
    before = snapshot(org)
    org.settings = {**(org.settings or {}), "contract_link_days": int(days)}
    record_update(session, actor, org, before)


def signing_settings(session: Session) -> dict:
    s = get_settings()
    return {"link_days": link_days(session), "docusign": s.docusign_enabled,
            "docusign_account": s.docusign_account_id or "", "hmac_keys": len(s.docusign_connect_hmac_keys),
            "webhook_url": f"{s.app_base_url}/api/webhooks/docusign"}


INVITE_SUBJECT = "{org_name}: please sign “{document_title}”"
INVITE_BODY = ("Hello {contact_name},\n\n{org_name} asks you to sign “{document_title}”.\n"
               "Open the link below to read the document and sign it (or decline it). "
               "The link is personal and works until {due_date}.\n\n{link}\n")


def _email_values(session: Session, contract: Contract, signer: ContractSigner | None, *, link: str,
                  until: str, actor: Actor = SYSTEM) -> dict[str, str]:
    """The merge fields of a signing invitation (core.mailmerge), for one signer."""
    from l2c_app.quotes.service import quote_label

    org = get_organisation(session)
    org_name = org.name if org else "l2c"
    deal = session.get(Deal, contract.deal_id) if contract.deal_id else None
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    quote = session.get(Quote, contract.quote_id) if contract.quote_id else None
    sender = session.get(User, actor.user_id) if actor.user_id else None
    return {"client_name": account.name if account else "", "contact_name": signer.name if signer else "",
            "document_number": f"C{contract.id}", "document_title": contract.title,
            "total": format_money(merge.quote_total_minor(session, quote), quote.currency) if quote else "",
            "link": link, "due_date": until, "org_name": org_name,
            "sender_name": sender.name if sender else org_name,
            **({"document_number": f"C{contract.id} ({quote_label(quote)})"} if quote else {})}


def email_draft(session: Session, actor: Actor, contract_id: int):
    """What the composer opens with: today's signing invitation as a template; it goes to the
    signers whose turn it is first (each with a personal link), so `to` is shown, not edited."""
    from l2c_app.core.mailmerge import Draft

    contract = _get(session, contract_id)
    first = _current_group(signing_signers(session, contract.id))
    until = formats.day(utcnow() + timedelta(days=link_days(session)))
    values = _email_values(session, contract, first[0] if first else None, until=until, actor=actor,
                           link=f"{get_settings().app_base_url}/sign/… (each signer's personal link, made on sending)")
    return Draft(to=", ".join(s.email for s in first), subject=INVITE_SUBJECT, body=INVITE_BODY, values=values,
                 to_fixed=True, note="Each signer gets this message with their own name and personal link.")


def _issue_token(session: Session, contract: Contract, signer: ContractSigner, message=None,
                 actor: Actor = SYSTEM) -> str:
    from l2c_app.core.mailmerge import Message, parse_addresses, rendered

    token = secrets.token_urlsafe(32)
    signer.token_hash = sha256_hex(token)
    signer.token_expires_at = utcnow() + timedelta(days=link_days(session))
    if signer.status == "created":
        signer.status = "sent"
    message = message or Message(subject=INVITE_SUBJECT, body=INVITE_BODY)
    values = _email_values(session, contract, signer, link=_link(token), actor=actor,
                           until=formats.day(signer.token_expires_at))
    subject, body = rendered(message, values)
    send_mail(session, to=signer.email, cc=parse_addresses(message.cc), subject=subject, body=body,
              link=_link(token), related=("contract", contract.id))
    if signer.user_id is not None:
        # A team member (the counter-signer) hears of it in the bell and signs on the contract
        # page (on_behalf.sign_in_app) without digging the link out of the Outbox.
        notify(session, signer.user_id, "contract_to_sign", f"Your signature is needed on “{contract.title}”",
               link=f"/contracts/{contract.id}", email=False)
    return token


def _current_group(signers: list[ContractSigner]) -> list[ContractSigner]:
    """The signers whose turn it is: the lowest routing order with someone not yet signed."""
    pending = [s for s in signers if s.status != "signed"]
    if not pending:
        return []
    order = min(s.routing_order for s in pending)
    return [s for s in pending if s.routing_order == order]


def _original(session: Session, contract: Contract) -> Document:
    data = render_pdf(session, contract)
    doc = store_document(session, kind="contract_original", filename=f"contract-C{contract.id}.pdf", data=data)
    contract.original_document_id, contract.original_sha256 = doc.id, doc.sha256
    return doc


def send(session: Session, actor: Actor, contract_id: int, provider: str | None = None, message=None) -> Contract:
    """Draft -> sent: freeze the original PDF, then the built-in signer e-mails the first routing
    group, or DocuSign gets an envelope (`provider="docusign"`, only when configured).
    `message` (core.mailmerge.Message, from the composer): cc, subject and body templates of the
    first group's invitations (its `to` is ignored: the signers are the recipients)."""
    from l2c_app.core.mailmerge import parse_addresses, render

    if message is not None:  # checked before anything changes
        parse_addresses(message.cc)
        render(message.subject, {}, field_name="subject")
        render(message.body, {}, field_name="body")
    contract = _get(session, contract_id)
    if contract.status != "draft":
        raise ContractError(f"status: the contract is already {contract.status}.")
    signers = signing_signers(session, contract.id)
    if not any(s.kind == "signer" for s in signers):
        raise ContractError("signers: add at least one client signer.")
    provider = provider or ("docusign" if get_settings().docusign_enabled else "builtin")
    if provider not in ("builtin", "docusign"):
        raise ContractError("provider: builtin or docusign.")
    if provider == "docusign" and not get_settings().docusign_enabled:
        raise ContractError("provider: DocuSign is not configured on this install.")
    contract.provider = provider
    contract.sent_at = utcnow()
    original = _original(session, contract)
    if provider == "docusign":
        # The envelope is an outbox effect: DocuSign is called by the worker after commit
        # (deliver_docusign_send), never inside this write transaction.
        session.flush()
        enqueue(session, "docusign.send", {"contract_id": contract.id, "document_id": original.id},
                f"docusign-send-c{contract.id}", summary=f"DocuSign envelope for “{contract.title}”",
                related=("contract", contract.id))
        contract.last_provider_event_at = utcnow()
        for s in signers:
            s.status = "sent"
    else:
        for s in _current_group(signers):
            _issue_token(session, contract, s, message, actor)
        for cc in (s for s in signers_of(session, contract.id) if s.kind == "cc"):
            send_mail(session, to=cc.email, subject=f"Copy: “{contract.title}” was sent for signature",
                      body=f"Hello {cc.name},\n\nYou are copied on “{contract.title}”. You will receive the "
                           f"signed document once everyone has signed.\n", related=("contract", contract.id))
    _trail(contract, "sent", actor.label, provider)
    _set_status(session, actor, contract, "sent")
    add_deal_event(session, contract.deal_id, f"Contract sent for signature: {contract.title}",
                   body=", ".join(f"{s.name} <{s.email}>" for s in signers), user_id=actor.user_id)
    return contract


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


def open_for_signing(session: Session, token: str, ip: str | None = None, user_agent: str | None = None
                     ) -> SigningView:
    """What the signer sees; the first opening marks the signer viewed and the envelope delivered."""
    contract, signer = _by_token(session, token, for_action=False)
    if signer.viewed_at is None:
        signer.viewed_at = utcnow()
        if signer.status == "sent":
            signer.status = "viewed"
        _trail(contract, "viewed", f"{signer.name} <{signer.email}>", ip=ip, ua=(user_agent or "")[:400])
        record_action(session, Actor("signer", None, signer.email), "contract", contract.id, "viewed",
                      {"signer_id": signer.id, "ip": ip})
        _set_status(session, Actor("signer", None, signer.email), contract, "delivered")
        add_deal_event(session, contract.deal_id, f"Contract viewed by {signer.name}")
    org = get_organisation(session)
    return SigningView(contract_id=contract.id, signer_id=signer.id, title=contract.title, body=contract.body,
                       org_name=org.name if org else "l2c", signer_name=signer.name, signer_email=signer.email,
                       status=signer.status,
                       others=[{"name": s.name, "status": s.status, "role": ROLE_LABEL[s.kind]}
                               for s in signing_signers(session, contract.id) if s.id != signer.id])


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
    doc = session.get(Document, contract.signed_document_id) if contract.status == "completed" \
        and contract.signed_document_id else None
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


def sign(session: Session, token: str, *, consent: bool, typed_name: str, ip: str | None = None,
         user_agent: str | None = None) -> Contract:
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
    signer.typed_name, signer.ip, signer.user_agent = typed_name[:200], (ip or "")[:64] or None, \
        (user_agent or "")[:400] or None
    record_update(session, who, signer, before, action="sign")
    _trail(contract, "signed", f"{signer.name} <{signer.email}>", f"typed name: {signer.typed_name}",
           ip=signer.ip, ua=signer.user_agent)
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
            notify(session, deal.owner_id, "contract_signed", f"{signer.name} signed “{contract.title}”",
                   link=f"/contracts/{contract.id}", email=False)
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
        send_mail(session, to=s.email, subject=f"Signed: “{contract.title}”",
                  body=f"Hello {s.name},\n\nEveryone has signed “{contract.title}”. The signed document is "
                       f"attached (SHA-256 {doc.sha256}).\n", attachments=[doc], related=("contract", contract.id))
    add_deal_event(session, contract.deal_id, f"Contract fully signed: {contract.title}",
                   body=f"Signed PDF SHA-256 {doc.sha256}")
    deal = session.get(Deal, contract.deal_id)
    if deal is not None:
        notify(session, deal.owner_id, "contract_completed", f"“{contract.title}” is signed by everyone",
               link=f"/contracts/{contract.id}")


def decline(session: Session, token: str, *, reason: str, ip: str | None = None,
            user_agent: str | None = None) -> Contract:
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
        notify(session, deal.owner_id, "contract_declined", f"{signer.name} declined “{contract.title}”: {reason}",
               link=f"/contracts/{contract.id}")
    return contract


# --- the sender's side after sending ---------------------------------------------------------

def void(session: Session, actor: Actor, contract_id: int, reason: str) -> Contract:
    contract = _get(session, contract_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ContractError("reason: say why the contract is voided.")
    if contract.status in FINAL:
        raise ContractError(f"status: a {contract.status} contract cannot be voided.")
    if contract.provider == "docusign" and contract.envelope_id:
        enqueue(session, "docusign.void", {"envelope_id": contract.envelope_id, "reason": reason[:200]},
                f"docusign-void-{contract.envelope_id}", summary=f"Void DocuSign envelope of “{contract.title}”",
                related=("contract", contract.id))
    contract.void_reason = reason[:500]
    for s in signers_of(session, contract.id):
        s.token_hash = None  # links die with the contract (also checked by status)
    _trail(contract, "voided", actor.label, reason[:500])
    _set_status(session, actor, contract, "voided", reason=reason[:500])
    add_deal_event(session, contract.deal_id, f"Contract voided: {contract.title}", body=reason[:500],
                   user_id=actor.user_id)
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
        send_mail(session, to=signer.email, subject=f"Copy: “{contract.title}” was sent for signature",
                  body=f"Hello {signer.name},\n\nYou are copied on “{contract.title}”.\n",
                  related=("contract", contract.id))
        return signer
    if signer.status in ("signed", "declined"):
        raise ContractError(f"signer: {signer.name} has already {signer.status}.")
    if signer not in _current_group(signing_signers(session, contract.id)):
        raise ContractError("signer: it is not this signer's turn yet; the link goes out when it is.")
    _issue_token(session, contract, signer)
    _trail(contract, "link sent", actor.label, signer.email)
    record_action(session, actor, "contract", contract.id, "resend", {"signer_id": signer.id, "email": signer.email})
    return signer


# --- provider status (DocuSign webhook and re-poll) ------------------------------------------

def apply_provider_status(session: Session, contract: Contract, status: str, *, source: str,
                          signed_pdf: bytes | None = None, detail: str = "") -> bool:
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
    subject = {"sent": "Contract sent for signature (DocuSign)", "delivered": "Contract viewed (DocuSign)",
               "completed": None, "declined": "Contract declined (DocuSign)",
               "voided": "Contract voided (DocuSign)"}[status]
    if status == "completed":
        for s in signing_signers(session, contract.id):
            s.status, s.signed_at = "signed", s.signed_at or utcnow()
        doc = store_document(session, kind="contract_signed", filename=f"contract-C{contract.id}-signed.pdf",
                             data=signed_pdf)
        contract.signed_document_id, contract.signed_sha256 = doc.id, doc.sha256
        add_deal_event(session, contract.deal_id, f"Contract signed (DocuSign): {contract.title}")
        _after_completion(session, contract, doc)
    elif subject:
        add_deal_event(session, contract.deal_id, f"{subject}: {contract.title}", body=detail or None)
    return True


def stalled_docusign(session: Session, hours: int = 24) -> list[Contract]:
    """DocuSign contracts still out for signature with no Connect event for `hours`."""
    cutoff = utcnow() - timedelta(hours=hours)
    rows = session.exec(select(Contract).where(Contract.provider == "docusign",
                                               Contract.status.in_(("sent", "delivered")),
                                               Contract.envelope_id.is_not(None))).all()
    return [c for c in rows if _as_utc(c.last_provider_event_at or c.sent_at or c.created_at) <= cutoff]


# DocuSign, "eSignature API rules and resource limits": poll any one envelope at most once
# every 15 minutes (more GETs per envelope per hour answer Hourly_Envelope_Polling_Limit_Exceeded).
MIN_POLL_SECONDS = 15 * 60


def _poll_each(session: Session, envelopes: list[tuple[str, str]], poll, out: list) -> None:
    """For each (label, envelope id): claim the poll (at most once per MIN_POLL_SECONDS, across
    runs and hosts: the claim is a row in provider_state), then `poll(envelope id)` in a
    savepoint of its own, so one envelope that fails is reported and the others still apply."""
    from l2c_app.integrations.docusign_client import DocuSignError
    from l2c_app.integrations.models import claim_poll

    for label, envelope_id in envelopes:
        if not claim_poll(session, "docusign", envelope_id, MIN_POLL_SECONDS):
            out.append((label, "skipped (polled less than 15 minutes ago)"))
            continue
        try:
            with session.begin_nested():
                out.append((label, poll(envelope_id)))
        except DocuSignError as exc:
            out.append((label, f"failed: {exc}"))
        except Exception as exc:  # noqa: BLE001 - one envelope never rolls back the others
            logging.getLogger(__name__).exception("re-poll of envelope %s failed", envelope_id)
            out.append((label, f"failed: {type(exc).__name__}: {exc}"))


def repoll(session: Session, hours: int = 24, client=None) -> list[tuple[int, str]]:
    """Ask DocuSign for the state of stalled envelopes, so a lost webhook leaves nothing stuck."""
    from l2c_app.integrations.docusign_client import DocuSignClient

    client = client or DocuSignClient.from_settings()
    by_envelope = {c.envelope_id: c for c in stalled_docusign(session, hours)}

    def poll(envelope_id: str) -> str:
        contract = by_envelope[envelope_id]
        status = client.envelope_status(envelope_id)
        pdf = client.download_combined(envelope_id) if status == "completed" else None
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
        status = client.envelope_status(envelope_id)
        changed = apply_envelope_status(session, by_envelope[envelope_id], status, source="docusign:repoll")
        return status if changed else f"{status} (unchanged)"

    out: list[tuple[int, str]] = []
    _poll_each(session, [(by_envelope[e].id, e) for e in by_envelope], poll, out)
    return out


def repoll_all(session: Session, hours: int = 24, client=None) -> list[tuple[str, str]]:
    """`repoll` for contracts, then the change-order envelopes of the projects stage;
    (label, status) pairs for the CLI and the scheduled job."""
    from l2c_app.integrations.docusign_client import DocuSignClient

    client = client or DocuSignClient.from_settings()
    return ([(f"contract C-{cid}", status) for cid, status in repoll(session, hours, client)]
            + [(f"change order {coid}", status) for coid, status in repoll_change_orders(session, client, hours)])


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
        return Verification(True, f"Authentic: the signed PDF of contract C-{contract.id} “{contract.title}”, "
                                  f"completed {when}.", contract.id, "signed", digest)
    contract = session.exec(select(Contract).where(Contract.original_sha256 == digest)).first()
    if contract is not None:
        return Verification(True, f"This is the unsigned original of contract C-{contract.id} “{contract.title}” "
                                  f"(status {contract.status}), not a signed copy.", contract.id, "original", digest)
    return Verification(False, f"No contract matches this file (SHA-256 {digest}): it was changed after "
                               "signing, or it is not an l2c contract.", None, "unknown", digest)


# --- read models for pages and the API ----------------------------------------------------------

def contract_json(session: Session, c: Contract) -> dict:
    return {"id": c.id, "deal_id": c.deal_id, "quote_id": c.quote_id, "title": c.title, "status": c.status,
            "provider": c.provider, "envelope_id": c.envelope_id, "original_sha256": c.original_sha256,
            "signed_sha256": c.signed_sha256, "sent_at": c.sent_at.isoformat() if c.sent_at else None,
            "completed_at": c.completed_at.isoformat() if c.completed_at else None,
            "void_reason": c.void_reason, "declined_reason": c.declined_reason,
            "created_at": c.created_at.isoformat(),
            "signers": [{"id": s.id, "kind": s.kind, "routing_order": s.routing_order, "name": s.name,
                         "email": s.email, "status": s.status,
                         "signed_at": s.signed_at.isoformat() if s.signed_at else None}
                        for s in signers_of(session, c.id)]}


def list_contracts(session: Session, deal_id: int | None = None, status: str | None = None) -> list[dict]:
    stmt = select(Contract, Deal).join(Deal, Deal.id == Contract.deal_id).order_by(Contract.id.desc())
    if deal_id:
        stmt = stmt.where(Contract.deal_id == deal_id)
    if status:
        stmt = stmt.where(Contract.status == status)
    return [{"id": c.id, "title": c.title, "status": c.status, "provider": c.provider, "deal": d.title,
             "deal_id": d.id, "created": formats.day(c.created_at),
             "signed": bool(c.signed_document_id),
             "sent": formats.day(c.sent_at) if c.sent_at else ""} for c, d in session.exec(stmt).all()]


def acceptable_quotes(session: Session, deal_id: int | None = None) -> list[dict]:
    """Accepted quotes (newest first) to make a contract from, with whether one exists already."""
    stmt = select(Quote, Deal).join(Deal, Deal.id == Quote.deal_id).where(Quote.status == "accepted")
    if deal_id:
        stmt = stmt.where(Quote.deal_id == deal_id)
    from l2c_app.quotes.service import quote_label

    used = {qid for qid in session.exec(select(Contract.quote_id).where(Contract.status != "voided")) if qid}
    return [{"id": q.id, "label": f"{d.title} · {quote_label(q)} · {q.title}", "has_contract": q.id in used}
            for q, d in session.exec(stmt.order_by(Quote.id.desc())).all()]


def count_by_status(session: Session) -> dict[str, int]:
    return dict(session.exec(select(Contract.status, func.count()).group_by(Contract.status)).all())


def contract_detail(session: Session, contract_id: int) -> dict:
    c = _get(session, contract_id)
    from l2c_app.core.audit import history

    deal = session.get(Deal, c.deal_id)
    tz = formats.org_zone(session)
    data = contract_json(session, c)
    data.update({"body": c.body, "deal": deal.title if deal else "", "trail": list(c.audit_trail),
                 "unknown": merge.unknown_fields(c.body),
                 "audit": [{"at": formats.moment(a.at, tz), "actor": a.actor, "action": a.action,
                            "entity": a.entity} for a in history(session, "contract", c.id)]})
    return data


def _as_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- outbox deliveries (run by the worker after commit, no transaction open during the call) --

@handler("docusign.send")
def deliver_docusign_send(effect) -> str:
    """Create the envelope of a sent contract and record its id. DocuSign's create-envelope has
    no idempotency key: a contract that already has an envelope is never sent again, and a
    contract voided before the envelope was made gets none (or its new envelope voided)."""
    from l2c_app.core.db import session_scope
    from l2c_app.integrations.docusign_client import DocuSignClient, DocuSignError

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
        pdf = doc.data
        for row in (contract, *signers, *ccs):
            session.expunge(row)
    try:
        envelope_id = DocuSignClient.from_settings().create_envelope(contract, signers, ccs, pdf)
    except DocuSignError as exc:
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
            enqueue(session, "docusign.void", {"envelope_id": stale, "reason": reason},
                    f"docusign-void-{stale}", summary=f"Void DocuSign envelope {stale}",
                    related=("contract", contract_id))
    return envelope_id


@handler("docusign.void")
def deliver_docusign_void(effect) -> str:
    from l2c_app.integrations.docusign_client import DocuSignClient

    reason = effect.payload.get("reason") or "voided"
    DocuSignClient.from_settings().void_envelope(effect.payload["envelope_id"], reason)
    return "voided"
