"""QuickBooks stand-in wired to the app: env points intuit-oauth and python-quickbooks at it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.accounting.qbo_standin import QBOStandIn
from tests.payments.conftest import api, issued_invoice, payments, reload, send, standin, world  # noqa: F401


@pytest.fixture
def qbo(db_url, monkeypatch):
    s = QBOStandIn().start()
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the stand-in is plain HTTP on 127.0.0.1
    monkeypatch.setenv("QBO_CLIENT_ID", s.client_id)
    monkeypatch.setenv("QBO_CLIENT_SECRET", s.client_secret)
    monkeypatch.setenv("QBO_ENVIRONMENT", s.discovery_url)
    monkeypatch.setenv("QBO_API_BASE", s.base_url)
    monkeypatch.setenv("QBO_REDIRECT_URI", "http://127.0.0.1:3000/api/accounting/qbo/callback")
    yield s
    s.stop()


def connect(session) -> None:
    """What a user does: Settings > Connect, consent at Intuit, back on l2c's callback."""
    from l2c_app.accounting.sync import connection
    from l2c_app.core.audit import SYSTEM

    url = connection.start_connect(session, SYSTEM)
    session.commit()
    back = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    q = {k: v[0] for k, v in parse_qs(urlparse(back).query).items()}
    connection.finish_connect(SYSTEM, q["code"], q["state"], q["realmId"])


@pytest.fixture
def xero(db_url, monkeypatch):
    """The Xero stand-in; the SDK's hosts point at it."""
    from tests.accounting.xero_standin import XeroStandIn

    s = XeroStandIn().start()
    monkeypatch.setenv("XERO_CLIENT_ID", s.client_id)
    monkeypatch.setenv("XERO_CLIENT_SECRET", s.client_secret)
    monkeypatch.setenv("XERO_API_BASE", s.base_url)
    monkeypatch.setenv("XERO_IDENTITY_BASE", s.base_url)
    monkeypatch.setenv("XERO_REDIRECT_URI", "http://127.0.0.1:3000/api/accounting/xero/callback")
    yield s
    s.stop()


def connect_xero(session) -> None:
    """Settings > Connect Xero, consent at Xero, back on l2c's callback (code and state only)."""
    from l2c_app.accounting.sync import connection
    from l2c_app.core.audit import SYSTEM

    url = connection.start_connect(session, SYSTEM, "xero")
    session.commit()
    back = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    q = {k: v[0] for k, v in parse_qs(urlparse(back).query).items()}
    connection.finish_connect(SYSTEM, q["code"], q["state"], "", "xero")
