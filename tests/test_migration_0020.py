"""Revision 0020 (Cc on outbox messages) upgrades a 0017 database holding a message: it keeps
its text and has no Cc."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from alembic import command
from l2c_app.core.db import alembic_config


def test_0020_adds_cc_to_existing_messages(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0017")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO outboxmessage ("to", subject, body, attachment_ids, status, created_at) '
                "VALUES ('a@b.test', 'Hi', 'Body', '[]', 'outbox', '2026-01-01 00:00:00+00:00')"
            )
        )
    command.upgrade(cfg, "0020")
    with engine.connect() as conn:
        assert tuple(conn.execute(text('SELECT "to", subject, cc FROM outboxmessage')).one()) == ("a@b.test", "Hi", "")
    command.downgrade(cfg, "0017")
    assert "cc" not in {c["name"] for c in inspect(engine).get_columns("outboxmessage")}
    engine.dispose()
