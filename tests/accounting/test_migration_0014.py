"""Revision 0014 (the journal) upgrades a 0011 database that already holds an issued invoice with
a payment: the tables exist, money columns are 64-bit, and the first build posts the old records."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0014_upgrades_and_the_journal_posts_what_was_there(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO invoice (number, kind, status, refunded, disputed, currency, terms_days, "
                "subtotal_minor, tax_minor, total_minor, paid_minor, credited_minor, written_off_minor, "
                "public_token, issue_date, created_at) VALUES ('INV-1', 'invoice', 'partially_paid', "
                "false, false, 'EUR', 30, 10000, 0, 10000, 4000, 0, 0, 'tok', '2026-01-01', "
                "'2026-01-01 00:00:00+00:00')"
            )
        )
        inv_id = conn.execute(text("SELECT id FROM invoice")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO invoiceline (invoice_id, position, description, quantity, unit, "
                "unit_price_minor, amount_minor, tax_percent, tax_minor, tax_inclusive) VALUES "
                "(:i, 1, 'Work', 1, 'unit', 10000, 10000, 0, 0, false)"
            ),
            {"i": inv_id},
        )
        conn.execute(
            text(
                "INSERT INTO payment (invoice_id, amount_minor, currency, method, status, received_on, "
                "stripe_foreign, created_at, updated_at) VALUES (:i, 4000, 'EUR', 'bank_transfer', "
                "'succeeded', '2026-01-02', false, '2026-01-02 00:00:00+00:00', "
                "'2026-01-02 00:00:00+00:00')"
            ),
            {"i": inv_id},
        )
    command.upgrade(cfg, "0014")
    insp = inspect(engine)
    assert {"journalentry", "journalline", "exportbatch"} <= set(insp.get_table_names())
    cols = {c["name"]: c for c in insp.get_columns("journalline")}
    assert "BIGINT" in str(cols["debit_minor"]["type"]).upper() or engine.dialect.name == "sqlite"
    from sqlmodel import Session

    from l2c_app.accounting import journal

    # The ORM maps today's models: bring the schema to head first (later revisions add columns
    # such as updated_at); the rows written at 0011 are what the journal must still post.
    command.upgrade(cfg, "head")

    with Session(engine) as s:
        assert journal.post_pending(s) == 2
        s.commit()
        assert journal.post_pending(s) == 0
        assert journal.account_balance(s, "receivable", "EUR") == 6000
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM journalline"))
        conn.execute(text("DELETE FROM journalentry"))
    command.downgrade(cfg, "0011")
    assert "journalentry" not in set(inspect(engine).get_table_names())
    engine.dispose()
