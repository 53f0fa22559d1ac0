"""HTTPS deliveries: the connection goes to the checked address while TLS is verified for the
URL's host name (SNI), and certificate checks are never switched off by the pinning."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select
from standardwebhooks import Webhook

from l2c_app.core.audit import SYSTEM
from l2c_app.core.db import engine_for
from l2c_app.webhooks_out import sender, service
from l2c_app.webhooks_out.models import WebhookDelivery
from tests.webhooks_out.receiver import Receiver


@pytest.fixture
def tls_receiver(tmp_path):
    """HTTPS on 127.0.0.1 with a certificate for the NAME localhost only (no IP in it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook-receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "r.crt", tmp_path / "r.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    r = Receiver(tls=(str(cert_file), str(key_file))).start()
    r.cert_file = cert_file
    yield r
    r.stop()


def _last(db_url) -> WebhookDelivery:
    with Session(engine_for(db_url)) as s:
        return s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())).first()


def test_https_is_verified_for_the_host_name_while_connecting_to_the_checked_address(
    session, team, allow_private, tls_receiver, db_url, monkeypatch
):
    port = tls_receiver.server.server_address[1]
    _, secret = service.create_endpoint(session, SYSTEM, url=f"https://localhost:{port}/hooks/l2c")
    service.fan_out(session, "invoice.paid", "evt_tls1", {"invoice_id": 1, "paid_minor": 5, "currency": "EUR"})
    session.commit()

    # Not trusted (the system's CAs): refused, nothing delivered. Verification stays on.
    service.deliver_due()
    first = _last(db_url)
    assert first.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in (first.error or "")
    assert tls_receiver.requests == []

    # Trusted: verified for "localhost" (the certificate has no IP), though the socket went to 127.0.0.1.
    monkeypatch.setattr(sender, "VERIFY", ssl.create_default_context(cafile=str(tls_receiver.cert_file)))
    service.deliver_due(now=first.next_attempt_at)
    assert _last(db_url).status == "delivered"
    (request,) = tls_receiver.requests
    assert request["headers"]["host"] == f"localhost:{port}"
    Webhook(secret).verify(request["body"], request["headers"])
