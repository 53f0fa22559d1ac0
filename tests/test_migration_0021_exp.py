"""Revision 0021_exp (expense columns, cost rates) upgrades a 0020 database holding an expense:
it keeps its money, gets no markup, category 'other' and a sync stamp."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0021_exp_keeps_existing_expenses(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0020")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (name, status, currency, billable_default, created_at) "
                "VALUES ('P', 'active', 'EUR', true, '2026-01-01 00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO expense (project_id, day, description, amount_minor, billable) "
                "VALUES (1, '2026-03-03', 'Train', 12345, true)"
            )
        )
    command.upgrade(cfg, "0021_exp")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT amount_minor, category, markup_percent, receipt_document_id, updated_at FROM expense")
        ).one()
        assert (row[0], row[1], float(row[2]), row[3]) == (12345, "other", 0.0, None)
        assert row[4] is not None
    assert "costrate" in inspect(engine).get_table_names()
    command.downgrade(cfg, "0020")
    insp = inspect(engine)
    assert "costrate" not in insp.get_table_names()
    assert "markup_percent" not in {c["name"] for c in insp.get_columns("expense")}
    engine.dispose()
