"""Revision 0019 (quote headings, quote templates) upgrades a 0017 database holding a quote:
the quote keeps its lines' sections (its `sections` is NULL, read from the lines)."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0019_upgrades_a_database_with_a_quote(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0017")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO account (name, created_at) VALUES ('A', '2026-01-01')"))
        account = conn.execute(text("SELECT id FROM account")).scalar()
        stage = conn.execute(text("SELECT id FROM pipelinestage")).scalar()
        if stage is None:
            conn.execute(
                text("INSERT INTO pipelinestage (name, position, probability, kind) VALUES ('Lead', 1, 10, 'open')")
            )
            stage = conn.execute(text("SELECT id FROM pipelinestage")).scalar()
        conn.execute(
            text(
                "INSERT INTO deal (title, account_id, stage_id, currency, value_minor, status, "
                "created_at, updated_at, stage_entered_at, last_activity_at) "
                "VALUES ('D', :a, :s, 'EUR', 0, 'open', "
                "'2026-01-01', '2026-01-01', '2026-01-01', '2026-01-01')"
            ),
            {"a": account, "s": stage},
        )
        deal = conn.execute(text("SELECT id FROM deal")).scalar()
        conn.execute(
            text(
                "INSERT INTO quote (deal_id, number, version, status, title, currency, "
                "discount_percent, public_token, subtotal_minor, discount_minor, tax_minor, total_minor, "
                "created_at, updated_at) VALUES (:d, 1, 1, 'draft', 'Q', 'EUR', 0, 'tok', 0, 0, 0, 0, "
                "'2026-01-01', '2026-01-01')"
            ),
            {"d": deal},
        )
    command.upgrade(cfg, "0019")
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT title, sections FROM quote")).one()) == ("Q", None)
    assert {c["name"] for c in inspect(engine).get_columns("quotetemplate")} >= {
        "name",
        "title",
        "currency",
        "discount_percent",
        "sections",
        "lines",
        "created_at",
    }
    command.downgrade(cfg, "0017")
    assert "quotetemplate" not in inspect(engine).get_table_names()
    assert "sections" not in {c["name"] for c in inspect(engine).get_columns("quote")}
    engine.dispose()
