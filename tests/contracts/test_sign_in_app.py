"""A team counter-signer is told in the bell and signs on the contract page, signed in (no link
from the Outbox); the last signer gets the signed PDF at once."""

import pytest
from sqlmodel import select

from l2c_app.contracts import on_behalf
from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.core.models import AuditLog, Notification, OutboxMessage


def links(session, email):
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id)).all()
    return [m.link.rsplit("/sign/", 1)[1] for m in rows if m.link and "/sign/" in m.link]


def sent_with_countersigner(session, world):
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.add_signer(session, world.actor, contract.id, kind="countersigner", user_id=world.owner_id)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    return contract


def bell(session, user_id):
    return list(
        session.exec(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == "contract_to_sign")
        )
    )


def test_countersigner_is_told_in_the_bell_when_it_is_their_turn_and_signs_in_the_app(session, world):
    contract = sent_with_countersigner(session, world)
    owner = Actor("user", world.owner_id)
    # Not their turn yet: no bell, no Sign action, and signing in the app is refused.
    assert bell(session, world.owner_id) == []
    assert on_behalf.my_turn(session, world.owner_id, contract.id) is None
    with pytest.raises(DomainError) as refused:
        on_behalf.sign_in_app(session, owner, contract.id, consent=True, typed_name="Olivia Owner")
    assert refused.value.kind == "forbidden" and refused.value.code == "not_your_turn"

    svc.sign(session, links(session, "zoe@client.test")[0], consent=True, typed_name="Zoë Łukasiewicz")
    session.commit()
    with pytest.raises(svc.SigningLinkError, match="once everyone has signed"):
        svc.signed_copy(session, links(session, "zoe@client.test")[0])  # signed, the owner not yet
    notes = bell(session, world.owner_id)
    assert len(notes) == 1 and notes[0].link == f"/contracts/{contract.id}" and "Your signature" in notes[0].text
    mine = on_behalf.my_turn(session, world.owner_id, contract.id)
    assert mine is not None and mine.kind == "countersigner"
    # Another team member (the seller) is not the signer: refused.
    assert on_behalf.my_turn(session, world.seller_id, contract.id) is None
    with pytest.raises(DomainError):
        on_behalf.sign_in_app(session, world.actor, contract.id, consent=True, typed_name="Sam Seller")
    # Consent and the typed name are the same rule as the public page.
    with pytest.raises(svc.ContractError, match="consent"):
        on_behalf.sign_in_app(session, owner, contract.id, consent=False, typed_name="Olivia Owner")
    session.rollback()

    done = on_behalf.sign_in_app(session, owner, contract.id, consent=True, typed_name="  Olivia   Owner ")
    session.commit()
    done = session.get(Contract, contract.id)
    assert done.status == "completed" and done.signed_document_id is not None
    row = session.get(ContractSigner, mine.id)
    assert row.status == "signed" and row.typed_name == "Olivia Owner"
    assert row.user_agent == f"signed in the app by user:{world.owner_id}"
    assert (
        session.exec(
            select(AuditLog).where(
                AuditLog.entity == "contract", AuditLog.entity_id == contract.id, AuditLog.action == "signed_in_app"
            )
        ).first()
        is not None
    )
    # Signed twice: refused (it is no longer their turn).
    with pytest.raises(DomainError):
        on_behalf.sign_in_app(session, owner, contract.id, consent=True, typed_name="Olivia Owner")


def test_the_last_signer_downloads_the_signed_copy_with_their_link(session, world):
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    token = links(session, "zoe@client.test")[0]
    with pytest.raises(svc.SigningLinkError, match="not valid"):
        svc.signed_copy(session, token)  # not signed yet: the link opens the page, not a copy
    svc.sign(session, token, consent=True, typed_name="Zoë Łukasiewicz")
    session.commit()
    filename, data = svc.signed_copy(session, token)
    done = session.get(Contract, contract.id)
    assert filename.endswith("-signed.pdf") and data.startswith(b"%PDF")
    assert svc.sha256_hex(data) == done.signed_sha256
    with pytest.raises(svc.SigningLinkError):
        svc.signed_copy(session, "x" * 43)  # an unknown token gets nothing


def test_the_composer_message_goes_to_each_first_signer_with_their_link_and_cc(session, world):
    from l2c_app.core.mailmerge import Message

    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.add_signer(session, world.actor, contract.id, kind="countersigner", user_id=world.owner_id)
    session.commit()
    draft = svc.email_draft(session, world.actor, contract.id)
    assert draft.to == "zoe@client.test" and draft.to_fixed and draft.subject == svc.INVITE_SUBJECT
    with pytest.raises(DomainError) as err:
        svc.send(session, world.actor, contract.id, message=Message(subject="{nope}", body="b"))
    assert err.value.field == "subject"
    session.rollback()
    assert session.get(Contract, contract.id).status == "draft"
    svc.send(
        session,
        world.actor,
        contract.id,
        provider="builtin",
        message=Message(
            cc="legal@client.test", subject="Please sign {document_title}", body="Dear {contact_name}: {link}"
        ),
    )
    session.commit()
    msg = session.exec(select(OutboxMessage).where(OutboxMessage.to == "zoe@client.test")).one()
    assert msg.cc == "legal@client.test" and msg.subject == f"Please sign {contract.title}"
    assert msg.body == f"Dear Zoë Łukasiewicz: {msg.link}" and "/sign/" in msg.link
    # The counter-signer's invitation later is today's default text.
    svc.sign(session, links(session, "zoe@client.test")[0], consent=True, typed_name="Zoë Łukasiewicz")
    session.commit()
    owner_msg = session.exec(select(OutboxMessage).where(OutboxMessage.to == "owner@northwind.test")).one()
    assert "asks you to sign" in owner_msg.body and owner_msg.cc == ""
