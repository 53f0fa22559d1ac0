"""Change orders on a DocuSign contract: sent as an envelope through the real SDK (against the
stand-in of tests/contracts), decided by signed Connect events on the shared webhook."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlmodel import select

from l2c_app.api.app import build_api
from l2c_app.core.audit import Actor
from l2c_app.core.models import AuditLog, WebhookEvent
from l2c_app.outbox.worker import deliver_outbox
from l2c_app.pipeline.models import Activity
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine, ChangeOrder

from .conftest import STANDARD_LINES, make_deal, make_quote

sys.path.insert(0, str(Path(__file__).parent.parent / "contracts"))
from docusign_standin import configured_standin  # noqa: E402

HMAC_KEY = "co-connect-key-2026"


@pytest.fixture
def docusign(db_url, tmp_path, monkeypatch):
    """The stand-in running and the app's settings pointing at it (as tests/contracts does)."""
    with configured_standin(tmp_path, monkeypatch, HMAC_KEY, ("ik-1", "user-1", "acc-1")) as standin:
        yield standin


@pytest.fixture
def project(session, world):
    """A project whose contract was signed through DocuSign."""
    world.contract.provider, world.contract.envelope_id = "docusign", "contract-envelope"
    session.add(world.contract)
    p = svc.create_project_from_contract(session, world.actor, world.contract.id)
    session.commit()
    return p


@pytest.fixture
def sent_co(session, world, project, docusign):
    co = svc.create_change_order(
        session, world.actor, project.id, description="Extra landing page", amount_minor=150000
    )
    svc.send_change_order(session, world.actor, co.id)
    session.commit()
    deliver_outbox()  # the envelope is made by the outbox worker after the commit
    return fresh(session, co.id)


@pytest.fixture
def client(db_url):
    return TestClient(build_api())


def post_event(client, docusign, envelope_id, event, key=HMAC_KEY, **kw):
    raw = docusign.connect_message(envelope_id, event, **kw)
    return client.post("/api/webhooks/docusign", content=raw, headers=docusign.sign(raw, key))


def fresh(session, co_id) -> ChangeOrder:
    session.expire_all()
    return session.get(ChangeOrder, co_id)


def test_sending_creates_an_envelope_for_the_contract_signer(session, sent_co, docusign):
    co = fresh(session, sent_co.id)
    assert co.status == "sent" and co.provider == "docusign" and co.envelope_id in docusign.envelopes
    definition = docusign.envelopes[co.envelope_id].definition
    assert definition["customFields"]["textCustomFields"] == [
        {"name": "l2c_change_order_id", "value": str(co.id), "required": "false", "show": "false"}
    ]
    [signer] = definition["recipients"]["signers"]
    assert (signer["name"], signer["email"]) == ("Carla Client", "carla@globex.test")
    assert signer["tabs"]["signHereTabs"][0]["anchorString"] == "/sig1/"  # the stand-in found it in the PDF
    assert definition["eventNotification"]["includeHMAC"] == "true"
    assert svc.change_order_json(co)["provider"] == "docusign"
    with pytest.raises(svc.DeliveryError):  # one envelope per change order
        svc.send_change_order(session, Actor("user", None), co.id)
    with pytest.raises(svc.DeliveryError):  # and the public link does not decide it on the side
        svc.approve_change_order_by_token(session, co.public_token, "Carla Client")


def test_without_docusign_the_public_link_is_sent(session, world, project):
    co = svc.create_change_order(session, world.actor, project.id, description="Copy edits", amount_minor=10000)
    svc.send_change_order(session, world.actor, co.id)  # DocuSign not configured here
    assert co.status == "sent" and co.provider == "builtin" and co.envelope_id is None


def test_the_envelope_is_made_after_commit_never_inside_the_transaction(session, world, project, docusign):
    co = svc.create_change_order(session, world.actor, project.id, description="Copy edits", amount_minor=10000)
    session.commit()
    svc.send_change_order(session, world.actor, co.id)
    assert docusign.envelopes == {}  # nothing leaves inside the transaction
    session.rollback()  # a rolled-back send makes no envelope
    deliver_outbox()
    assert fresh(session, co.id).status == "draft" and fresh(session, co.id).envelope_id is None
    svc.send_change_order(session, world.actor, co.id)
    session.commit()
    deliver_outbox()
    deliver_outbox()  # once: a second round makes no second envelope
    co = fresh(session, co.id)
    assert co.status == "sent" and co.envelope_id in docusign.envelopes
    assert sum("l2c_change_order_id" in str(e.definition) for e in docusign.envelopes.values()) == 1


def test_docusign_refusal_puts_it_back_to_draft(session, world, project, docusign, monkeypatch):
    from l2c_app.core.config import reset_settings
    from l2c_app.outbox.models import OutboxEffect

    monkeypatch.setenv("DOCUSIGN_ACCOUNT_ID", "not-our-account")  # the stand-in answers 400
    reset_settings()
    co = svc.create_change_order(session, world.actor, project.id, description="Copy edits", amount_minor=10000)
    svc.send_change_order(session, world.actor, co.id)
    session.commit()
    deliver_outbox()
    co = fresh(session, co.id)
    assert co.status == "draft" and co.envelope_id is None and co.provider == "builtin"
    effect = session.exec(select(OutboxEffect).where(OutboxEffect.kind == "docusign.change_order_send")).one()
    assert effect.status == "failed" and "DocuSign" in (effect.last_error or "")
    subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == world.deal.id))]
    assert any(s.startswith("DocuSign refused change order #") for s in subjects)


def test_completed_event_approves_and_raises_the_budget_once(session, world, project, sent_co, docusign, client):
    before = svc.planned_total(session, project.id, include_change_orders=True)
    assert post_event(client, docusign, sent_co.envelope_id, "envelope-delivered").json() == {"status": "ignored"}
    assert fresh(session, sent_co.id).status == "sent"
    response = post_event(
        client, docusign, sent_co.envelope_id, "envelope-completed", generated="2026-11-28T10:00:00.0000000Z"
    )
    assert response.json() == {"status": "applied"}
    co = fresh(session, sent_co.id)
    assert co.status == "approved" and co.approved_name == "Carla Client"
    assert svc.planned_total(session, project.id, include_change_orders=True) == before + 150000
    assert [c.id for c in svc.billable_change_orders(session, project.id)] == [co.id]
    assert (
        session.exec(
            select(AuditLog).where(
                AuditLog.entity == "changeorder", AuditLog.entity_id == co.id, AuditLog.action == "approved"
            )
        )
        .one()
        .actor
        == "webhook:docusign"
    )
    subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == world.deal.id))]
    assert "Change order #1 approved by Carla Client" in subjects
    # The same message again (DocuSign retries) and a late void change nothing.
    duplicate = post_event(
        client, docusign, sent_co.envelope_id, "envelope-completed", generated="2026-11-28T10:00:00.0000000Z"
    )
    assert duplicate.json() == {"status": "duplicate"}
    assert post_event(client, docusign, sent_co.envelope_id, "envelope-voided").json() == {"status": "ignored"}
    assert fresh(session, sent_co.id).status == "approved"
    assert svc.planned_total(session, project.id, include_change_orders=True) == before + 150000
    assert [r.outcome for r in session.exec(select(WebhookEvent).order_by(WebhookEvent.id))] == [
        "ignored",
        "applied",
        "ignored",
    ]


def test_hours_change_order_signed_in_docusign_adds_its_budget_line(session, world, project, docusign, client):
    co = svc.create_change_order(
        session,
        world.actor,
        project.id,
        description="Data migration",
        kind="hours",
        minutes=600,
        rate_minor=11000,
        role="Senior developer",
    )
    svc.send_change_order(session, world.actor, co.id)
    session.commit()
    deliver_outbox()
    co = fresh(session, co.id)
    assert post_event(client, docusign, co.envelope_id, "envelope-completed").json() == {"status": "applied"}
    session.expire_all()
    assert session.exec(select(BudgetLine).where(BudgetLine.change_order_id == co.id)).one().amount_minor == 110000


@pytest.mark.parametrize("event", ["envelope-declined", "envelope-voided"])
def test_declined_or_voided_envelope_declines(session, project, sent_co, docusign, client, event):
    before = svc.planned_total(session, project.id, include_change_orders=True)
    assert post_event(client, docusign, sent_co.envelope_id, event).json() == {"status": "applied"}
    assert fresh(session, sent_co.id).status == "declined"
    assert svc.billable_change_orders(session, project.id) == []
    completed = post_event(client, docusign, sent_co.envelope_id, "envelope-completed")
    assert completed.json() == {"status": "ignored"}  # forward-only: a declined change stays declined
    assert fresh(session, sent_co.id).status == "declined"
    assert svc.planned_total(session, project.id, include_change_orders=True) == before


def test_bad_signature_is_refused_and_changes_nothing(session, sent_co, docusign, client):
    response = post_event(client, docusign, sent_co.envelope_id, "envelope-completed", key="not-our-key")
    assert response.status_code == 401
    assert session.exec(select(WebhookEvent)).all() == []
    assert fresh(session, sent_co.id).status == "sent"


def test_unknown_envelope_is_adopted_through_the_signed_custom_field(session, sent_co, docusign, client):
    """Our send crashed after DocuSign accepted the envelope: the custom field names the change order."""
    envelope_id = sent_co.envelope_id
    co = fresh(session, sent_co.id)
    co.envelope_id = None
    session.commit()
    assert post_event(client, docusign, envelope_id, "envelope-completed").json() == {"status": "applied"}
    co = fresh(session, sent_co.id)
    assert co.status == "approved" and co.envelope_id == envelope_id


def test_repoll_catches_a_lost_completed_message(session, project, sent_co, docusign):
    from datetime import timedelta

    from l2c_app.contracts.service import repoll_all

    assert svc.stalled_change_orders(session) == []  # just sent
    co = fresh(session, sent_co.id)
    co.created_at = co.created_at - timedelta(hours=25)
    session.commit()
    docusign.envelopes[co.envelope_id].status = "completed"
    assert repoll_all(session) == [(f"change order {co.id}", "completed")]
    session.commit()
    assert fresh(session, co.id).status == "approved"


@pytest.mark.browser
def test_project_page_shows_a_change_order_sent_via_docusign(signed_in_page, app_server, browser):
    """What the team and the client see once a change order went out as an envelope."""
    page, app = signed_in_page, app_server
    with app.session() as s:
        from l2c_app.contracts.models import Contract, ContractSigner

        deal = make_deal(s, "Lighthouse app")
        quote = make_quote(s, deal, STANDARD_LINES)
        contract = Contract(
            deal_id=deal.id,
            quote_id=quote.id,
            title="Lighthouse agreement",
            status="completed",
            provider="docusign",
            envelope_id="lighthouse-contract",
        )
        s.add(contract)
        s.flush()
        s.add(ContractSigner(contract_id=contract.id, name="Carla Client", email="carla@globex.test"))
        project = svc.create_project_from_contract(s, Actor("system"), contract.id)
        co = svc.create_change_order(s, Actor("system"), project.id, description="Offline mode", amount_minor=90000)
        # What send_change_order records when DocuSign accepts the envelope (the app server
        # here has no DocuSign configured; the sending itself is tested above).
        co.status, co.provider, co.envelope_id = "sent", "docusign", "lighthouse-co-1"
        s.commit()
        project_id, token = project.id, co.public_token
    page.goto(f"{app.base_url}/projects/{project_id}")
    row = page.get_by_role("row", name=re.compile("Offline mode"))
    expect(row).to_contain_text("Sent via DocuSign")
    expect(row.get_by_role("link", name="Client link")).to_have_count(0)
    ctx = browser.new_context()
    client_page = ctx.new_page()
    client_page.goto(f"{app.base_url}/co/{token}")
    expect(client_page.get_by_role("status")).to_contain_text("out for signature in DocuSign")
    expect(client_page.get_by_role("button", name="Approve change order")).to_have_count(0)
    ctx.close()
