"""Revision 0013 (outbound webhooks) upgrades a 0011 database that already holds users, and downgrades."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config

TABLES = {"webhookendpoint", "webhookdelivery", "webhookattempt"}


def test_0013_adds_the_webhook_tables_beside_existing_data(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (name, email, role, password_hash, is_active, created_at) VALUES '
                "('Olivia', 'olivia@acme.test', 'owner', '', true, '2026-01-01 00:00:00+00:00')"
            )
        )
    assert not TABLES & set(inspect(engine).get_table_names())
    command.upgrade(cfg, "head")
    engine.dispose()
    engine = create_engine(empty_url)
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        assert conn.execute(text('SELECT email FROM "user"')).scalar_one() == "olivia@acme.test"
        conn.execute(
            text(
                "INSERT INTO webhookendpoint (url, description, event_types, enabled, secret_enc, "
                "failed_deliveries, created_at, updated_at) VALUES ('https://example.com/h', '', "
                "'[\"*\"]', true, 'x', 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            )
        )
    uniques = inspect(engine).get_unique_constraints("webhookdelivery")
    assert any(set(u["column_names"]) == {"endpoint_id", "event_id"} for u in uniques)
    engine.dispose()
    command.downgrade(cfg, "0011")
    engine = create_engine(empty_url)
    assert not TABLES & set(inspect(engine).get_table_names())
    engine.dispose()
