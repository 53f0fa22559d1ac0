"""Revision 0018 stamps `updated_at` on existing rows (from `created_at`, or the migration's
instant where a table has none), adds week submissions and removed draft lines, and goes back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0018_stamps_existing_rows_and_downgrades(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0017")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO apikey (name, prefix, key_hash, created_at) VALUES "
                "('old', 'l2c_abcdef', :h, '2026-01-01 00:00:00+00:00')"
            ),
            {"h": "a" * 64},
        )
        conn.execute(text("INSERT INTO taxrate (name, percent, inclusive) VALUES ('VAT', 20, false)"))
    before = datetime.now(UTC)
    command.upgrade(cfg, "0018")
    with engine.connect() as conn:
        key_stamp = conn.execute(text("SELECT updated_at FROM apikey")).scalar_one()
        tax_stamp = conn.execute(text("SELECT updated_at FROM taxrate")).scalar_one()
    as_dt = lambda v: (datetime.fromisoformat(v) if isinstance(v, str) else v)  # noqa: E731
    key_dt, tax_dt = as_dt(key_stamp), as_dt(tax_stamp)
    assert key_dt.replace(tzinfo=None) == datetime(2026, 1, 1)
    assert tax_dt.replace(tzinfo=UTC) >= before.replace(microsecond=0) if tax_dt.tzinfo is None else tax_dt >= before
    cols = inspect(engine)
    for table in ("lead", "invoice", "contractsigner", "projectmember", "budgetline", "user"):
        col = next(c for c in cols.get_columns(table) if c["name"] == "updated_at")
        assert col["nullable"] is False, table
    assert {"weeksubmission", "removedinvoiceline"} <= set(cols.get_table_names())
    command.downgrade(cfg, "0017")
    cols = inspect(engine)
    assert "weeksubmission" not in cols.get_table_names()
    assert "updated_at" not in {c["name"] for c in cols.get_columns("lead")}
    engine.dispose()
