"""Demo data for contracts: a signed contract and one out for signature, from accepted quotes."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import Actor
from l2c_app.core.models import OutboxMessage, User
from l2c_app.quotes.models import Quote


def _token(session: Session, contract_id: int, email: str) -> str | None:
    msg = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.related_entity == "contract",
            OutboxMessage.related_id == contract_id,
            OutboxMessage.to == email,
            OutboxMessage.link.is_not(None),
        )
        .order_by(OutboxMessage.id.desc())
    ).first()
    return msg.link.rsplit("/sign/", 1)[1] if msg and msg.link else None


def load(session: Session, ctx: dict) -> None:
    used = {c.quote_id for c in session.exec(select(Contract)) if c.quote_id}
    quotes = [
        q for q in session.exec(select(Quote).where(Quote.status == "accepted").order_by(Quote.id)) if q.id not in used
    ][:2]
    owner = session.exec(select(User).where(User.role == "owner")).first()
    made = 0
    for index, quote in enumerate(quotes):
        actor = Actor("user", quote.owner_id or (owner.id if owner else None))
        contract = svc.create_from_quote(session, actor, quote.id)
        if not [s for s in svc.signers_of(session, contract.id) if s.kind == "signer"]:
            continue  # no client contact with an e-mail: leave it as a draft
        if owner is not None:
            svc.add_signer(session, actor, contract.id, kind="countersigner", user_id=owner.id)
        svc.send(session, actor, contract.id, provider="builtin")
        made += 1
        if index == 0:  # the first one is signed by everyone, so later stages have a signed contract
            for signer in svc.signing_signers(session, contract.id):
                token = _token(session, contract.id, signer.email)
                if token:
                    svc.open_for_signing(session, token, "203.0.113.10", "Demo browser")
                    svc.sign(
                        session,
                        token,
                        consent=True,
                        typed_name=signer.name,
                        ip="203.0.113.10",
                        user_agent="Demo browser",
                    )
        ctx.setdefault("contracts", []).append(contract.id)
    session.flush()
    ctx.setdefault("counts", {})["contracts"] = made
