""" "Test connection" for DocuSign through the SDK against the stand-in: the good case and each
thing it reports (not configured, consent_required with the consent URL, a key DocuSign
refuses, a wrong account id, a base path that is not the account's base_uri, an unreachable
OAuth host, no Connect HMAC key, no public https address)."""

from __future__ import annotations

import socket

import pytest

from l2c_app.core.config import reset_settings
from l2c_app.integrations.checks import check_docusign
from l2c_app.integrations.docusign_client import reset_token_cache


@pytest.fixture
def ds(tmp_path, monkeypatch):
    from docusign_standin import configured_standin

    monkeypatch.setenv("APP_BASE_URL", "https://l2c.example.test")
    with configured_standin(tmp_path, monkeypatch, "connect-hmac-key") as standin:
        yield standin


def _set(monkeypatch, **env):
    for k, v in env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)
    reset_settings()
    reset_token_cache()


def test_a_good_setup_is_reported_connected(ds):
    result = check_docusign()
    assert result.ok and result.problems == [], result.problems
    assert "DocuSign is connected" in result.summary
    assert any("acc-789" in f and f"https://127.0.0.1:{ds.port}" in f for f in result.found)
    paths = [r[1].split("?")[0] for r in ds.requests]
    assert "/oauth/token" in paths and "/oauth/userinfo" in paths


def test_not_configured(monkeypatch):
    _set(monkeypatch, DOCUSIGN_INTEGRATION_KEY=None, DOCUSIGN_USER_ID=None, DOCUSIGN_ACCOUNT_ID="acc-1")
    result = check_docusign()
    assert not result.ok and result.summary == "DocuSign is not configured."
    assert "DOCUSIGN_INTEGRATION_KEY, DOCUSIGN_USER_ID" in result.problems[0]


def test_consent_required_gives_the_consent_url(ds):
    ds.consented = False
    result = check_docusign()
    assert not result.ok and result.summary == "DocuSign needs consent once."
    assert result.link.startswith(f"https://{ds.oauth_host}/oauth/auth?response_type=code")
    assert "scope=signature%20impersonation" in result.link and "client_id=ik-123" in result.link


def test_a_key_docusign_refuses(ds, monkeypatch, tmp_path):
    from docusign_standin import make_rsa_key, pem

    other = tmp_path / "other.pem"
    other.write_bytes(pem(make_rsa_key()))  # not the key pair uploaded to the integration key
    _set(monkeypatch, DOCUSIGN_PRIVATE_KEY_FILE=str(other))
    result = check_docusign()
    assert not result.ok and result.summary == "DocuSign refused to sign l2c in."
    assert "invalid_grant (no_valid_keys_or_signatures)" in result.problems[0]
    assert "RSA key pair" in result.problems[0]  # what to do


def test_a_wrong_account_id(ds, monkeypatch):
    _set(monkeypatch, DOCUSIGN_ACCOUNT_ID="acc-000")
    result = check_docusign()
    assert not result.ok
    assert "DOCUSIGN_ACCOUNT_ID acc-000 is not one of this user's accounts" in result.problems[0]
    assert "acc-789 (Stand-in)" in result.problems[0]


def test_a_base_path_that_is_not_the_accounts(ds, monkeypatch):
    _set(monkeypatch, DOCUSIGN_BASE_PATH="https://demo.docusign.net/restapi")
    result = check_docusign()
    assert not result.ok
    assert f"set DOCUSIGN_BASE_PATH=https://127.0.0.1:{ds.port}/restapi" in result.problems[0]


def test_an_unreachable_oauth_host(ds, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _set(monkeypatch, DOCUSIGN_OAUTH_HOST=f"127.0.0.1:{port}")
    result = check_docusign()
    assert not result.ok and result.summary == "DocuSign cannot be reached."
    assert f"127.0.0.1:{port}" in result.problems[0] and "account.docusign.com" in result.problems[0]


def test_no_hmac_key_and_no_public_url(ds, monkeypatch):
    _set(monkeypatch, DOCUSIGN_CONNECT_HMAC_KEY="", APP_BASE_URL="http://localhost:3000")
    problems = " | ".join(check_docusign().problems)
    assert "DOCUSIGN_CONNECT_HMAC_KEY is not set" in problems
    assert "APP_BASE_URL is http://localhost:3000" in problems
