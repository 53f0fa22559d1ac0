"""The login throttle: per account and per IP apart, short for an account, proxies only if trusted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import select

from l2c_app.api.deps import client_ip
from l2c_app.core import auth
from l2c_app.core.auth import AuthError, Throttled, authenticate, create_user, setup_organisation
from l2c_app.core.config import SettingsError, load_settings
from l2c_app.core.models import LoginAttempt


@pytest.fixture
def org(session):
    setup_organisation(
        session,
        org_name="Acme",
        currency="EUR",
        timezone="UTC",
        owner_name="Olivia",
        owner_email="olivia@acme.test",
        password="long-password-1",
    )
    create_user(session, name="Sam", email="sam@acme.test", role="sales", password="long-password-2")
    session.commit()


def fail(session, email, ip, times):
    for _ in range(times):
        with pytest.raises(AuthError):
            authenticate(session, email, "wrong", ip=ip)
        session.commit()


def test_failures_for_one_account_do_not_lock_out_others_behind_the_same_ip(session, org):
    fail(session, "olivia@acme.test", "10.0.0.1", 5)
    with pytest.raises(Throttled):
        authenticate(session, "olivia@acme.test", "long-password-1", ip="10.0.0.1")
    # a colleague behind the same office IP (or proxy) still gets in
    assert authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.1").role == "sales"


def test_the_account_lock_is_short_even_after_many_failures(session, org):
    fail(session, "olivia@acme.test", "10.0.0.2", 5)
    # an attacker keeps failing on purpose: the wait never passes ACCOUNT_MAX_WAIT
    for _ in range(20):
        session.add(LoginAttempt(email="olivia@acme.test", ip="10.9.9.9"))
    session.commit()
    with pytest.raises(Throttled) as exc:
        authenticate(session, "olivia@acme.test", "long-password-1", ip="10.0.0.3")
    assert 1 <= exc.value.retry_after <= auth.ACCOUNT_MAX_WAIT == 60
    # a minute after the last failure the right password gets in
    for row in session.exec(select(LoginAttempt)):
        row.at = row.at - timedelta(seconds=61)
    session.commit()
    assert authenticate(session, "olivia@acme.test", "long-password-1", ip="10.0.0.3").role == "owner"


def test_one_ip_spraying_many_accounts_is_throttled_at_a_higher_bar(session, org):
    for i in range(auth.IP_FREE_FAILURES - 1):
        session.add(LoginAttempt(email=f"user{i}@acme.test", ip="10.0.0.4"))
    session.commit()
    assert authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.4")  # 49 failures: still free
    fail(session, "nobody@acme.test", "10.0.0.4", 1)
    with pytest.raises(Throttled):
        authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.4")
    assert authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.5")  # another IP is not touched


def test_trusted_proxies_setting_is_validated():
    assert load_settings({"TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12"}).trusted_proxies[1].prefixlen == 12
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": "proxy.local"})


def _ip_seen(monkeypatch, trusted: str, headers: dict) -> str:
    from l2c_app.core import config

    monkeypatch.setenv("TRUSTED_PROXIES", trusted)
    config.get_settings.cache_clear()
    app = FastAPI()

    @app.get("/ip")
    def ip(request: Request) -> dict:
        return {"ip": client_ip(request)}

    try:
        return TestClient(app).get("/ip", headers=headers).json()["ip"]  # the test client's peer is "testclient"
    finally:
        config.get_settings.cache_clear()


def test_x_forwarded_for_is_honoured_only_from_trusted_proxies(monkeypatch):
    from l2c_app.api import deps

    # the TestClient's peer is not an IP address, so pretend it is 10.0.0.1
    monkeypatch.setattr(deps, "_peer", lambda request: "10.0.0.1")
    assert _ip_seen(monkeypatch, "", {"X-Forwarded-For": "1.2.3.4"}) == "10.0.0.1"
    assert _ip_seen(monkeypatch, "10.0.0.1", {"X-Forwarded-For": "6.6.6.6, 1.2.3.4"}) == "1.2.3.4"
    assert _ip_seen(monkeypatch, "10.0.0.0/8", {"X-Forwarded-For": "6.6.6.6, 1.2.3.4, 10.0.0.7"}) == "1.2.3.4"
    assert _ip_seen(monkeypatch, "192.168.0.1", {"X-Forwarded-For": "1.2.3.4"}) == "10.0.0.1"
