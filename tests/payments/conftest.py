"""Stripe stand-in wired to the app: settings point the SDK at it, events go to the webhook route."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from l2c_app.core.audit import SYSTEM
from l2c_app.outbox.worker import deliver_outbox
from tests.billing.factory import World
from tests.payments.stripe_standin import StripeStandIn

SECRET = "whsec_test_standin_secret"


@pytest.fixture
def api(db_url):
    from l2c_app.api.app import build_api

    with TestClient(build_api()) as client:
        yield client


@pytest.fixture
def standin(db_url, api, monkeypatch):
    from l2c_app.core.config import reset_settings
    from l2c_app.integrations import stripe_client

    def sender(body: bytes, headers: dict) -> int:
        status = api.post("/api/webhooks/stripe", content=body, headers=headers).status_code
        deliver_outbox()  # what the server's outbox worker does right after the webhook's commit
        return status

    s = StripeStandIn(SECRET, sender=sender).start()
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_standin")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", s.base_url)
    reset_settings()
    stripe_client._client_for.cache_clear()
    yield s
    s.stop()
    stripe_client._client_for.cache_clear()
    reset_settings()


@pytest.fixture
def world(session):
    w = World(session)
    session.commit()
    return w


def issued_invoice(session, world, amount: int = 10000):
    """An issued invoice of `amount` (a change order without tax), committed."""
    from l2c_app.billing import service

    world.change_order(amount)
    inv = service.build_invoice(session, SYSTEM, world.pid, date(2026, 3, 31))
    service.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    return inv


def send(session, inv) -> str:
    """Send the invoice (creating its payment link); the link's id."""
    from l2c_app.billing.sending import send_invoice

    send_invoice(session, SYSTEM, inv.id)
    session.commit()
    deliver_outbox()  # the link is an outbox effect, made by the worker after commit
    return reload(session, inv).payment_link_url.rsplit("/", 1)[1]


def reload(session, inv):
    """The invoice as the database now holds it."""
    from l2c_app.billing.models import Invoice

    session.expire_all()
    return session.get(Invoice, inv.id)


def payments(session) -> list:
    """Every payment, oldest first, as the database now holds them."""
    from sqlmodel import select

    from l2c_app.payments.models import Payment

    session.expire_all()
    return list(session.exec(select(Payment).order_by(Payment.id)))
