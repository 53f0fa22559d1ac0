"""DocuSign through the real SDK against the local stand-in, and the Connect webhook."""

import base64
import json

import pytest
from conftest import HMAC_KEY, OLD_HMAC_KEY, make_world
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.api.app import build_api
from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import Actor
from l2c_app.core.models import Document, WebhookEvent
from l2c_app.outbox.worker import deliver_outbox
from l2c_app.pipeline.models import Activity


@pytest.fixture
def sent(session, docusign):
    """A contract sent through DocuSign (client signer + counter-signer + CC)."""
    world = make_world(session)
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.add_signer(session, world.actor, contract.id, kind="countersigner", user_id=world.owner_id)
    svc.add_signer(session, world.actor, contract.id, kind="cc", name="Finance", email="finance@client.test")
    svc.send(session, world.actor, contract.id)  # DocuSign is configured: it is the default
    session.commit()
    deliver_outbox()  # the envelope is an outbox effect, made after commit
    session.refresh(contract)
    return contract


@pytest.fixture
def client(db_url):
    return TestClient(build_api())


def post(client, raw, headers):
    return client.post("/api/webhooks/docusign", content=raw, headers=headers)


def status_of(session, contract_id):
    session.expire_all()
    return session.get(Contract, contract_id)


def test_envelope_is_created_with_anchor_tabs_custom_field_and_hmac_connect(sent, docusign):
    assert sent.provider == "docusign" and sent.status == "sent"
    env = docusign.envelopes[sent.envelope_id]
    signers = env.definition["recipients"]["signers"]
    assert [s["tabs"]["signHereTabs"][0]["anchorString"] for s in signers] == ["/sig1/", "/sig2/"]
    assert [s["tabs"]["dateSignedTabs"][0]["anchorString"] for s in signers] == ["/date1/", "/date2/"]
    assert [s["routingOrder"] for s in signers] == ["1", "2"]
    assert env.definition["recipients"]["carbonCopies"][0]["email"] == "finance@client.test"
    assert env.contract_id == str(sent.id)
    notification = env.definition["eventNotification"]
    assert notification["includeHMAC"] == "true" and notification["deliveryMode"] == "SIM"
    assert notification["eventData"]["format"] == "json" and notification["url"].endswith("/api/webhooks/docusign")
    # Connect best practice: no documents on every event (the signed PDF is downloaded once).
    assert notification["eventData"]["includeData"] == ["custom_fields", "recipients"]
    assert ("POST", "/oauth/token") in docusign.requests  # the JWT grant, checked by the stand-in


def test_valid_signature_applies_events_and_timeline(session, sent, docusign, client):
    raw = docusign.connect_message(sent.envelope_id, "envelope-delivered")
    assert post(client, raw, docusign.sign(raw, HMAC_KEY)).json() == {"status": "applied"}
    assert status_of(session, sent.id).status == "delivered"
    raw = docusign.connect_message(sent.envelope_id, "envelope-completed", include_documents=True)
    # A key being rotated out is still accepted (the rotation is announced in the settings).
    assert post(client, raw, docusign.sign(raw, OLD_HMAC_KEY)).json() == {"status": "applied"}
    contract = status_of(session, sent.id)
    assert contract.status == "completed"
    doc = session.get(Document, contract.signed_document_id)
    # Documents in the message are each document as signed (ours is "1"), never the combined PDF:
    # the record kept is the combined PDF with the Certificate of Completion, downloaded once.
    (embedded,) = json.loads(raw)["data"]["envelopeSummary"]["envelopeDocuments"]
    assert embedded["documentId"] == "1"
    assert base64.b64decode(embedded["PDFBytes"]) == docusign.envelopes[sent.envelope_id].documents["1"]
    assert doc.data != base64.b64decode(embedded["PDFBytes"]) and contract.signed_sha256 == doc.sha256
    downloads = [r[1] for r in docusign.requests if r[0] == "GET" and "/documents/combined" in r[1]]
    assert len(downloads) == 1 and "certificate=true" in downloads[0]
    assert "Certificate Of Completion" in _text(doc.data)
    subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == contract.deal_id))]
    assert any(s.startswith("Contract viewed (DocuSign)") for s in subjects)
    assert any(s.startswith("Contract signed (DocuSign)") for s in subjects)


def _text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


def test_completed_without_documents_downloads_the_combined_pdf(session, sent, docusign, client):
    raw = docusign.connect_message(sent.envelope_id, "envelope-completed", include_documents=False)
    assert post(client, raw, docusign.sign(raw, HMAC_KEY)).status_code == 200
    contract = status_of(session, sent.id)
    assert contract.status == "completed"
    assert any(
        r[0] == "GET" and "/documents/combined?" in r[1] and "certificate=true" in r[1] for r in docusign.requests
    )
    data = session.get(Document, contract.signed_document_id).data
    assert data.startswith(b"%PDF") and svc.verify_pdf(session, data).kind == "signed"
    assert "Certificate Of Completion" in _text(data)


@pytest.mark.parametrize("case", ["tampered", "reserialised", "missing", "wrong_key"])
def test_bad_signatures_are_refused_before_anything_is_stored(session, sent, docusign, client, case):
    raw = docusign.connect_message(sent.envelope_id, "envelope-completed")
    headers = docusign.sign(raw, HMAC_KEY)
    if case == "tampered":
        body = raw.replace(b'"status":"completed"', b'"status":"completee"', 1)
        assert body != raw
    elif case == "reserialised":  # same JSON, different bytes: the HMAC is over the raw body
        body = json.dumps(json.loads(raw), indent=1).encode()
    elif case == "missing":
        body, headers = raw, {"Content-Type": "application/json"}
    else:
        body, headers = raw, docusign.sign(raw, "some-other-key")
    response = post(client, body, headers)
    assert response.status_code == 401 and "X-DocuSign-Signature-1" in response.json()["detail"]
    assert session.exec(select(WebhookEvent)).all() == []
    assert status_of(session, sent.id).status == "sent"


def test_duplicate_event_changes_nothing(session, sent, docusign, client):
    raw = docusign.connect_message(sent.envelope_id, "envelope-completed", generated="2026-11-28T10:00:00.0000000Z")
    headers = docusign.sign(raw, HMAC_KEY)
    assert post(client, raw, headers).json() == {"status": "applied"}
    assert post(client, raw, headers).json() == {"status": "duplicate"}
    assert len(session.exec(select(WebhookEvent)).all()) == 1
    assert len(session.exec(select(Document).where(Document.kind == "contract_signed")).all()) == 1


def test_out_of_order_events_only_move_forward(session, sent, docusign, client):
    completed = docusign.connect_message(sent.envelope_id, "envelope-completed")
    assert post(client, completed, docusign.sign(completed, HMAC_KEY)).json() == {"status": "applied"}
    late = docusign.connect_message(sent.envelope_id, "envelope-delivered")
    assert post(client, late, docusign.sign(late, HMAC_KEY)).json() == {"status": "ignored"}
    assert status_of(session, sent.id).status == "completed"
    voided = docusign.connect_message(sent.envelope_id, "envelope-voided")
    assert post(client, voided, docusign.sign(voided, HMAC_KEY)).json() == {"status": "ignored"}
    rows = session.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [r.outcome for r in rows] == ["applied", "ignored", "ignored"]  # every event kept with its outcome


def test_declined_event_records_the_reason(session, sent, docusign, client):
    raw = docusign.connect_message(sent.envelope_id, "envelope-declined")
    post(client, raw, docusign.sign(raw, HMAC_KEY))
    contract = status_of(session, sent.id)
    assert contract.status == "declined" and contract.declined_reason == "Not what we agreed"


def test_repoll_catches_a_lost_webhook(session, sent, docusign):
    from datetime import timedelta

    contract = status_of(session, sent.id)
    assert svc.stalled_docusign(session) == []  # just sent: not stalled
    contract.last_provider_event_at = contract.last_provider_event_at - timedelta(hours=25)
    session.commit()
    docusign.envelopes[sent.envelope_id].status = "completed"  # the Connect message was lost
    assert svc.repoll(session) == [(sent.id, "completed")]
    session.commit()
    contract = status_of(session, sent.id)
    assert contract.status == "completed" and contract.signed_document_id


def test_void_reaches_docusign(session, sent, docusign):
    svc.void(session, Actor("user", None), sent.id, "Client changed their mind")
    session.commit()
    assert docusign.envelopes[sent.envelope_id].status != "voided"  # nothing outside before the worker ran
    deliver_outbox()
    assert docusign.envelopes[sent.envelope_id].status == "voided"
    assert status_of(session, sent.id).status == "voided"


def test_failed_processing_is_retried_by_the_redelivery(session, sent, docusign, client):
    """DocuSign retries when we answer an error: the recorded-but-failed event is applied then."""
    docusign.fail_downloads = 1
    raw = docusign.connect_message(
        sent.envelope_id, "envelope-completed", include_documents=False, generated="2026-11-28T11:00:00.0000000Z"
    )
    headers = docusign.sign(raw, HMAC_KEY)
    assert post(client, raw, headers).status_code == 503
    row = session.exec(select(WebhookEvent)).one()
    assert row.outcome == "failed" and "500" in row.detail
    assert status_of(session, sent.id).status == "sent"
    assert post(client, raw, headers).json() == {"status": "applied"}
    assert status_of(session, sent.id).status == "completed"


def test_cli_repoll(session, sent, docusign, capsys):
    from datetime import timedelta

    from l2c_app.cli import main

    contract = status_of(session, sent.id)
    contract.last_provider_event_at = contract.last_provider_event_at - timedelta(hours=30)
    session.commit()
    docusign.envelopes[sent.envelope_id].status = "delivered"
    assert main(["contracts", "repoll"]) == 0
    assert f"contract C-{sent.id}: delivered" in capsys.readouterr().out
    assert status_of(session, sent.id).status == "delivered"
