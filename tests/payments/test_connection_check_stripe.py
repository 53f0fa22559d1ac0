""" "Test connection" for Stripe, through the SDK against the stand-in: the good case and each
thing it reports (not configured, a bad key, unreachable, the webhook endpoint's url, version,
events and status, no webhook secret, no public https address)."""

from __future__ import annotations

import pytest

from l2c_app.core.config import reset_settings
from l2c_app.integrations import stripe_client
from l2c_app.integrations.checks import check_stripe
from tests.conftest import run_async

PUBLIC = "https://l2c.example.test"
HOOK = PUBLIC + "/api/webhooks/stripe"


@pytest.fixture
def public(monkeypatch, standin):
    monkeypatch.setenv("APP_BASE_URL", PUBLIC)
    reset_settings()
    return standin


def test_a_good_setup_is_reported_connected(public):
    public.add_webhook_endpoint(HOOK, list(stripe_client.EVENT_TYPES))
    result = check_stripe()
    assert result.ok and result.problems == [], result.problems
    assert "Stripe is connected" in result.summary
    assert any("acct_test_standin" in f and "test mode" in f for f in result.found)
    assert any(HOOK in f for f in result.found)
    asked = [(m, path) for m, path, _ in public.requests]
    assert ("GET", "/v1/account") in asked and ("GET", "/v1/webhook_endpoints") in asked


def test_an_endpoint_for_every_event_is_fine(public):
    public.add_webhook_endpoint(HOOK, ["*"])
    assert check_stripe().ok


def test_not_configured(monkeypatch, db_url):
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    reset_settings()
    result = check_stripe()
    assert not result.ok and result.summary == "Stripe is not configured." and "STRIPE_API_KEY" in result.problems[0]


def test_a_bad_key(public):
    public.api_keys = {"sk_test_the_real_one"}
    result = check_stripe()
    assert not result.ok and result.summary == "Stripe refused the API key."
    assert "sk_test_standin" not in " ".join(result.problems)  # a key is named, never shown


def test_an_unreachable_host(monkeypatch, public):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    reset_settings()
    stripe_client._client_for.cache_clear()
    result = check_stripe()
    assert not result.ok and result.summary == "Stripe cannot be reached."
    assert f"127.0.0.1:{port}" in result.problems[0]


def test_no_endpoint_for_this_app(public):
    public.add_webhook_endpoint("https://shop.example.test/stripe", ["*"])  # another app's endpoint
    result = check_stripe()
    assert not result.ok and any(f"No webhook endpoint points at {HOOK}" in p for p in result.problems)


def test_the_endpoint_on_another_api_version_missing_events_disabled(public):
    events = [t for t in stripe_client.EVENT_TYPES if not t.startswith("payout.")]
    public.add_webhook_endpoint(HOOK, events, api_version="2024-06-20", status="disabled")
    problems = " | ".join(check_stripe().problems)
    assert "2024-06-20" in problems and stripe_client.API_VERSION in problems
    assert "does not send: payout.paid, payout.failed." in problems
    assert "is disabled" in problems


def test_no_webhook_secret_and_no_public_url(monkeypatch, public):
    public.add_webhook_endpoint("http://localhost:3000/api/webhooks/stripe", ["*"])
    monkeypatch.setenv("APP_BASE_URL", "http://localhost:3000")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    reset_settings()
    problems = " | ".join(check_stripe().problems)
    assert "STRIPE_WEBHOOK_SECRET is not set" in problems
    assert "APP_BASE_URL is http://localhost:3000" in problems


def test_the_settings_button_runs_the_check_off_the_event_loop(public, monkeypatch):
    """The state handler: loading first, then the result; the check runs in a worker thread."""
    import threading

    import l2c_app.l2c_app  # noqa: F401  (registers every state)
    from l2c_app.ui import integrations_card
    from l2c_app.ui.integrations_card import IntegrationsState
    from l2c_app.ui.session import Access, Viewer

    public.add_webhook_endpoint(HOOK, ["*"])
    threads = []

    def traced():
        threads.append(threading.current_thread())
        return check_stripe()

    monkeypatch.setitem(integrations_card.CHECKS, "stripe", traced)

    async def allowed(self, section):
        return Access(Viewer(1, "Olga Owner", "olga@example.test", "owner"), section)

    monkeypatch.setattr(IntegrationsState, "_access", allowed, raising=False)
    state = IntegrationsState(_reflex_internal_init=True)

    async def run():
        seen = []
        async for _ in IntegrationsState.test_connection.fn(state, "stripe"):
            seen.append(state.testing)
        return seen

    seen = run_async(run())
    assert seen[0] == "stripe" and state.testing == ""
    assert threads and threads[0] is not threading.main_thread()
    assert state.checks["stripe"]["ok"] is True and "Stripe is connected" in state.checks["stripe"]["summary"]


def test_the_readme_names_every_event_to_subscribe_to():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text.split("## Connect Stripe", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{t}`" in section for t in stripe_client.EVENT_TYPES)
    assert stripe_client.API_VERSION in section and "/api/webhooks/stripe" in section
