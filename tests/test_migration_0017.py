"""Revision 0017 (idempotency keys, API key scopes) upgrades a 0011 database holding an API key:
the key keeps full access (scopes NULL) and the default rate limit."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0017_upgrades_a_database_with_an_api_key(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO apikey (name, prefix, key_hash, created_at) VALUES "
                "('old', 'l2c_abcdef', :h, '2026-01-01 00:00:00+00:00')"
            ),
            {"h": "a" * 64},
        )
    command.upgrade(cfg, "0017")
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT name, scopes, rate_limit_per_minute FROM apikey")).one()) == (
            "old",
            None,
            None,
        )
    assert {c["name"] for c in inspect(engine).get_columns("idempotencykey")} >= {
        "caller",
        "key",
        "fingerprint",
        "status_code",
        "response_body",
        "created_at",
    }
    command.downgrade(cfg, "0011")
    assert "idempotencykey" not in inspect(engine).get_table_names()
    engine.dispose()
