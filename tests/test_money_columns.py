"""Money columns are 64-bit, upgrades keep the data, and out-of-range amounts are a 422.

Revision 0002 widens every `*_minor` column to BIGINT. The upgrade test builds a
database at revision 0001 that holds an issued invoice with lines and a payment,
upgrades it to head on SQLite and PostgreSQL, and checks the rows survive and that an
amount past 2^31 then stores (PostgreSQL refused it at 0001).
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

import l2c_app.models  # noqa: F401
from alembic import command
from l2c_app.core.db import alembic_config, engine_for
from l2c_app.core.errors import DomainError
from l2c_app.core.money import MAX_AMOUNT_MINOR, check_amount
from tests.conftest import _backends, _pg_exec, _pg_url

BIG = 3_000_000_000  # > 2^31 - 1: "integer out of range" on PostgreSQL before 0002


# --- the validator -------------------------------------------------------------------------


def test_check_amount_accepts_what_a_column_holds_and_refuses_the_rest():
    assert check_amount(0, "x") == 0
    assert check_amount(MAX_AMOUNT_MINOR - 1, "x") == MAX_AMOUNT_MINOR - 1
    assert check_amount(-(MAX_AMOUNT_MINOR - 1), "x") == -(MAX_AMOUNT_MINOR - 1)
    assert MAX_AMOUNT_MINOR * 9000 < 2**63  # the documented margin: thousands of maximal lines still fit
    for bad in (MAX_AMOUNT_MINOR, -MAX_AMOUNT_MINOR, 2**63, -(2**63), 10**30):
        with pytest.raises(DomainError) as err:
            check_amount(bad, "amount_minor", "The payment")
        assert err.value.field == "amount_minor" and err.value.status == 422 and "too large" in err.value.message
    for bad in (1.5, 100.0, "100", None, True, float("nan")):
        with pytest.raises(DomainError) as err:
            check_amount(bad, "amount_minor")
        assert err.value.status == 422


# --- every entry point refuses an amount a column cannot hold -------------------------------

TOO_BIG = MAX_AMOUNT_MINOR


def _refused(field: str, fn, *args, **kwargs) -> None:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)
    assert err.value.field == field, err.value
    assert err.value.status == 422


def test_quote_lines_catalog_and_deals_refuse_huge_amounts(session):
    from l2c_app.pipeline import service as pipeline
    from l2c_app.quotes import service as quotes
    from tests.quotes.conftest import make_world

    w = make_world(session)
    q = quotes.create_quote_from_deal(session, w.actor, w.deal.id)
    _refused(
        "unit_price_minor",
        quotes.add_line,
        session,
        w.actor,
        q.id,
        description="Huge",
        quantity="1",
        unit_price_minor=TOO_BIG,
    )
    # each figure in range, their product not: refused before it reaches a column
    _refused(
        "quantity",
        quotes.add_line,
        session,
        w.actor,
        q.id,
        description="Many",
        quantity="100000",
        unit_price_minor=MAX_AMOUNT_MINOR // 10,
    )
    _refused("unit_price_minor", quotes.create_catalog_item, session, w.actor, name="Gold", unit_price_minor=TOO_BIG)
    _refused("value", pipeline.create_deal, session, w.actor, title="Big", value_minor=TOO_BIG)
    _refused("value", pipeline.update_deal, session, w.actor, w.deal.id, {"value": TOO_BIG})
    # in range is fine, past 2^31 included
    line = quotes.add_line(session, w.actor, q.id, description="Big but fine", quantity="1", unit_price_minor=BIG)
    assert line.unit_price_minor == BIG
    session.commit()
    assert session.get(type(q), q.id).subtotal_minor == BIG


def test_change_orders_invoice_lines_payments_and_deposits_refuse_huge_amounts(session):
    from l2c_app.billing import service as billing
    from l2c_app.core.audit import SYSTEM
    from l2c_app.projects import service as projects
    from tests.billing.factory import World

    w = World(session)
    session.commit()
    _refused(
        "amount_minor", projects.create_change_order, session, SYSTEM, w.pid, description="More", amount_minor=TOO_BIG
    )
    _refused(
        "rate_minor",
        projects.create_change_order,
        session,
        SYSTEM,
        w.pid,
        description="More",
        kind="hours",
        minutes=60,
        rate_minor=TOO_BIG,
        role="Dev",
    )
    _refused(
        "minutes",
        projects.create_change_order,
        session,
        SYSTEM,
        w.pid,
        description="More",
        kind="hours",
        minutes=60_000_000,
        rate_minor=MAX_AMOUNT_MINOR // 1000,
        role="Dev",
    )
    _refused("amount_minor", billing.create_deposit_invoice, session, SYSTEM, w.pid, amount_minor=TOO_BIG)
    session.rollback()
    w.milestone(10_000)
    inv = billing.build_invoice(session, SYSTEM, w.pid, date(2026, 3, 31))
    _refused("amount_minor", billing.add_manual_line, session, SYSTEM, inv.id, "Huge", TOO_BIG)
    billing.add_manual_line(session, SYSTEM, inv.id, "Big but fine", BIG)
    billing.issue_invoice(session, SYSTEM, inv.id)
    session.commit()
    _refused(
        "amount_minor",
        billing.record_manual_payment,
        session,
        SYSTEM,
        inv.id,
        amount_minor=TOO_BIG,
        method="bank_transfer",
    )
    pay = billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=BIG, method="bank_transfer")
    session.commit()
    assert session.get(type(pay), pay.id).amount_minor == BIG


def test_the_api_answers_422_for_an_amount_past_the_columns(session, db_url):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_api_key, setup_organisation

    setup_organisation(
        session,
        org_name="Acme",
        currency="EUR",
        timezone="UTC",
        owner_name="O",
        owner_email="o@acme.test",
        password="long-password-1",
    )
    _, key = create_api_key(session, "k")
    session.commit()
    r = TestClient(build_api()).post(
        "/api/v1/deals", json={"title": "Big", "value": 2**63}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "value"


# --- the upgrade from 0001, with data --------------------------------------------------------


@pytest.fixture(params=_backends())
def url_at_0001(request, tmp_path, monkeypatch):
    """A database holding an issued invoice, a payment and their audit, back at revision 0001.

    The world is built at head through the services (as a user would have built it),
    then the schema is taken down to 0001: the test never writes SQL by hand for an old
    schema, so it keeps working while the models move on.
    """
    from l2c_app.core.config import reset_settings

    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        name = f"l2c_up_{uuid.uuid4().hex[:12]}"
        _pg_exec(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-0123456789")
    reset_settings()
    command.upgrade(alembic_config(url), "head")
    yield url
    engine_for(url).dispose()
    reset_settings()
    if name:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _amount_types(url: str) -> set[str]:
    with engine_for(url).connect() as conn:
        insp = inspect(conn)
        return {
            str(c["type"]).upper()
            for t in ("invoice", "invoiceline", "payment")
            for c in insp.get_columns(t)
            if c["name"].endswith("_minor")
        }


def _rows(url: str) -> dict:
    """What 0001 already held, read with plain SQL (the models may have columns 0001 lacks)."""
    from sqlalchemy import text

    with engine_for(url).connect() as c:

        def q(sql):
            return [tuple(r) for r in c.execute(text(sql)).all()]

        return {
            "invoice": q(
                "SELECT id, number, status, subtotal_minor, tax_minor, total_minor, paid_minor FROM invoice ORDER BY id"
            ),
            "lines": q("SELECT id, invoice_id, description, amount_minor, tax_minor FROM invoiceline ORDER BY id"),
            "payments": q(
                "SELECT id, invoice_id, amount_minor, CAST(received_on AS VARCHAR(10)), reference "
                "FROM payment ORDER BY id"
            ),
            "billed": q("SELECT count(*) FROM billedsource")[0][0],
            "audit": q("SELECT count(*) FROM auditlog")[0][0],
        }


def test_upgrade_from_0001_keeps_invoices_and_payments_and_widens_amounts(url_at_0001):
    from sqlalchemy import text

    from l2c_app.billing import service as billing
    from l2c_app.billing.models import Invoice
    from l2c_app.core.audit import SYSTEM
    from tests.billing.factory import World

    url = url_at_0001
    pg = url.startswith("postgresql")
    with Session(engine_for(url), expire_on_commit=False) as s:
        w = World(s)
        w.time(90)
        w.milestone(123_456)
        inv = billing.build_invoice(s, SYSTEM, w.pid, date(2026, 3, 31))
        billing.issue_invoice(s, SYSTEM, inv.id, issue_date=date(2026, 4, 1))
        billing.record_manual_payment(
            s,
            SYSTEM,
            inv.id,
            amount_minor=50_000,
            method="bank_transfer",
            received_on=date(2026, 4, 2),
            reference="TRF-1",
        )
        s.commit()
        pid = w.pid
    engine_for(url).dispose()
    command.downgrade(alembic_config(url), "0001")
    engine_for(url).dispose()
    assert _amount_types(url) == {"INTEGER"}
    before = _rows(url)
    if pg:  # the defect: PostgreSQL refused an amount past 2^31 at 0001
        with pytest.raises(DBAPIError, match="out of range"), engine_for(url).begin() as c:
            c.execute(text("UPDATE invoiceline SET unit_price_minor = :big"), {"big": BIG})
    assert len(before["lines"]) == 2 and before["payments"] and before["invoice"][0][6] == 50_000
    engine_for(url).dispose()

    command.upgrade(alembic_config(url), "head")

    assert _amount_types(url) == {"BIGINT"}
    with engine_for(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    assert _rows(url) == before
    with Session(engine_for(url), expire_on_commit=False) as s:
        # billed-once still holds after SQLite's table copy (the partial unique index survived)
        assert billing.unbilled_candidates(s, pid, date(2026, 3, 31)) == []
        # and now an amount past 2^31 stores and reads back, in a line and a payment
        inv_id = before["invoice"][0][0]
        new = billing.create_deposit_invoice(s, SYSTEM, pid, amount_minor=BIG)
        billing.issue_invoice(s, SYSTEM, new.id, issue_date=date(2026, 4, 3))
        billing.record_manual_payment(s, SYSTEM, new.id, amount_minor=BIG, method="bank_transfer")
        s.commit()
        assert s.get(Invoice, new.id).total_minor == BIG and s.get(Invoice, new.id).paid_minor == BIG
        assert s.get(Invoice, inv_id).paid_minor == 50_000
