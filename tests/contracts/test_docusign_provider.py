"""DocuSign as it documents itself: errors with their code and what to do, revoked tokens,
the once-per-15-minutes polling limit, and one failing envelope not undoing the others."""

from datetime import timedelta

import pytest
from conftest import make_world
from sqlmodel import select

from l2c_app.contracts import service as svc
from l2c_app.contracts.models import Contract
from l2c_app.integrations import models as provider_models
from l2c_app.integrations.docusign_client import DocuSignClient, DocuSignError
from l2c_app.outbox.models import OutboxEffect
from l2c_app.outbox.worker import deliver_outbox


def _contract(session, world, email=None):
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    svc.send(session, world.actor, contract.id)
    session.commit()
    deliver_outbox()  # the envelope is an outbox effect, made after commit
    session.refresh(contract)
    return contract


@pytest.fixture
def clock(monkeypatch, docusign):
    """One fake clock for l2c's poll claims and the stand-in's polling limit."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(provider_models, "_now", lambda: now[0])
    docusign.clock = lambda: now[0]
    return now


def _stall(session, *contract_ids):
    for cid in contract_ids:
        c = session.get(Contract, cid)
        c.last_provider_event_at = c.last_provider_event_at - timedelta(hours=25)
        session.add(c)
    session.commit()


def test_consent_required_names_the_code_and_the_consent_url(session, docusign):
    docusign.consented = False
    world = make_world(session)
    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    session.commit()
    svc.send(session, world.actor, contract.id)  # the envelope is queued: DocuSign is asked after commit
    session.commit()
    deliver_outbox()
    effect = session.exec(select(OutboxEffect).where(OutboxEffect.kind == "docusign.send")).one()
    session.refresh(effect)
    # A refusal a person must fix fails at once (no retries), saying what to do on the Outbox page.
    assert effect.status == "failed" and effect.attempts == 1
    err = effect.last_error
    assert "consent_required" in err
    assert f"https://{docusign.oauth_host}/oauth/auth?response_type=code" in err
    assert "client_id=ik-123" in err and "scope=signature%20impersonation" in err


def test_the_api_error_code_is_shown(session, docusign):
    with pytest.raises(DocuSignError) as caught:
        DocuSignClient.from_settings().envelope_status("00000000-0000-0000-0000-000000000000")
    assert caught.value.code == "ENVELOPE_DOES_NOT_EXIST" and "ENVELOPE_DOES_NOT_EXIST" in str(caught.value)
    assert "404" in str(caught.value)


def test_a_revoked_token_is_evicted_and_a_new_one_used(session, docusign):
    world = make_world(session)
    contract = _contract(session, world)
    grants = sum(1 for r in docusign.requests if r == ("POST", "/oauth/token"))
    docusign.revoke_tokens()  # e.g. consent withdrawn and granted again, or the token revoked
    assert DocuSignClient.from_settings().envelope_status(contract.envelope_id) == "sent"
    assert sum(1 for r in docusign.requests if r == ("POST", "/oauth/token")) == grants + 1
    # The new token is cached: the next call needs no new grant.
    DocuSignClient.from_settings().envelope_status(contract.envelope_id)
    assert sum(1 for r in docusign.requests if r == ("POST", "/oauth/token")) == grants + 1


def test_repoll_respects_the_15_minute_polling_limit(session, docusign, clock):
    world = make_world(session)
    contract = _contract(session, world)
    _stall(session, contract.id)
    runs = []
    for _ in range(4):  # e.g. `--every 60`, or several hosts running the jobs
        runs.append(svc.repoll_all(session))
        session.commit()
        clock[0] += 60
    gets = [r for r in docusign.requests if r[0] == "GET" and r[1].endswith(contract.envelope_id)]
    assert len(gets) == 1 and docusign.poll_violations == 0
    assert runs[0] == [(f"contract C-{contract.id}", "sent (unchanged)")]
    assert all("skipped" in status for run in runs[1:] for _, status in run)
    clock[0] += 15 * 60  # 15 minutes later (and stalled again) it may be polled again
    _stall(session, contract.id)
    assert svc.repoll_all(session) == [(f"contract C-{contract.id}", "sent (unchanged)")]
    assert docusign.poll_violations == 0


def test_one_failing_envelope_does_not_roll_back_the_others(session, docusign, clock):
    world = make_world(session)
    first = _contract(session, world)
    second = _contract(session, make_world(session, account_name="Second Client", client_email="b@second.test"))
    _stall(session, first.id, second.id)
    docusign.fail_envelopes.add(first.envelope_id)
    docusign.envelopes[second.envelope_id].status = "completed"  # its Connect message was lost
    result = dict(svc.repoll_all(session))
    session.commit()
    assert (
        result[f"contract C-{first.id}"].startswith("failed: ")
        and "INTERNAL_SERVER_ERROR" in result[f"contract C-{first.id}"]
    )
    assert result[f"contract C-{second.id}"] == "completed"
    session.expire_all()
    assert session.get(Contract, second.id).status == "completed"
    assert session.get(Contract, first.id).status == "sent"
    # The failed envelope was polled too: its poll time counts (no immediate retry).
    rows = session.exec(select(provider_models.ProviderState)).all()
    assert {r.key for r in rows} == {f"poll:{first.envelope_id}", f"poll:{second.envelope_id}"}
