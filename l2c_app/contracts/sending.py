"""Sending a contract for signature: signing settings, the e-mail, one link per signer."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session

from l2c_app.contracts import merge
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.contracts.records import (
    TOKEN_DAYS,
    ContractError,
    _get,
    _set_status,
    _trail,
    sha256_hex,
    signers_of,
    signing_signers,
)
from l2c_app.contracts.rendering import render_pdf
from l2c_app.core import formats
from l2c_app.core.audit import SYSTEM, Actor, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.documents import store_document
from l2c_app.core.models import Document, User
from l2c_app.core.money import format_money
from l2c_app.core.notify import notify
from l2c_app.core.timeutil import utcnow
from l2c_app.outbox.service import enqueue
from l2c_app.pipeline.models import Account, Deal
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.ports import signatures
from l2c_app.ports.mailer import send_mail
from l2c_app.quotes.models import Quote

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
    return {
        "link_days": link_days(session),
        "docusign": signatures.available(signatures.DOCUSIGN, s),
        "docusign_account": s.docusign_account_id or "",
        "hmac_keys": len(s.docusign_connect_hmac_keys),
        "webhook_url": f"{s.app_base_url}/api/webhooks/docusign",
    }


INVITE_SUBJECT = "{org_name}: please sign “{document_title}”"
INVITE_BODY = (
    "Hello {contact_name},\n\n{org_name} asks you to sign “{document_title}”.\n"
    "Open the link below to read the document and sign it (or decline it). "
    "The link is personal and works until {due_date}.\n\n{link}\n"
)


def _email_values(
    session: Session, contract: Contract, signer: ContractSigner | None, *, link: str, until: str, actor: Actor = SYSTEM
) -> dict[str, str]:
    """The merge fields of a signing invitation (core.mailmerge), for one signer."""
    from l2c_app.quotes.service import quote_label

    org = get_organisation(session)
    org_name = org.name if org else "l2c"
    deal = session.get(Deal, contract.deal_id) if contract.deal_id else None
    account = session.get(Account, deal.account_id) if deal is not None and deal.account_id else None
    quote = session.get(Quote, contract.quote_id) if contract.quote_id else None
    sender = session.get(User, actor.user_id) if actor.user_id else None
    return {
        "client_name": account.name if account else "",
        "contact_name": signer.name if signer else "",
        "document_number": f"C{contract.id}",
        "document_title": contract.title,
        "total": format_money(merge.quote_total_minor(session, quote), quote.currency) if quote else "",
        "link": link,
        "due_date": until,
        "org_name": org_name,
        "sender_name": sender.name if sender else org_name,
        **({"document_number": f"C{contract.id} ({quote_label(quote)})"} if quote else {}),
    }


def email_draft(session: Session, actor: Actor, contract_id: int):
    """What the composer opens with: today's signing invitation as a template; it goes to the
    signers whose turn it is first (each with a personal link), so `to` is shown, not edited."""
    from l2c_app.core.mailmerge import Draft

    contract = _get(session, contract_id)
    first = _current_group(signing_signers(session, contract.id))
    until = formats.day(utcnow() + timedelta(days=link_days(session)))
    values = _email_values(
        session,
        contract,
        first[0] if first else None,
        until=until,
        actor=actor,
        link=f"{get_settings().app_base_url}/sign/… (each signer's personal link, made on sending)",
    )
    return Draft(
        to=", ".join(s.email for s in first),
        subject=INVITE_SUBJECT,
        body=INVITE_BODY,
        values=values,
        to_fixed=True,
        note="Each signer gets this message with their own name and personal link.",
    )


def _issue_token(
    session: Session, contract: Contract, signer: ContractSigner, message=None, actor: Actor = SYSTEM
) -> str:
    from l2c_app.core.mailmerge import Message, parse_addresses, rendered

    token = secrets.token_urlsafe(32)
    signer.token_hash = sha256_hex(token)
    signer.token_expires_at = utcnow() + timedelta(days=link_days(session))
    if signer.status == "created":
        signer.status = "sent"
    message = message or Message(subject=INVITE_SUBJECT, body=INVITE_BODY)
    values = _email_values(
        session, contract, signer, link=_link(token), actor=actor, until=formats.day(signer.token_expires_at)
    )
    subject, body = rendered(message, values)
    send_mail(
        session,
        to=signer.email,
        cc=parse_addresses(message.cc),
        subject=subject,
        body=body,
        link=_link(token),
        related=("contract", contract.id),
    )
    if signer.user_id is not None:
        # A team member (the counter-signer) hears of it in the bell and signs on the contract
        # page (on_behalf.sign_in_app) without digging the link out of the Outbox.
        notify(
            session,
            signer.user_id,
            "contract_to_sign",
            f"Your signature is needed on “{contract.title}”",
            link=f"/contracts/{contract.id}",
            email=False,
        )
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
    provider = provider or signatures.provider().name  # the install's default: DocuSign when configured
    if provider not in signatures.NAMES:
        raise ContractError("provider: builtin or docusign.")
    if not signatures.available(provider):
        raise ContractError("provider: DocuSign is not configured on this install.")
    contract.provider = provider
    contract.sent_at = utcnow()
    original = _original(session, contract)
    if signatures.provider(provider).is_external:
        # The envelope is an outbox effect: DocuSign is called by the worker after commit
        # (deliver_docusign_send), never inside this write transaction.
        session.flush()
        enqueue(
            session,
            "docusign.send",
            {"contract_id": contract.id, "document_id": original.id},
            f"docusign-send-c{contract.id}",
            summary=f"DocuSign envelope for “{contract.title}”",
            related=("contract", contract.id),
        )
        contract.last_provider_event_at = utcnow()
        for s in signers:
            s.status = "sent"
    else:
        for s in _current_group(signers):
            _issue_token(session, contract, s, message, actor)
        for cc in (s for s in signers_of(session, contract.id) if s.kind == "cc"):
            send_mail(
                session,
                to=cc.email,
                subject=f"Copy: “{contract.title}” was sent for signature",
                body=f"Hello {cc.name},\n\nYou are copied on “{contract.title}”. You will receive the "
                f"signed document once everyone has signed.\n",
                related=("contract", contract.id),
            )
    _trail(contract, "sent", actor.label, provider)
    _set_status(session, actor, contract, "sent")
    add_deal_event(
        session,
        contract.deal_id,
        f"Contract sent for signature: {contract.title}",
        body=", ".join(f"{s.name} <{s.email}>" for s in signers),
        user_id=actor.user_id,
    )
    return contract
