"""Contracts: create from an accepted quote or a deal, edit the draft, add and remove signers."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.contracts import merge
from l2c_app.contracts.models import Contract, ContractSigner, ContractTemplate
from l2c_app.contracts.records import SIGNER_KINDS, SIGNING_KINDS, ContractError, _get, _trail, signers_of
from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.models import User
from l2c_app.pipeline.models import Contact, Deal
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.models import Quote

# --- create and edit ------------------------------------------------------------------------


def _contact_signer(session: Session, contract: Contract, contact_id: int | None) -> None:
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is not None and contact.email:
        signer = ContractSigner(
            contract_id=contract.id,
            kind="signer",
            routing_order=1,
            name=contact.name,
            email=contact.email,
            contact_id=contact.id,
        )
        session.add(signer)


def create_from_quote(
    session: Session, actor: Actor, quote_id: int, template_id: int | None = None, title: str | None = None
) -> Contract:
    """A draft filled from the records: the scope table is the accepted quote's lines."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise ContractError("quote_id: no such quote.")
    if quote.status != "accepted":
        raise ContractError(f"quote_id: only an accepted quote becomes a contract (this one is {quote.status}).")
    existing = session.exec(
        select(Contract).where(Contract.quote_id == quote_id, Contract.status.not_in(("voided", "declined")))
    ).first()
    if existing is not None:
        raise ContractError(
            f"quote_id: contract C-{existing.id} already covers this quote (void it first to make a new one)."
        )
    deal = session.get(Deal, quote.deal_id)
    return _create(session, actor, deal, quote, template_id, title)


def create_from_deal(
    session: Session, actor: Actor, deal_id: int, template_id: int | None = None, title: str | None = None
) -> Contract:
    """From a deal: its latest accepted quote, else (a won deal) a contract without a scope table."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise ContractError("deal_id: no such deal.")
    quote = session.exec(
        select(Quote)
        .where(Quote.deal_id == deal_id, Quote.status == "accepted")
        .order_by(Quote.accepted_at.desc(), Quote.id.desc())
    ).first()
    if quote is None and deal.status != "won":
        raise ContractError("deal_id: the deal has no accepted quote and is not won.")
    return _create(session, actor, deal, quote, template_id, title)


def _create(
    session: Session, actor: Actor, deal: Deal, quote: Quote | None, template_id: int | None, title: str | None
) -> Contract:
    template = session.get(ContractTemplate, template_id) if template_id else merge.default_template(session)
    if template is None or template.archived_at is not None:
        raise ContractError("template_id: no such template.")
    title = (title or "").strip() or f"Agreement: {deal.title}"[:200]
    body = template.body
    if quote is None:  # a won deal without a quote: no scope table to fill
        body = body.replace("{{quote.lines}}", "")
    body = merge.fill(session, body, merge.MergeContext(deal=deal, quote=quote, title=title))
    contract = Contract(
        deal_id=deal.id,
        quote_id=quote.id if quote else None,
        template_id=template.id,
        title=title,
        body=body,
        created_by_id=actor.user_id,
    )
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


def add_signer(
    session: Session,
    actor: Actor,
    contract_id: int,
    *,
    kind: str = "signer",
    name: str = "",
    email: str = "",
    routing_order: int | None = None,
    contact_id: int | None = None,
    user_id: int | None = None,
) -> ContractSigner:
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
        if (
            deal is not None
            and deal.account_id is not None
            and contact.account_id is not None
            and contact.account_id != deal.account_id
        ):
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
        routing_order = (
            (max(signing, default=0) + 1)
            if kind == "countersigner"
            else min([s.routing_order for s in existing if s.kind == "signer"] or [1])
        )
    if not 1 <= int(routing_order) <= 99:
        raise ContractError("routing_order: between 1 and 99.")
    signer = ContractSigner(
        contract_id=contract_id,
        kind=kind,
        routing_order=int(routing_order),
        name=name,
        email=email,
        contact_id=contact_id,
        user_id=user_id,
    )
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
