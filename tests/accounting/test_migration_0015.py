"""Revision 0015 (accounting sync tables) upgrades a database at 0011 that holds an invoice, and
downgrades cleanly."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0015_upgrades_a_database_with_an_invoice(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO invoice (number, kind, status, refunded, disputed, currency, terms_days, "
                "subtotal_minor, tax_minor, total_minor, paid_minor, public_token, created_at, "
                "credited_minor, written_off_minor) VALUES ('INV-1', 'invoice', 'sent', false, false, "
                "'EUR', 30, 10000, 0, 10000, 0, 'tok', '2026-01-01 00:00:00+00:00', 0, 0)"
            )
        )
    command.upgrade(cfg, "0015")
    tables = set(inspect(engine).get_table_names())
    assert {"accounting_connection", "accounting_mapping", "accounting_sync_log"} <= tables
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounting_connection (provider, status, updated_at) VALUES "
                "('qbo', 'disconnected', '2026-01-01 00:00:00+00:00')"
            )
        )
        assert conn.execute(text("SELECT accounts_json FROM accounting_connection")).scalar_one() == "{}"
        assert conn.execute(text("SELECT number FROM invoice")).scalar_one() == "INV-1"
    command.downgrade(cfg, "0011")
    assert "accounting_mapping" not in set(inspect(engine).get_table_names())
    engine.dispose()
