"""The built-in signer: routing order, tokens, consent, decline, completion, certificate, verify."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from l2c_app.contracts import service as svc
from l2c_app.contracts import views
from l2c_app.contracts.models import Contract, ContractSigner
from l2c_app.core.models import AuditLog, Document, OutboxMessage
from l2c_app.pipeline.models import Activity


def links(session, email):
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id)).all()
    return [m.link.rsplit("/sign/", 1)[1] for m in rows if m.link and "/sign/" in m.link]


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def draft_with_countersigner(session, world):
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.add_signer(session, world.actor, contract.id, kind="countersigner", user_id=world.owner_id)
    svc.add_signer(session, world.actor, contract.id, kind="cc", name="Finance", email="finance@client.test")
    session.commit()
    return contract


def test_only_an_accepted_quote_becomes_a_contract(session, world):
    from l2c_app.quotes.models import Quote

    quote = session.get(Quote, world.quote_id)
    quote.status = "sent"
    session.commit()
    with pytest.raises(svc.ContractError, match="quote_id: only an accepted quote"):
        svc.create_from_quote(session, world.actor, world.quote_id)


def test_full_signing_in_routing_order_with_certificate(session, world):
    contract = draft_with_countersigner(session, world)
    assert sorted(s.kind for s in svc.signers_of(session, contract.id)) == ["cc", "countersigner", "signer"]
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    original = session.get(Document, contract.original_document_id)
    assert "/sig1/" in pdf_text(original.data) and "/sig2/" in pdf_text(original.data)  # anchors, in white
    client_token = links(session, "zoe@client.test")[0]
    # The counter-signer gets nothing until the client has signed.
    assert links(session, "owner@northwind.test") == []
    token_row = session.exec(select(ContractSigner).where(ContractSigner.kind == "signer")).one()
    assert token_row.token_hash == svc.sha256_hex(client_token) != client_token

    view = svc.open_for_signing(session, client_token, "10.0.0.1", "Firefox")
    assert view.signer_name == "Zoë Łukasiewicz" and "Discovery workshop" in view.body
    session.commit()
    assert session.get(Contract, contract.id).status == "delivered"
    with pytest.raises(svc.ContractError, match="consent"):
        svc.sign(session, client_token, consent=False, typed_name="Zoë Łukasiewicz")
    with pytest.raises(svc.ContractError, match="typed_name"):
        svc.sign(session, client_token, consent=True, typed_name=" ")
    svc.sign(session, client_token, consent=True, typed_name="Zoë Łukasiewicz", ip="10.0.0.1", user_agent="Firefox")
    session.commit()
    with pytest.raises(svc.SigningLinkError, match="already signed"):
        svc.sign(session, client_token, consent=True, typed_name="Zoë Łukasiewicz")

    owner_token = links(session, "owner@northwind.test")[0]
    svc.open_for_signing(session, owner_token, "10.0.0.2", "Chromium")
    svc.sign(session, owner_token, consent=True, typed_name="Olivia Owner", ip="10.0.0.2", user_agent="Chromium")
    session.commit()

    contract = session.get(Contract, contract.id)
    assert contract.status == "completed" and contract.completed_at is not None
    signed = session.get(Document, contract.signed_document_id)
    assert signed.sha256 == contract.signed_sha256 == svc.sha256_hex(signed.data)
    text = pdf_text(signed.data)
    assert "Certificate of completion" in text
    for expected in (
        "Zoë Łukasiewicz",
        "zoe@client.test",
        "10.0.0.1",
        "Firefox",
        "Olivia Owner",
        "10.0.0.2",
        contract.original_sha256,
    ):
        assert expected in text
    # Tokens stop working once the envelope is complete.
    with pytest.raises(svc.SigningLinkError, match="completed"):
        svc.open_for_signing(session, client_token)
    # Everyone (CC included) gets the signed PDF attached.
    finals = session.exec(select(OutboxMessage).where(OutboxMessage.subject.like("Signed:%"))).all()
    assert {m.to for m in finals} == {"zoe@client.test", "owner@northwind.test", "finance@client.test"}
    assert all(m.attachment_ids == [signed.id] for m in finals)
    subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == world.deal_id))]
    assert any(s.startswith("Contract sent") for s in subjects)
    assert "Contract viewed by Zoë Łukasiewicz" in subjects
    assert "Contract signed by Zoë Łukasiewicz" in subjects and "Contract signed by Olivia Owner" in subjects
    assert any(s.startswith("Contract fully signed") for s in subjects)
    actions = {a.action for a in session.exec(select(AuditLog).where(AuditLog.entity == "contract"))}
    assert {"create", "sent", "delivered", "completed"} <= actions

    # verify: the stored signed PDF is authentic, one changed byte is not.
    assert svc.verify_pdf(session, signed.data).kind == "signed"
    middle = len(signed.data) // 2
    tampered = signed.data[:middle] + bytes([signed.data[middle] ^ 1]) + signed.data[middle + 1 :]
    assert tampered != signed.data and not svc.verify_pdf(session, tampered).ok
    assert svc.verify_pdf(session, session.get(Document, contract.original_document_id).data).kind == "original"


def test_decline_needs_a_reason_and_ends_the_contract(session, world):
    contract = draft_with_countersigner(session, world)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    token = links(session, "zoe@client.test")[0]
    with pytest.raises(svc.ContractError, match="reason"):
        svc.decline(session, token, reason="")
    svc.decline(session, token, reason="Price is too high")
    session.commit()
    contract = session.get(Contract, contract.id)
    assert contract.status == "declined" and contract.declined_reason == "Price is too high"
    with pytest.raises(svc.SigningLinkError):
        svc.open_for_signing(session, token)
    assert session.exec(select(Activity).where(Activity.subject == "Contract declined by Zoë Łukasiewicz")).first()
    # Final: nothing moves it any more.
    with pytest.raises(svc.ContractError, match="cannot be voided"):
        svc.void(session, world.actor, contract.id, "late")


def test_void_requires_a_reason_and_kills_links(session, world):
    contract = draft_with_countersigner(session, world)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    token = links(session, "zoe@client.test")[0]
    with pytest.raises(svc.ContractError, match="reason"):
        svc.void(session, world.actor, contract.id, "  ")
    svc.void(session, world.actor, contract.id, "Wrong scope")
    session.commit()
    with pytest.raises(svc.SigningLinkError):
        svc.open_for_signing(session, token)
    assert session.get(Contract, contract.id).status == "voided"


def test_expired_and_guessed_tokens_are_refused(session, world):
    contract = draft_with_countersigner(session, world)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    token = links(session, "zoe@client.test")[0]
    with pytest.raises(svc.SigningLinkError, match="not valid"):
        svc.open_for_signing(session, token[:-1] + ("A" if token[-1] != "A" else "B"))
    signer = session.exec(select(ContractSigner).where(ContractSigner.kind == "signer")).one()
    signer.token_expires_at = signer.token_expires_at - timedelta(days=30)
    session.commit()
    with pytest.raises(svc.SigningLinkError, match="expired"):
        svc.open_for_signing(session, token)


def test_resend_to_a_changed_signer_invalidates_the_old_link(session, world):
    contract = draft_with_countersigner(session, world)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    old = links(session, "zoe@client.test")[0]
    signer = session.exec(select(ContractSigner).where(ContractSigner.kind == "signer")).one()
    svc.change_signer(session, world.actor, signer.id, "Yann Other", "yann@client.test")
    session.commit()
    with pytest.raises(svc.SigningLinkError):
        svc.open_for_signing(session, old)
    new = links(session, "yann@client.test")[0]
    assert svc.open_for_signing(session, new).signer_name == "Yann Other"
    # The counter-signer cannot be sent a link before their turn.
    counter = session.exec(select(ContractSigner).where(ContractSigner.kind == "countersigner")).one()
    with pytest.raises(svc.ContractError, match="not this signer's turn"):
        svc.resend(session, world.actor, counter.id)


def test_status_only_moves_forward():
    assert svc.can_move("draft", "sent") and svc.can_move("sent", "completed")
    assert not svc.can_move("completed", "delivered") and not svc.can_move("delivered", "sent")
    assert not svc.can_move("voided", "completed") and not svc.can_move("declined", "voided")


def test_draft_edit_refuses_unknown_fields_and_sent_contracts(session, world):
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    with pytest.raises(svc.ContractError, match="client.nmae"):
        svc.update_draft(session, world.actor, contract.id, "T", "Hi {{client.nmae}}")
    svc.update_draft(session, world.actor, contract.id, "New title", contract.body + "\n\nExtra clause.")
    svc.send(session, world.actor, contract.id, provider="builtin")
    with pytest.raises(svc.ContractError, match="only a draft"):
        svc.update_draft(session, world.actor, contract.id, "T", "x")
    assert re.search(r"Extra clause", session.get(Contract, contract.id).body)


def test_demo_loader_signs_one_contract_and_sends_another(session):
    from conftest import make_world

    from l2c_app.contracts import demo

    make_world(session)
    make_world(session, client_email="second@client.test")
    ctx: dict = {}
    demo.load(session, ctx)
    session.commit()
    statuses = [session.get(Contract, cid).status for cid in ctx["contracts"]]
    assert statuses == ["completed", "sent"] and ctx["counts"]["contracts"] == 2


def test_client_data_with_markup_prints_as_text_in_the_pdf(session):
    from conftest import make_world

    world = make_world(session, account_name='Bad__Name -- <img src=x onerror="x()"> **Co**')
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    text = pdf_text(svc.render_pdf(session, contract))
    assert "Bad__Name -- <img src=x" in text


def test_link_lifetime_is_a_setting(session, world):
    from l2c_app.core.timeutil import utcnow

    with pytest.raises(svc.ContractError, match="contract_link_days"):
        svc.set_link_days(session, world.actor, 0)
    svc.set_link_days(session, world.actor, 3)
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.send(session, world.actor, contract.id, provider="builtin")
    signer = session.exec(select(ContractSigner).where(ContractSigner.kind == "signer")).one()
    assert timedelta(days=2, hours=23) < views._as_utc(signer.token_expires_at) - utcnow() <= timedelta(days=3)


def test_one_live_contract_per_quote(session, world):
    first = svc.create_from_quote(session, world.actor, world.quote_id)
    with pytest.raises(svc.ContractError, match=f"C-{first.id} already covers"):
        svc.create_from_quote(session, world.actor, world.quote_id)
    svc.void(session, world.actor, first.id, "Redo with new terms")
    assert svc.create_from_quote(session, world.actor, world.quote_id).id != first.id


def test_signature_starts_delivery_when_the_organisation_asks_for_it(session, world):
    """With `auto_project_on_signature`, the last signature creates the project: no click."""
    from l2c_app.projects import service as projects
    from l2c_app.projects.models import Project

    projects.save_delivery_settings(session, world.actor, time_approval_required=True, auto_project_on_signature=True)
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.send(session, world.actor, contract.id, provider="builtin")
    session.commit()
    token = links(session, "zoe@client.test")[0]
    svc.sign(session, token, consent=True, typed_name="Zoë Łukasiewicz", ip="10.0.0.1", user_agent="Firefox")
    session.commit()
    project = session.exec(select(Project).where(Project.contract_id == contract.id)).one()
    assert project.deal_id == world.deal_id
