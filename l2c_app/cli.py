"""`l2c`: the operators' command line.

l2c serve [--port 3000] [--dev]     migrate once, then start the app (frontend + API on one port)
l2c db upgrade                      apply pending migrations, then check the schema matches the models
l2c db check                        list every difference between the database and the models
l2c users create --email E --role R [--name N]   (password read from stdin)
l2c apikeys create --name N         prints the key once
l2c demo load                       a believable data set covering every stage
l2c jobs run [--every N]            reminders, retainer invoices, DocuSign re-poll, Stripe sync
l2c contracts verify FILE           check a PDF against the stored contract hashes
l2c contracts repoll                re-poll stalled DocuSign envelopes
l2c backup FILE                     online SQLite backup (pg_dump hint on PostgreSQL)
l2c restore FILE                    replace the SQLite database with a backup (keeps the replaced file)
l2c contracts verify FILE           is this PDF exactly a contract l2c produced (signed or original)?
l2c contracts repoll [--hours 24]   ask DocuSign about envelopes with no Connect event for that long
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from l2c_app.core.config import PROJECT_DIR, SettingsError, get_settings


def _fail(message: str) -> int:
    print(f"l2c: {message}", file=sys.stderr)
    return 2


def _migrate_or_fail() -> int | None:
    """Migrate, then refuse a schema that still differs from the models (one line saying
    what to run): a database created by an older, since-rewritten migration reports "up to
    date" with columns missing, and would fail later on some request instead."""
    from l2c_app.core.db import SchemaMismatch, migrate_and_check

    try:
        migrate_and_check()
    except SchemaMismatch as exc:
        return _fail(str(exc))
    return None


def cmd_db_upgrade(_args) -> int:
    if (failed := _migrate_or_fail()) is not None:
        return failed
    print("database is up to date")
    return 0


def cmd_db_check(_args) -> int:
    from l2c_app.core.db import pending_migrations, schema_differences

    if pending_migrations():
        print("migrations are pending: run `l2c db upgrade`")
        return 1
    differences = schema_differences()
    for diff in differences:
        print(diff)
    print("the schema matches the models" if not differences else f"{len(differences)} difference(s)")
    return 1 if differences else 0


def cmd_serve(args) -> int:
    if args.port is None:
        args.port = get_settings().port  # PORT from the environment or `.env`
    # once, before any worker starts: `reflex run` never migrates
    if (failed := _migrate_or_fail()) is not None:
        return failed
    env = dict(os.environ, REFLEX_CHECK_LATEST_VERSION="false", REFLEX_TELEMETRY_ENABLED="false")
    from l2c_app.core.config import _load_dotenv

    if not env.get("APP_BASE_URL") and not _load_dotenv(PROJECT_DIR / ".env").get("APP_BASE_URL"):
        # Links in e-mails, PDFs and payment redirects point at the port actually served.
        env["APP_BASE_URL"] = f"http://localhost:{args.port}"
    from l2c_app import serving

    # Workers that die are respawned (l2c_app/serving.py); the app itself is restarted below.
    cmd = serving.reflex_command(["run", "--loglevel", args.loglevel])
    if args.dev:
        cmd += ["--env", "dev", "--frontend-port", str(args.port), "--backend-port", str(args.port + 5000)]
    elif getattr(args, "backend_only", False):  # the API and the app's websocket; the frontend is served elsewhere
        cmd += ["--env", "prod", "--backend-only", "--backend-port", str(args.port)]
    else:
        cmd += ["--env", "prod", "--single-port", "--frontend-port", str(args.port), "--backend-port", str(args.port)]
    print(f"l2c: starting on http://localhost:{args.port}", flush=True)
    jobs = None
    if not args.no_jobs:  # reminders, retainers, re-poll, Stripe sync: every hour, beside the app
        jobs = subprocess.Popen(
            [sys.executable, "-m", "l2c_app.cli", "jobs", "run", "--every", "3600"], cwd=PROJECT_DIR, env=env
        )
    try:
        if args.dev:  # hot reload restarts by itself; a crash while editing should stay visible
            return subprocess.call(cmd, cwd=PROJECT_DIR, env=env)
        return serving.supervise(cmd, cwd=PROJECT_DIR, env=env)
    finally:
        if jobs is not None:
            jobs.terminate()


def cmd_jobs_run(args) -> int:
    from l2c_app.jobs import run_forever, run_jobs

    if args.every:
        run_forever(args.every)
    results = run_jobs()
    for name, outcome in results.items():
        print(f"{name}: {outcome}")
    return 1 if any(v.startswith("failed") for v in results.values()) else 0


def cmd_users_create(args) -> int:
    from l2c_app.core.auth import AuthError, create_user
    from l2c_app.core.db import with_session

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else __import__("getpass").getpass()
    try:
        user = with_session(
            lambda s: create_user(
                s, name=args.name or args.email.split("@")[0], email=args.email, role=args.role, password=password
            )
        )
    except AuthError as exc:
        return _fail(str(exc))
    print(f"created user {user.email} ({user.role}), id {user.id}")
    return 0


def cmd_apikeys_create(args) -> int:
    from l2c_app.core.auth import AuthError, create_api_key
    from l2c_app.core.db import with_session

    try:
        _, secret = with_session(lambda s: create_api_key(s, args.name))
    except AuthError as exc:
        return _fail(str(exc))
    print(secret)
    print("Store this key now: it is not shown again.", file=sys.stderr)
    return 0


def cmd_demo_load(_args) -> int:
    from l2c_app.core.db import migrate, with_session
    from l2c_app.demo import load_demo

    migrate()
    summary = with_session(load_demo)
    for key, value in summary.items():
        print(f"{key}: {value}")
    return 0


def cmd_backup(args) -> int:
    settings = get_settings()
    if not settings.is_sqlite:
        print('PostgreSQL: use pg_dump, e.g.  pg_dump --format=custom --file=l2c.dump "$DATABASE_URL"')
        return 0
    source = settings.database_url.removeprefix("sqlite:///")
    target = Path(args.file)
    if target.exists():
        return _fail(f"{target} exists; choose a new file name")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)  # SQLite's online backup: consistent while the app keeps running
    src.close()
    dst.close()
    print(f"backed up {source} to {target} ({target.stat().st_size} bytes)")
    return 0


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_l2c_backup(path: Path) -> str | None:
    """Why `path` is not an l2c database this version can restore (None: it is).

    Threat model: the file comes from an operator's disk, maybe the wrong one. It is opened
    read-only and only inspected; nothing of it runs."""
    from alembic.script import ScriptDirectory

    from l2c_app.core.db import alembic_config

    if not path.is_file():
        return f"{path} is not a file"
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            return f"{path} is not an SQLite database"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return f"{path} is damaged (SQLite integrity check failed)"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revisions = (
                [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"{path} cannot be read as an SQLite database ({exc})"
    if not revisions or not {"organisation", "user", "invoice", "auditlog"} <= tables:
        return f"{path} is not an l2c database (no l2c tables or migration version)"
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = {rev.revision for rev in script.walk_revisions()}
    if not set(revisions) <= known:
        return f"{path} was made by a newer l2c (schema revision {', '.join(revisions)}); upgrade l2c first"
    return None


def cmd_restore(args) -> int:
    """Replace the configured SQLite database with a backup, keeping the replaced file.

    Stop the app (and `l2c jobs run`) first. The copy goes through SQLite's backup API in
    both directions, so the WAL is honoured and nobody reads a half-written file; a writer
    that is still connected makes the restore wait (busy timeout) or fail, never corrupt.
    """
    from datetime import UTC, datetime

    settings = get_settings()
    if not settings.is_sqlite:
        return _fail(
            "PostgreSQL: restore with pg_restore, e.g.  pg_restore --clean --if-exists --no-owner "
            '--dbname "$DATABASE_URL" l2c.dump  (see README, Backups)'
        )
    source = Path(args.file)
    if (problem := _check_l2c_backup(source)) is not None:
        return _fail(problem)
    target = Path(settings.database_url.removeprefix("sqlite:///"))
    if source.resolve() == target.resolve():
        return _fail(f"{source} is the database itself")
    kept = None
    if target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        cur = sqlite3.connect(target, timeout=10)
        keep = sqlite3.connect(kept)
        with keep:
            cur.backup(keep)  # the replaced data, consistent, before anything is overwritten
        keep.close()
        cur.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=10)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()
    from l2c_app.core.db import engine_for

    engine_for.cache_clear()  # no pooled connection of this process still sees the old file
    if (failed := _migrate_or_fail()) is not None:  # an older backup is brought up to this version
        return failed
    print(f"restored {source} into {target}" + (f"; the replaced database is kept as {kept}" if kept else ""))
    return 0


def cmd_contracts_verify(args) -> int:
    from l2c_app.contracts.service import verify_pdf
    from l2c_app.core.db import with_session

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"{path} is not a file")
    result = with_session(verify_pdf, path.read_bytes())
    print(result.message)
    return 0 if result.ok else 1


def cmd_contracts_repoll(args) -> int:
    from l2c_app.contracts.service import repoll_all
    from l2c_app.core.db import with_session
    from l2c_app.ports import signatures

    if not signatures.available(signatures.DOCUSIGN):
        print("DocuSign is not configured: nothing to re-poll")
        return 0
    for label, status in with_session(repoll_all, args.hours):
        print(f"{label}: {status}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="l2c", description="l2c: lead to cash, for operators")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then start the app")
    serve.add_argument("--port", type=int, default=None, help="default: PORT from the environment or .env, else 3000")
    serve.add_argument("--dev", action="store_true", help="hot reload (frontend and API on separate ports)")
    serve.add_argument("--loglevel", default="info")
    serve.add_argument("--no-jobs", action="store_true", help="do not run the hourly jobs here (other hosts do)")
    serve.add_argument(
        "--backend-only",
        action="store_true",
        help="serve only the backend (API and websocket) on --port; no frontend build",
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations, then check the schema").set_defaults(func=cmd_db_upgrade)
    db.add_parser("check", help="list differences between the database and the models").set_defaults(func=cmd_db_check)

    users = sub.add_parser("users", help="users").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create a user; password from stdin")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["owner", "admin", "sales", "delivery", "billing"])
    create.add_argument("--name")
    create.set_defaults(func=cmd_users_create)

    keys = sub.add_parser("apikeys", help="API keys").add_subparsers(dest="keys_command", required=True)
    kc = keys.add_parser("create", help="create a key and print it once")
    kc.add_argument("--name", required=True)
    kc.set_defaults(func=cmd_apikeys_create)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="load a demo data set covering every stage").set_defaults(func=cmd_demo_load)

    contracts = sub.add_parser("contracts", help="contracts").add_subparsers(dest="contracts_command", required=True)
    verify = contracts.add_parser("verify", help="check a PDF against the stored contract hashes")
    verify.add_argument("file")
    verify.set_defaults(func=cmd_contracts_verify)
    rp = contracts.add_parser("repoll", help="re-poll stalled DocuSign envelopes (run from cron, e.g. hourly)")
    rp.add_argument("--hours", type=int, default=24)
    rp.set_defaults(func=cmd_contracts_repoll)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers(dest="jobs_command", required=True)
    jr = jobs.add_parser("run", help="reminders, retainer invoices, DocuSign re-poll, Stripe sync (once)")
    jr.add_argument("--every", type=int, default=0, help="repeat every N seconds instead of once")
    jr.set_defaults(func=cmd_jobs_run)

    backup = sub.add_parser("backup", help="back up the database")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="replace the SQLite database with a backup (stop the app first)")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        get_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
