"""Outbound webhooks against a local receiver on 127.0.0.1: signed per Standard Webhooks (verified
with the `standardwebhooks` library, as a receiver would), retried after 500s and timeouts with
backoff, replayed, an endpoint disabled after repeated failures (admins e-mailed), secrets
rotated with both valid for a day, and no request at all to a private address without
WEBHOOKS_ALLOW_PRIVATE. SQLite and PostgreSQL (the `session` fixture)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from standardwebhooks import Webhook, WebhookVerificationError

from l2c_app.core.audit import SYSTEM
from l2c_app.core.db import engine_for
from l2c_app.core.errors import DomainError
from l2c_app.core.models import OutboxMessage
from l2c_app.core.timeutil import utcnow
from l2c_app.webhooks_out import sender, service
from l2c_app.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

PAID = {"invoice_id": 7, "number": "INV-0007", "amount_minor": 125050, "currency": "EUR", "paid_minor": 125050}


def _fresh(db_url) -> Session:
    return Session(engine_for(db_url), expire_on_commit=False)


def _endpoint(session, url, event_types=None) -> tuple[int, str]:
    endpoint, secret = service.create_endpoint(
        session, SYSTEM, url=url, event_types=event_types, description="accounting sync"
    )
    session.commit()
    return endpoint.id, secret


def _deliveries(db_url, endpoint_id) -> list[WebhookDelivery]:
    with _fresh(db_url) as s:
        return list(
            s.exec(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id)
            )
        )


def _verify(secret: str, request: dict):
    return Webhook(secret).verify(request["body"], request["headers"])


def test_a_delivery_is_signed_and_verifies_with_the_standardwebhooks_library(
    session, team, allow_private, receiver, db_url
):
    endpoint_id, secret = _endpoint(session, receiver.url, ["invoice.paid"])
    assert secret.startswith("whsec_")
    assert service.fan_out(session, "invoice.paid", "evt_1", PAID) == 1
    assert service.fan_out(session, "lead.created", "evt_2", {"lead_id": 3}) == 0  # not subscribed
    assert receiver.requests == []  # nothing is sent inside the transaction
    session.commit()

    assert service.deliver_due() == 1
    (request,) = receiver.requests
    assert request["path"] == "/hooks/l2c"
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(request["headers"])
    assert request["headers"]["webhook-id"] == "msg_evt_1"
    assert request["headers"]["content-type"] == "application/json"
    body = _verify(secret, request)
    assert body["type"] == "invoice.paid" and body["event_id"] == "evt_1"
    assert body["data"] == PAID  # ids and integer minor units with their currency, as the REST API
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request["body"], request["headers"])
    tampered = request["body"].replace(b"125050", b"999999")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request["headers"])

    (delivery,) = _deliveries(db_url, endpoint_id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.response_excerpt == "answer 200"
    assert service.deliver_due() == 0  # delivered once


def test_the_secret_is_stored_encrypted_and_never_in_the_audit_log(session, team, allow_private, receiver):
    from l2c_app.core.models import AuditLog

    endpoint_id, secret = _endpoint(session, receiver.url)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    assert secret not in endpoint.secret_enc and secret[6:] not in endpoint.secret_enc
    logs = session.exec(select(AuditLog).where(AuditLog.entity == "webhookendpoint")).all()
    assert logs and all("secret_enc" not in (log.after or {}) for log in logs)
    assert service.signing_secrets(endpoint) == [secret]


def test_a_rolled_back_fan_out_queues_nothing_and_the_same_event_twice_queues_once(
    session, team, allow_private, receiver, db_url
):
    endpoint_id, _ = _endpoint(session, receiver.url)
    assert service.fan_out(session, "invoice.issued", "evt_9", PAID) == 1
    session.rollback()
    assert _deliveries(db_url, endpoint_id) == []
    assert service.fan_out(session, "invoice.issued", "evt_9", PAID) == 1
    assert service.fan_out(session, "invoice.issued", "evt_9", PAID) == 0  # the outbox delivered the event twice
    session.commit()
    assert service.deliver_due() == 1 and len(receiver.requests) == 1


def test_a_500_is_retried_with_backoff_under_the_same_webhook_id(session, team, allow_private, receiver, db_url):
    endpoint_id, secret = _endpoint(session, receiver.url)
    receiver.script = [500, 503]
    service.fan_out(session, "payment.received", "evt_p1", PAID)
    session.commit()
    t0 = utcnow()

    assert service.deliver_due(now=t0) == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.attempts, d.response_code, d.error) == ("pending", 1, 500, "HTTP 500")
    assert d.next_attempt_at == t0 + timedelta(seconds=30)
    assert service.deliver_due(now=t0 + timedelta(seconds=29)) == 0  # not due yet
    assert service.deliver_due(now=t0 + timedelta(seconds=30)) == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.attempts, d.response_code) == (2, 503)
    assert d.next_attempt_at == t0 + timedelta(seconds=30) + timedelta(minutes=1)  # doubled
    assert service.deliver_due(now=t0 + timedelta(minutes=2)) == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.attempts, d.response_code) == ("delivered", 3, 200)

    assert len(receiver.requests) == 3
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {"msg_evt_p1"}
    assert all(_verify(secret, r)["data"] == PAID for r in receiver.requests)
    with _fresh(db_url) as s:
        log = s.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == d.id).order_by(WebhookAttempt.id)).all()
    assert [(a.ok, a.response_code) for a in log] == [(False, 500), (False, 503), (True, 200)]


def test_backoff_spans_three_days_then_the_delivery_fails():
    waits = [service.backoff(n) for n in range(1, 30)]
    assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits) == timedelta(hours=12)
    total, attempts = timedelta(0), 1
    while total + service.backoff(attempts) <= service.RETRY_WINDOW:
        total += service.backoff(attempts)
        attempts += 1
    assert 12 <= attempts <= 20 and total > timedelta(days=2)


def test_a_timeout_is_a_failed_attempt_and_is_retried(session, team, allow_private, receiver, db_url, monkeypatch):
    monkeypatch.setattr(sender, "TIMEOUT_SECONDS", 0.5)
    endpoint_id, secret = _endpoint(session, receiver.url)
    receiver.script = ["hang"]
    service.fan_out(session, "contract.signed", "evt_c1", {"contract_id": 4})
    session.commit()
    t0 = utcnow()
    assert service.deliver_due(now=t0) == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert d.status == "pending" and d.response_code is None and "no answer within 0.5 s" in d.error
    assert service.deliver_due(now=t0 + timedelta(seconds=31)) == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.attempts) == ("delivered", 2)
    assert _verify(secret, receiver.requests[-1])["data"] == {"contract_id": 4}


def test_a_redirect_is_not_followed_and_a_huge_answer_is_read_bounded(session, team, allow_private, receiver, db_url):
    endpoint_id, _ = _endpoint(session, receiver.url)
    receiver.script = ["redirect", "big"]
    service.fan_out(session, "deal.won", "evt_d1", {"deal_id": 1, "value_minor": 500000, "currency": "EUR"})
    session.commit()
    t0 = utcnow()
    service.deliver_due(now=t0)
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.response_code) == ("pending", 302) and "not followed" in d.error
    assert len(receiver.requests) == 1  # the metadata address was never asked
    service.deliver_due(now=t0 + timedelta(minutes=1))
    (d,) = _deliveries(db_url, endpoint_id)
    assert d.status == "delivered" and len(d.response_excerpt) == sender.EXCERPT


def test_replay_sends_one_delivery_again_with_the_same_id(session, team, allow_private, receiver, db_url):
    endpoint_id, secret = _endpoint(session, receiver.url)
    service.fan_out(session, "invoice.sent", "evt_s1", PAID)
    session.commit()
    service.deliver_due()
    (d,) = _deliveries(db_url, endpoint_id)
    with pytest.raises(DomainError) as err:
        service.replay(session, SYSTEM, endpoint_id + 1000, d.id)
    assert err.value.kind == "not_found"
    service.replay(session, SYSTEM, endpoint_id, d.id)
    session.commit()
    assert service.deliver_due() == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    _verify(secret, receiver.requests[1])
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.attempts) == ("delivered", 2)


def test_an_endpoint_is_disabled_after_repeated_failures_and_admins_are_mailed(
    session, team, allow_private, receiver, db_url
):
    endpoint_id, _ = _endpoint(session, receiver.url)
    receiver.script = [500] * service.DISABLE_AFTER
    for n in range(service.DISABLE_AFTER):
        service.fan_out(session, "invoice.overdue", f"evt_o{n}", {"invoice_id": n})
    session.commit()
    # Four days on: every delivery's retry window (3 days) has passed, so this failure is final.
    later = utcnow() + timedelta(days=4)
    assert service.deliver_due(now=later) == service.DISABLE_AFTER
    assert {d.status for d in _deliveries(db_url, endpoint_id)} == {"failed"}
    with _fresh(db_url) as s:
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert not endpoint.enabled and "5 deliveries in a row" in endpoint.disabled_reason
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.related_entity == "webhookendpoint")).all()
    assert [m.to for m in mails] == ["olivia@acme.test"]  # the owner; sellers are not told
    assert receiver.url in mails[0].subject and "/settings/webhooks" in mails[0].body

    assert service.fan_out(session, "invoice.overdue", "evt_after", {"invoice_id": 99}) == 0  # disabled: no queue
    with pytest.raises(DomainError) as err:
        service.replay(session, SYSTEM, endpoint_id, _deliveries(db_url, endpoint_id)[0].id)
    assert err.value.kind == "conflict"
    session.rollback()
    service.update_endpoint(session, SYSTEM, endpoint_id, enabled=True)
    session.commit()
    with _fresh(db_url) as s:
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert endpoint.enabled and endpoint.failed_deliveries == 0 and endpoint.disabled_reason is None


def test_a_success_between_failures_keeps_the_endpoint_enabled(session, team, allow_private, receiver, db_url):
    endpoint_id, _ = _endpoint(session, receiver.url)
    receiver.script = [500] * (service.DISABLE_AFTER - 1) + [200] + [500]
    for n in range(service.DISABLE_AFTER + 1):
        service.fan_out(session, "lead.created", f"evt_l{n}", {"lead_id": n})
    session.commit()
    service.deliver_due(now=utcnow() + timedelta(days=4))
    with _fresh(db_url) as s:
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert endpoint.enabled and endpoint.failed_deliveries == 1


def test_no_request_reaches_a_private_address_without_the_setting(session, team, receiver, db_url, monkeypatch):
    for url in (
        receiver.url,
        "http://10.1.2.3/h",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://localhost/h",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
    ):
        with pytest.raises(DomainError) as err:
            service.create_endpoint(session, SYSTEM, url=url)
        assert err.value.field == "url" and err.value.code == "url.private", url
    for url in (
        "ftp://example.com/x",
        "file:///etc/passwd",
        "https://user:pw@example.com/",
        "hooks.example.com",
        "https:///nohost",
        "https://no-such-host.invalid/h",
    ):
        with pytest.raises(DomainError) as err:
            service.create_endpoint(session, SYSTEM, url=url)
        assert err.value.field == "url", url

    # DNS rebinding: the name was public when saved and points at the receiver (loopback) now.
    real = socket.getaddrinfo
    answers = {"hooks.example.com": "93.184.215.14"}

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    port = receiver.server.server_address[1]
    endpoint_id, _ = _endpoint(session, f"http://hooks.example.com:{port}/hooks/l2c")
    answers["hooks.example.com"] = "127.0.0.1"
    service.fan_out(session, "invoice.paid", "evt_r1", PAID)
    session.commit()
    assert service.deliver_due() == 1
    (d,) = _deliveries(db_url, endpoint_id)
    assert d.status == "pending" and d.error.startswith("refused:") and "127.0.0.1" in d.error
    assert receiver.requests == []


def test_the_setting_allows_loopback_and_connects_to_the_checked_address(
    session, team, allow_private, receiver, monkeypatch
):
    real = socket.getaddrinfo
    calls = []

    def counting(host, port, *args, **kwargs):
        calls.append(host)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    port = receiver.server.server_address[1]
    _endpoint(session, f"http://localhost:{port}/hooks/l2c")
    service.fan_out(session, "invoice.paid", "evt_h1", PAID)
    session.commit()
    calls.clear()
    service.deliver_due()
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"localhost:{port}"  # the name, while the socket went to 127.0.0.1
    # the name was resolved once, at delivery, and the socket opened to that answer (an IP literal)
    assert [h for h in calls if h != "127.0.0.1"] == ["localhost"]


def test_rotation_signs_with_both_secrets_for_a_day(session, team, allow_private, receiver, db_url):
    endpoint_id, old = _endpoint(session, receiver.url)
    endpoint, new = service.rotate_secret(session, SYSTEM, endpoint_id)
    session.commit()
    assert new != old and new.startswith("whsec_")
    service.fan_out(session, "quote.accepted", "evt_q1", {"quote_id": 2, "total_minor": 1000, "currency": "EUR"})
    session.commit()
    service.deliver_due()
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert _verify(old, request)["type"] == "quote.accepted"
    assert _verify(new, request)["type"] == "quote.accepted"

    # A day later the old secret no longer signs.
    service.fan_out(session, "quote.accepted", "evt_q2", {"quote_id": 3, "total_minor": 1, "currency": "EUR"})
    session.commit()
    service.deliver_due(now=utcnow() + timedelta(days=1, minutes=1))
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    _verify(new, request)
    with pytest.raises(WebhookVerificationError):
        _verify(old, request)


def test_event_types_are_checked_and_all_means_every_event(session, team, allow_private, receiver):
    with pytest.raises(DomainError) as err:
        service.create_endpoint(session, SYSTEM, url=receiver.url, event_types=["invoice.payed"])
    assert err.value.field == "event_types" and "invoice.payed" in err.value.message
    everything, _ = service.create_endpoint(session, SYSTEM, url=receiver.url, event_types=[])
    assert everything.event_types == ["*"]
    assert all(service.subscribed(everything, t) for t in service.EVENT_TYPES)
    with pytest.raises(DomainError) as err:
        service.fan_out(session, "invoice.paid", "evt_f", {"amount": 12.5})
    assert err.value.field == "payload"
    json.loads(service.body_for("invoice.paid", "e", PAID, utcnow()))  # a body is plain JSON


def test_two_workers_at_once_send_each_delivery_once(session, team, allow_private, receiver, db_url):
    import threading

    _endpoint(session, receiver.url)
    for n in range(12):
        service.fan_out(session, "lead.assigned", f"evt_w{n}", {"lead_id": n})
    session.commit()
    counts: list[int] = []
    start = threading.Barrier(2)

    def worker():
        start.wait()
        counts.append(service.deliver_due(limit=12))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert sum(counts) == 12 and len(ids) == 12 and len(set(ids)) == 12  # claimed once each (SKIP LOCKED / lease)


def test_410_gone_disables_the_endpoint_at_once_and_retry_after_is_honoured(
    session, team, allow_private, receiver, db_url
):
    # Standard Webhooks, "Delivery success and failure": 410 -> stop sending; Retry-After -> wait that long.
    endpoint_id, _ = _endpoint(session, receiver.url)
    receiver.script = [{"status": 503, "headers": {"Retry-After": "600"}}, 410]
    service.fan_out(session, "dispute.opened", "evt_g1", {"dispute_id": 1, "amount_minor": 700, "currency": "EUR"})
    session.commit()
    t0 = utcnow()
    service.deliver_due(now=t0)
    (d,) = _deliveries(db_url, endpoint_id)
    assert d.response_code == 503 and d.next_attempt_at == t0 + timedelta(seconds=600)  # not the 30 s backoff
    service.deliver_due(now=t0 + timedelta(seconds=600))
    (d,) = _deliveries(db_url, endpoint_id)
    assert (d.status, d.response_code) == ("failed", 410)
    with _fresh(db_url) as s:
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert not endpoint.enabled and "410 Gone" in endpoint.disabled_reason
        assert s.exec(select(OutboxMessage).where(OutboxMessage.related_entity == "webhookendpoint")).first()


def test_an_event_id_with_a_full_stop_is_refused(session, team):
    # The signed content is `{webhook-id}.{timestamp}.{body}`: the spec forbids "." in the id.
    for bad in ("evt.1", "", "x" * 101, "a b"):
        with pytest.raises(DomainError) as err:
            service.fan_out(session, "invoice.paid", bad, PAID)
        assert err.value.field == "event_id"
