"""PostgreSQL's pool without `pool_pre_ping` (issue 18): a hot checkout sends no ping, an idle one
is pinged, and a connection the server dropped (pg_terminate_backend) costs no failed request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from l2c_app.core import db
from l2c_app.core.db import engine_for, session_scope
from l2c_app.payments.webhooks import handle_request
from tests.conftest import _pg_exec
from tests.payments.conftest import issued_invoice, payments, reload
from tests.payments.test_webhook_round_trips import _signed, secret  # noqa: F401 (fixture)


@pytest.fixture
def pg(db_url):
    if not db_url.startswith("postgres"):
        pytest.skip("PostgreSQL's pool")
    return db_url


@pytest.fixture
def pings(pg, monkeypatch) -> list:
    """Every ping the engine's dialect sends (pre_ping or the idle check alike)."""
    dialect = engine_for(pg).dialect
    seen: list = []
    real = dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return seen


def _backend_pid() -> int:
    with session_scope() as s:
        return s.connection().execute(text("SELECT pg_backend_pid()")).scalar_one()


def _kill_every_connection_of(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    _pg_exec(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def test_a_hot_checkout_sends_no_ping_an_idle_one_does(pg, pings, monkeypatch):
    _backend_pid()  # a new connection: never pinged
    pings.clear()
    for _ in range(3):
        _backend_pid()
    assert pings == [], "a connection used a moment ago costs no extra round trip"
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every pooled connection counts as idle
    _backend_pid()
    assert len(pings) == 1


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(pg, monkeypatch):
    before = _backend_pid()
    _kill_every_connection_of(pg)
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    after = _backend_pid()  # the ping fails on checkout: a fresh connection, no error
    assert after != before


def test_a_hot_connection_the_server_dropped_costs_the_webhook_nothing(pg, session, world, secret):  # noqa: F811
    first, second = issued_invoice(session, world, 10000), issued_invoice(session, world, 20000)
    session.close()
    assert handle_request(*_signed(first, "before"))[0] == 200
    _kill_every_connection_of(pg)  # a restart: the pooled connections are dead, and hot
    assert handle_request(*_signed(second, "after")) == (200, {"received": True, "outcome": "applied"})
    assert reload(session, second).status == "paid" and len(payments(session)) == 2
