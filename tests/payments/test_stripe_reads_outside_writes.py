"""No Stripe call while a webhook holds a write transaction: what a refund or dispute event
needs from Stripe (the charge's refunds, the intent of a payment not seen yet) is read before
the transaction opens. Probed from a second connection at the moment of each Stripe call:
SQLite's write lock must be free, and PostgreSQL must show no other transaction open."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from l2c_app.integrations import stripe_client
from tests.payments.conftest import issued_invoice, reload, send


def _probe(db_url: str):
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[1]

        def write_lock_free() -> bool:
            conn = sqlite3.connect(path, timeout=0)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.rollback()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                conn.close()

        return write_lock_free
    eng = create_engine(db_url)

    def no_open_transaction() -> bool:
        with eng.connect() as c:
            busy = c.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            ).scalar()
        return busy == 0

    return no_open_transaction


def test_refund_and_dispute_reads_happen_outside_the_write_transaction(session, world, standin, db_url, monkeypatch):
    inv = issued_invoice(session, world, 10000)
    paid = standin.pay(send(session, inv))
    session.commit()  # the test's own session holds nothing while the webhooks run
    free = _probe(db_url)
    seen: list[tuple[str, bool]] = []
    for name in ("refunds_of_charge", "retrieve_payment_intent"):
        real = getattr(stripe_client, name)

        def wrapped(*args, _real=real, _name=name, **kwargs):
            seen.append((_name, free()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(stripe_client, name, wrapped)

    standin.refund(paid["charge"]["id"], 2500)
    inv = reload(session, inv)
    assert inv.paid_minor == 7500  # the refund was applied from the read-ahead refunds
    session.commit()
    assert ("refunds_of_charge", True) in seen
    assert all(ok for _, ok in seen), seen
