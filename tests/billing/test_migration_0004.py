"""Revision 0004 (the ledger) upgrades a 0001 database that already holds an invoice with a payment."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0004_upgrades_a_database_with_an_invoice_and_a_payment(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0001")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO invoice (number, kind, status, refunded, disputed, currency, terms_days, "
                "subtotal_minor, tax_minor, total_minor, paid_minor, public_token, created_at) VALUES "
                "('INV-1', 'invoice', 'partially_paid', false, false, 'EUR', 30, 10000, 0, 10000, 4000, "
                "'tok', '2026-01-01 00:00:00+00:00')"
            )
        )
        inv_id = conn.execute(text("SELECT id FROM invoice")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO payment (invoice_id, amount_minor, currency, method, status, created_at, "
                "updated_at) VALUES (:i, 4000, 'EUR', 'bank_transfer', 'succeeded', "
                "'2026-01-02 00:00:00+00:00', '2026-01-02 00:00:00+00:00')"
            ),
            {"i": inv_id},
        )
    command.upgrade(cfg, "head")  # through 0004 and whatever follows it
    with engine.connect() as conn:
        row = conn.execute(text("SELECT credited_minor, written_off_minor, delivery, total_minor FROM invoice")).one()
        assert tuple(row) == (0, 0, None, 10000)
        pay = conn.execute(text("SELECT status, amount_minor, reversed_at FROM payment")).one()
        assert tuple(pay) == ("succeeded", 4000, None)
    cols = {c["name"]: c for c in inspect(engine).get_columns("invoice")}
    assert "BIGINT" in str(cols["credited_minor"]["type"]).upper() or engine.dialect.name == "sqlite"
    # the service reads the upgraded rows with the new rule: open = total - credited - paid - written off
    from sqlmodel import Session

    from l2c_app.billing import service
    from l2c_app.billing.models import Invoice

    with Session(engine) as s:
        inv = s.get(Invoice, inv_id)
        assert service.open_amount(s, inv) == 6000 and service.state_label(inv) == "Partially paid"
    command.downgrade(cfg, "0001")
    engine.dispose()
