"""Revision 0016 (client record and portal) upgrades a database at 0011 that holds a client
with a contact: the client keeps its fields, the contact gets the new flags as false, the
portal tables exist and take a link; downgrade removes them again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0016_upgrades_a_database_with_a_client_and_a_contact(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO account (name, created_at) VALUES ('Old Client', '2026-01-01 00:00:00+00:00')"))
        acc = conn.execute(text("SELECT id FROM account")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO contact (account_id, name, email, created_at) VALUES "
                "(:a, 'Olga', 'olga@old.test', '2026-01-01 00:00:00+00:00')"
            ),
            {"a": acc},
        )
    command.upgrade(cfg, "0016")
    with engine.begin() as conn:
        row = conn.execute(text("SELECT name, billing_email, payment_terms, currency FROM account")).one()
        assert tuple(row) == ("Old Client", None, None, None)
        c = conn.execute(text("SELECT is_primary, is_billing, archived_at FROM contact")).one()
        assert (bool(c[0]), bool(c[1]), c[2]) == (False, False, None)
        cid = conn.execute(text("SELECT id FROM contact")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO portallink (account_id, contact_id, token_hash, created_at, expires_at) "
                "VALUES (:a, :c, :h, '2026-01-01 00:00:00+00:00', '2026-01-31 00:00:00+00:00')"
            ),
            {"a": acc, "c": cid, "h": "0" * 64},
        )
    tables = set(inspect(engine).get_table_names())
    assert {"portallink", "portalrequest"} <= tables
    command.downgrade(cfg, "0011")
    assert "portallink" not in set(inspect(engine).get_table_names())
    assert "is_primary" not in {c["name"] for c in inspect(engine).get_columns("contact")}
    engine.dispose()
