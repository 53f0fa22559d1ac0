"""Dedupe's open-lead lookups are answered by the partial indexes of migration 0024.

A partial index serves a query only when the query's WHERE holds the index's condition, so the
condition must stay the open statuses dedupe writes (leads.common.OPEN_STATUSES)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlmodel import Session

from l2c_app.leads.capture import _dedupe_statements
from l2c_app.leads.common import OPEN_STATUSES
from l2c_app.leads.models import OPEN_LEAD


def test_the_partial_indexes_condition_is_the_open_statuses():
    assert OPEN_LEAD == "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"
    path = Path(__file__).parents[2] / "alembic" / "versions" / "0024_dedupe_id_order_indexes.py"
    spec = importlib.util.spec_from_file_location("m0024", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OPEN_LEAD == OPEN_LEAD


def test_dedupe_reads_the_open_lead_indexes(session: Session):
    leads_stmt, _ = _dedupe_statements()
    conn = session.connection()
    params = {"email": "ann@acme.example", "domain": "acme.example", "exclude": 0}
    if conn.dialect.name == "postgresql":
        # no statistics on a fresh table: the case where a plain index was intersected with the status index
        sql = leads_stmt.params(**params).compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    else:
        compiled = leads_stmt.compile(conn)
        args = compiled.construct_params(params)
        raw = conn.connection.driver_connection
        plan = "\n".join(
            r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + str(compiled), [args[k] for k in compiled.positiontup])
        )
    assert "ix_lead_open_email_id" in plan, plan
    assert "ix_lead_open_email_domain_id" in plan, plan
    assert "ix_lead_status" not in plan, plan


def test_a_batchs_dedupe_reads_the_open_lead_indexes(session: Session):
    """The group-commit batch's one statement (leads/batch_dedupe.py) takes the same indexes."""
    from sqlalchemy import text

    from l2c_app.leads import batch_dedupe

    conn = session.connection()
    if conn.dialect.name == "postgresql":
        sql = str(batch_dedupe._PG_SQL)
        params = {"emails": ["ann@acme.example"], "domains": ["acme.example"], "ne": 1, "ids": 1, "pool": [1]}
    else:
        sql = "EXPLAIN QUERY PLAN " + str(batch_dedupe._sqlite_sql(1, 1, 1))
        params = {"k0": "ann@acme.example", "k1": "acme.example", "u0": 1}
    if conn.dialect.name == "postgresql":
        sql = "EXPLAIN " + sql
    plan = "\n".join(str(r[-1]) for r in conn.execute(text(sql), params))
    assert "ix_lead_open_email_id" in plan, plan
    assert "ix_lead_open_email_domain_id" in plan, plan
    assert "ix_lead_status" not in plan, plan
