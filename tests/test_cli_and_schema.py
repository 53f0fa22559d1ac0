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
    return subprocess.run(
        [sys.executable, "-m", "l2c_app.cli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


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
    monkeypatch.setattr("l2c_app.core.db.migrate_and_check", lambda *a, **k: None)
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


def test_upgrade_and_serve_refuse_a_schema_that_differs_from_the_models(tmp_path, monkeypatch):
    """A database that says "up to date" but lacks a column (made by an older, rewritten
    0001): `l2c db upgrade` and `l2c serve` stop with one line saying what to run."""
    import argparse
    import os
    import sqlite3

    from l2c_app import cli
    from l2c_app.core.config import reset_settings

    url = f"sqlite:///{tmp_path}/drift.db"
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="cli-secret-key-0123456789")
    assert run_cli(env, "db", "upgrade").returncode == 0
    r = run_cli(env, "db", "check")
    assert r.returncode == 0 and "matches" in r.stdout
    with sqlite3.connect(tmp_path / "drift.db") as conn:
        conn.execute("ALTER TABLE invoice DROP COLUMN notes")
    r = run_cli(env, "db", "upgrade")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not match" in lines[0] and "l2c db check" in lines[0], r.stderr
    assert "invoice.notes" in lines[0]
    r = run_cli(env, "db", "check")
    assert r.returncode == 1 and "notes" in r.stdout

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "cli-secret-key-0123456789")
    reset_settings()
    started = []
    monkeypatch.setattr(cli.subprocess, "call", lambda *a, **k: started.append(a) or 0)
    monkeypatch.setattr(cli.subprocess, "Popen", lambda *a, **k: started.append(a))
    try:
        assert cli.cmd_serve(argparse.Namespace(port=3100, dev=False, loglevel="info", no_jobs=False)) == 2
    finally:
        reset_settings()
    assert started == []  # neither the app nor the jobs started


def test_restore_replaces_the_database_with_a_checked_backup_and_keeps_the_old_one(tmp_path):
    import os

    from l2c_app.core.models import User

    db = tmp_path / "live.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", SECRET_KEY="cli-secret-key-0123456789")
    assert run_cli(env, "db", "upgrade").returncode == 0
    assert (
        run_cli(
            env, "users", "create", "--email", "before@acme.test", "--role", "admin", stdin="long-password-1\n"
        ).returncode
        == 0
    )
    assert run_cli(env, "backup", str(tmp_path / "b.db")).returncode == 0
    assert (
        run_cli(
            env, "users", "create", "--email", "after@acme.test", "--role", "admin", stdin="long-password-2\n"
        ).returncode
        == 0
    )

    # what is not an l2c backup is refused, and the live database is untouched
    (tmp_path / "notes.txt").write_text("hello")
    import sqlite3

    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    for bad, why in (
        (tmp_path / "missing.db", "not a file"),
        (tmp_path / "notes.txt", "not an SQLite database"),
        (tmp_path / "other.db", "not an l2c database"),
        (db, "is the database itself"),
    ):
        r = run_cli(env, "restore", str(bad))
        assert r.returncode == 2 and why in r.stderr, (bad, r.stderr)

    def emails(path):
        with Session(engine_for(f"sqlite:///{path}")) as s:
            return {u.email for u in s.exec(select(User))}

    assert emails(db) == {"before@acme.test", "after@acme.test"}
    r = run_cli(env, "restore", str(tmp_path / "b.db"))
    assert r.returncode == 0, r.stderr
    engine_for.cache_clear()
    assert emails(db) == {"before@acme.test"}
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("live.db.before-restore-")]
    assert len(kept) == 1 and kept[0].name in r.stdout
    assert emails(kept[0]) == {"before@acme.test", "after@acme.test"}  # the replaced data is kept
    assert run_cli(env, "db", "check").returncode == 0


def test_restore_on_postgresql_points_at_pg_restore(tmp_path):
    import os

    env = dict(
        os.environ,
        DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        SECRET_KEY="cli-secret-key-0123456789",
    )
    r = run_cli(env, "restore", str(tmp_path / "x.dump"))
    assert r.returncode == 2 and "pg_restore" in r.stderr
