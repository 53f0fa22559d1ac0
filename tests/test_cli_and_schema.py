"""Operators' CLI, the migrations, and the audit log."""

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

import l2c_app.models  # noqa: F401
from l2c_app.core.db import engine_for


def test_migrations_match_the_models(session, db_url):
    """The one migration creates exactly the tables and columns the models declare."""
    with engine_for(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_billed_once_is_enforced_by_the_database(session):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
    from l2c_app.core.timeutil import utcnow

    inv = Invoice(public_token="t1")
    session.add(inv)
    session.flush()
    line = InvoiceLine(invoice_id=inv.id, description="Work")
    session.add(line)
    session.flush()
    session.add(BilledSource(invoice_line_id=line.id, source_type="time", source_id=7))
    session.flush()
    session.add(BilledSource(invoice_line_id=line.id, source_type="time", source_id=7))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # A released link (void, credit note) frees the source for a new invoice line.
    inv = Invoice(public_token="t2")
    session.add(inv)
    session.flush()
    line = InvoiceLine(invoice_id=inv.id, description="Work")
    session.add(line)
    session.flush()
    session.add(BilledSource(invoice_line_id=line.id, source_type="time", source_id=8, released_at=utcnow()))
    session.add(BilledSource(invoice_line_id=line.id, source_type="time", source_id=8))
    session.flush()


def run_cli(env, *args, stdin=""):
    return subprocess.run([sys.executable, "-m", "l2c_app.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_users_keys_backup_and_demo(tmp_path):
    import os

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/cli.db", SECRET_KEY="cli-secret-key-0123456789")
    assert run_cli(env, "db", "upgrade").returncode == 0
    r = run_cli(env, "users", "create", "--email", "Ada@Acme.test", "--role", "admin", stdin="long-password-1\n")
    assert r.returncode == 0 and "ada@acme.test" in r.stdout
    r = run_cli(env, "users", "create", "--email", "x@acme.test", "--role", "admin", stdin="short\n")
    assert r.returncode == 2 and "at least 10" in r.stderr
    r = run_cli(env, "apikeys", "create", "--name", "crm sync")
    key = r.stdout.strip()
    assert r.returncode == 0 and key.startswith("l2c_") and "not shown again" in r.stderr
    r = run_cli(env, "demo", "load")
    assert r.returncode == 0, r.stderr
    r = run_cli(env, "demo", "load")  # a second load must not fail or duplicate users
    assert r.returncode == 0, r.stderr
    r = run_cli(env, "backup", str(tmp_path / "backup.db"))
    assert r.returncode == 0 and (tmp_path / "backup.db").stat().st_size > 0
    from l2c_app.core.auth import api_key_for
    from l2c_app.core.models import User

    with Session(engine_for(f"sqlite:///{tmp_path}/backup.db")) as s:
        assert api_key_for(s, key) is not None
        assert len(s.exec(select(User)).all()) >= 6
    assert run_cli(env, "backup", str(tmp_path / "backup.db")).returncode == 2  # never overwrites


def test_serve_points_links_at_the_port_it_serves(monkeypatch):
    """`l2c serve --port 3100` with no APP_BASE_URL: e-mailed and PDF links use port 3100;
    an APP_BASE_URL the operator set is kept as it is."""
    import argparse

    from l2c_app import cli

    seen: list[dict] = []
    monkeypatch.setattr("l2c_app.core.db.migrate", lambda *a, **k: None)
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, cwd, env: seen.append(env) or 0)
    # production runs under the restart supervisor (l2c_app/serving.py)
    monkeypatch.setattr("l2c_app.serving.supervise", lambda cmd, cwd, env: seen.append(env) or 0)
    monkeypatch.setattr("l2c_app.core.config._load_dotenv", lambda path: {})
    args = argparse.Namespace(port=3100, dev=False, loglevel="info", no_jobs=True)

    monkeypatch.delenv("APP_BASE_URL", raising=False)
    assert cli.cmd_serve(args) == 0
    assert seen[-1]["APP_BASE_URL"] == "http://localhost:3100"

    monkeypatch.setenv("APP_BASE_URL", "https://l2c.example.com")
    assert cli.cmd_serve(args) == 0
    assert seen[-1]["APP_BASE_URL"] == "https://l2c.example.com"
