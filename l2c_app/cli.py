"""`l2c`: the operators' command line.

    l2c serve [--port 3000] [--dev]     migrate once, then start the app (frontend + API on one port)
    l2c db upgrade                      apply pending migrations
    l2c users create --email E --role R [--name N]   (password read from stdin)
    l2c apikeys create --name N         prints the key once
    l2c demo load                       a believable data set covering every stage
    l2c jobs run [--every N]            reminders, retainer invoices, DocuSign re-poll, Stripe sync
    l2c contracts verify FILE           check a PDF against the stored contract hashes
    l2c contracts repoll                re-poll stalled DocuSign envelopes
    l2c backup FILE                     online SQLite backup (pg_dump hint on PostgreSQL)
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


def cmd_db_upgrade(_args) -> int:
    from l2c_app.core.db import migrate

    migrate()
    print("database is up to date")
    return 0


def cmd_serve(args) -> int:
    from l2c_app.core.db import migrate

    migrate()  # once, before any worker starts: `reflex run` never migrates
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
        cmd += ["--env", "prod", "--single-port", "--frontend-port", str(args.port), "--backend-port",
                str(args.port)]
    print(f"l2c: starting on http://localhost:{args.port}", flush=True)
    jobs = None
    if not args.no_jobs:  # reminders, retainers, re-poll, Stripe sync: every hour, beside the app
        jobs = subprocess.Popen([sys.executable, "-m", "l2c_app.cli", "jobs", "run", "--every", "3600"],
                                cwd=PROJECT_DIR, env=env)
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
        user = with_session(lambda s: create_user(s, name=args.name or args.email.split("@")[0], email=args.email,
                                                  role=args.role, password=password))
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
        print("PostgreSQL: use pg_dump, e.g.  pg_dump --format=custom --file=l2c.dump \"$DATABASE_URL\"")
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

    if not get_settings().docusign_enabled:
        print("DocuSign is not configured: nothing to re-poll")
        return 0
    for label, status in with_session(repoll_all, args.hours):
        print(f"{label}: {status}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="l2c", description="l2c: lead to cash, for operators")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then start the app")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    serve.add_argument("--dev", action="store_true", help="hot reload (frontend and API on separate ports)")
    serve.add_argument("--loglevel", default="info")
    serve.add_argument("--no-jobs", action="store_true", help="do not run the hourly jobs here (other hosts do)")
    serve.add_argument("--backend-only", action="store_true",
                       help="serve only the backend (API and websocket) on --port; no frontend build")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(func=cmd_db_upgrade)

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
