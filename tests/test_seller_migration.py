"""Revision 0005 (the client's tax id) upgrades a 0001 database that already holds clients."""

from __future__ import annotations

import sqlalchemy as sa


def test_0005_adds_account_tax_id_and_keeps_the_accounts(empty_url):
    from alembic import command
    from l2c_app.core.db import alembic_config

    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0001")
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            assert "tax_id" not in {c["name"] for c in sa.inspect(conn).get_columns("account")}
            conn.execute(sa.text("INSERT INTO account (name, created_at) VALUES ('Old Client', CURRENT_TIMESTAMP)"))
        command.upgrade(cfg, "0005")
        with engine.begin() as conn:
            assert "tax_id" in {c["name"] for c in sa.inspect(conn).get_columns("account")}
            assert conn.execute(sa.text("SELECT name, tax_id FROM account")).all() == [("Old Client", None)]
            conn.execute(sa.text("UPDATE account SET tax_id = 'DE123456789'"))
        command.downgrade(cfg, "0001")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT name FROM account")).all() == [("Old Client",)]
    finally:
        engine.dispose()
