"""Revision 0012 (outbox effects, domain events, a retainer's "e-mail its invoices") upgrades a
0011 database that already holds a retainer, and downgrades again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0012_upgrades_a_database_with_a_retainer(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (name, status, currency, billable_default, created_at) VALUES "
                "('P', 'active', 'EUR', true, '2026-01-01 00:00:00+00:00')"
            )
        )
        pid = conn.execute(text("SELECT id FROM project")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO retainer (project_id, name, amount_minor, planned_minor, start_date, active) "
                "VALUES (:p, 'Support', 40000, 0, '2026-01-01', true)"
            ),
            {"p": pid},
        )
    command.upgrade(cfg, "0012")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email_invoices FROM retainer")).scalar_one() in (False, 0)
        assert conn.execute(text("SELECT count(*) FROM outbox_effect")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM domain_event")).scalar_one() == 0
    names = set(inspect(engine).get_table_names())
    assert {"outbox_effect", "domain_event"} <= names
    uniques = inspect(engine).get_unique_constraints("outbox_effect")
    indexes = inspect(engine).get_indexes("outbox_effect")
    assert any(u["column_names"] == ["idempotency_key"] for u in uniques) or any(
        i["column_names"] == ["idempotency_key"] and i["unique"] for i in indexes
    )
    command.downgrade(cfg, "0011")
    assert "outbox_effect" not in set(inspect(engine).get_table_names())
    engine.dispose()
