"""Shared fixtures.

- `db_url` / `session`: a fresh, migrated database per test, on SQLite and, when it is
  reachable, on PostgreSQL too (in CI, `CI=true`, PostgreSQL is required). Tests that
  take `session` run once per backend.
- `app_server`: the real app (`l2c serve`, production build, one port) started once per
  test run on its own port and its own SQLite file; `browser` / `page` drive it in
  Debian's Chromium through Playwright.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("L2C_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("L2C_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "test-artifacts"


def _cheap_password_hashing():
    """The suite hashes passwords with argon2id at its lowest cost (1 pass, 1 MiB, 1 lane).

    The app's hasher (argon2's defaults: 3 passes over 64 MiB in 4 lanes) costs ~0.25 s of CPU per
    hash, and nearly every test world makes one to three users: minutes of CPU over a run that
    test nothing about the cost. Same algorithm, same API, same "$argon2id$" strings; the
    production parameters are checked by tests/test_auth.py against PRODUCTION_HASHER. Servers the
    tests start (`l2c serve`) run in their own process with the real hasher."""
    from argon2 import PasswordHasher

    from l2c_app.core import auth

    production = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    auth._DUMMY_HASH = auth._hasher.hash("not-a-real-password")
    return production


PRODUCTION_HASHER = _cheap_password_hashing()

# Hypothesis: in CI the examples are derandomised (the same examples on every run: a red build
# is reproducible, a green one is not luck) and no example database is kept between runs.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    _hypothesis_settings.load_profile("ci")


def examples_for(db_url: str, sqlite: int, postgres: int) -> int:
    """max_examples of a database property on this backend: the rules are the same on both, so
    the property explores on SQLite (cheap copies of a file) and PostgreSQL runs a few of the
    same examples (its types, locks and NULL ordering), not the whole search again."""
    return sqlite if db_url.startswith("sqlite") else postgres


def _pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if _pg_reachable() or IN_CI:
        params.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return params


def _pg_exec(sql: str, dbname: str = "test") -> None:
    import psycopg

    url = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + f"/{dbname}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{dbname}"


class _PgCopies:
    """Copies of the PostgreSQL template, made and dropped beside the tests.

    CREATE DATABASE ... TEMPLATE and DROP DATABASE cost ~0.1-0.3 s each (seconds on a busy
    machine), once per PostgreSQL test: ~700 tests. One thread keeps the next copies ready
    while a test runs, another drops the used ones after it, so a test waits only when no copy
    is ready yet. Each test still gets its own fresh database, never reused."""

    AHEAD = 2
    BACKLOG = 8  # used databases waiting to be dropped, at most (disk on a busy machine)

    def __init__(self, template: str):
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        self.template = template
        self.creating = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-create")
        self.dropping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self.ready = deque(self.creating.submit(self._create) for _ in range(self.AHEAD))
        self.drops: deque = deque()

    def _create(self) -> str:
        name = f"l2c_t_{uuid.uuid4().hex[:12]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        name = self.ready.popleft().result()
        self.ready.append(self.creating.submit(self._create))
        return name

    def drop(self, name: str) -> None:
        self.drops.append(self.dropping.submit(_pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        while len(self.drops) > self.BACKLOG or (self.drops and self.drops[0].done()):
            self.drops.popleft().result()  # a failed drop is raised (in a later teardown), not lost

    def close(self) -> None:
        try:
            while self.ready:
                self.drop(self.ready.popleft().result())
        finally:
            self.creating.shutdown(wait=True)
            self.dropping.shutdown(wait=True)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One migrated database per backend; each test gets a cheap copy of it."""
    from l2c_app.core.db import migrate

    templates: dict[str, str] = {}
    sqlite_file = tmp_path_factory.mktemp("tpl") / "template.db"
    migrate(f"sqlite:///{sqlite_file}")
    templates["sqlite"] = str(sqlite_file)
    pg_name = None
    if _pg_reachable() or IN_CI:
        pg_name = f"l2c_tpl_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{pg_name}"')
        migrate(_pg_url(pg_name))
        from l2c_app.core.db import engine_for

        engine_for(_pg_url(pg_name)).dispose()  # a template must have no connections
        templates["postgres"] = pg_name
    yield templates
    if pg_name:
        _pg_exec(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _pg_copies(_templates) -> Iterator[_PgCopies | None]:
    if "postgres" not in _templates:
        yield None
        return
    copies = _PgCopies(_templates["postgres"])
    yield copies
    copies.close()


@pytest.fixture(params=_backends())
def db_url(request, _templates, tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh migrated database; also made the app's DATABASE_URL for this test."""
    from l2c_app.core.config import reset_settings
    from l2c_app.core.db import engine_for

    name = None
    if request.param == "sqlite":
        target = tmp_path / "l2c.db"
        shutil.copy(_templates["sqlite"], target)
        url = f"sqlite:///{target}"
    else:
        copies = request.getfixturevalue("_pg_copies")
        name = copies.take()
        url = _pg_url(name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-0123456789")
    reset_settings()
    yield url
    engine_for(url).dispose()
    reset_settings()
    if name:
        copies.drop(name)


@pytest.fixture(params=_backends())
def empty_url(request, tmp_path) -> Iterator[str]:
    """An empty database (no migration applied), per backend: migration tests start it at a revision."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"l2c_m_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _default_formats() -> Iterator[None]:
    """Each test starts with the default formats (en-US, 14:15): the active formats are one value
    per process (core/formats), and a test that saves de-DE must not leak it into the next."""
    from l2c_app.core import formats

    formats.set_active(formats.DEFAULT)
    yield
    formats.set_active(formats.DEFAULT)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test counts its own posts: the in-process limiter (core/rate_limit) is one per process."""
    from l2c_app.core import rate_limit

    rate_limit.use(None)


@pytest.fixture
def session(db_url) -> Iterator[Session]:
    from l2c_app.core.db import engine_for

    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


# --- the running app ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    def __init__(self, base_url: str, database_url: str, log: Path, stripe=None):
        self.base_url = base_url
        self.database_url = database_url
        self.log = log
        self.stripe = stripe  # the Stripe stand-in the app talks to (tests/payments/stripe_standin.py)
        self.qbo = None  # the QuickBooks stand-in (tests/accounting/qbo_standin.py)

    def session(self) -> Session:
        from l2c_app.core.db import engine_for

        return Session(engine_for(self.database_url), expire_on_commit=False)

    def reset(self) -> None:
        """Empty every table (the setup journey needs a fresh install)."""
        from sqlmodel import SQLModel

        import l2c_app.models  # noqa: F401

        with self.session() as s:
            for table in reversed(SQLModel.metadata.sorted_tables):
                s.exec(table.delete())  # type: ignore[call-overload]
            s.commit()

    def ensure_owner(self, email: str = "owner@l2c.test", password: str = "owner-password-1") -> tuple[str, str]:
        """An organisation with an owner, created directly (journeys other than setup)."""
        from sqlmodel import select

        from l2c_app.core.auth import create_user, setup_needed, setup_organisation
        from l2c_app.core.models import User
        from l2c_app.pipeline.service import ensure_stages

        with self.session() as s:
            if setup_needed(s):
                setup_organisation(
                    s,
                    org_name="Test Studio",
                    currency="EUR",
                    timezone="Europe/Paris",
                    owner_name="Olivia Owner",
                    owner_email=email,
                    password=password,
                )
            elif s.exec(select(User).where(User.email == email)).first() is None:
                # Another journey set the install up with its own owner: add ours beside it.
                create_user(s, name="Olivia Owner", email=email, role="owner", password=password)
            # The default board exists before any journey adds stages of its own, as in a
            # real install (the pipeline seeds it on first use).
            ensure_stages(s)
            s.commit()
        return email, password


@contextmanager
def served_app(cwd: Path, env: dict, port: int, log: Path, wait_seconds: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """`l2c serve --no-jobs` from `cwd` until the block ends: yields its base URL and process once
    /api/health and the login page answer; stopped (its whole process group) afterwards."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "l2c_app.cli", "serve", "--no-jobs", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"l2c serve exited with {proc.returncode}; see {log}")
            try:
                if (
                    httpx.get(f"{base}/api/health", timeout=2).status_code == 200
                    and httpx.get(f"{base}/login", timeout=5, follow_redirects=True).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"l2c serve did not answer within {wait_seconds} s; see {log}")
            time.sleep(1)
        yield base, proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # it exited already (the failure is reported above)
            pass


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[RunningApp]:
    """`l2c serve` on its own port and SQLite file, started once for the whole run."""
    folder = tmp_path_factory.mktemp("app")
    db_file = folder / "app.db"
    port = _free_port()
    log = ARTIFACTS / "app-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db_file}",
        SECRET_KEY="browser-tests-secret-0123456789",
        APP_BASE_URL=f"http://localhost:{port}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}",
    )
    env.pop("REDIS_URL", None)
    env["WEBHOOKS_ALLOW_PRIVATE"] = "1"  # the webhooks journey's receiver is on 127.0.0.1
    # Stripe is the local stand-in (loopback), so journeys can pay an invoice with no account.
    from tests.payments.stripe_standin import StripeStandIn

    stripe_standin = StripeStandIn("whsec_browser_tests", webhook_url=f"http://localhost:{port}/api/webhooks/stripe")
    stripe_standin.start()
    env.update(
        STRIPE_API_KEY="sk_test_browser",
        STRIPE_WEBHOOK_SECRET="whsec_browser_tests",
        STRIPE_API_BASE=stripe_standin.base_url,
    )
    # QuickBooks is its stand-in too (plain HTTP on loopback: oauthlib must be told it may be).
    from tests.accounting.qbo_standin import QBOStandIn

    qbo_standin = QBOStandIn().start()
    env.update(
        QBO_CLIENT_ID=qbo_standin.client_id,
        QBO_CLIENT_SECRET=qbo_standin.client_secret,
        QBO_ENVIRONMENT=qbo_standin.discovery_url,
        QBO_API_BASE=qbo_standin.base_url,
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    try:
        with served_app(ROOT, env, port, log, wait_seconds=300) as (base, _proc):
            running = RunningApp(base, f"sqlite:///{db_file}", log, stripe_standin)
            running.qbo = qbo_standin
            running.ensure_owner()  # the install every journey starts from: an owner and the default board
            yield running
    finally:
        stripe_standin.stop()
        qbo_standin.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, request):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(20_000)
    yield ctx
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, pg in enumerate(ctx.pages):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def pytest_itemcollected(item):
    """Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`) every test that drives the
    shared app (fixture `app_server`, one production build in this checkout's `.web`) runs in
    one worker: one build, one server, as in a plain run. Two workers building `.web` at once
    would replace the files the other's server is serving. Everything else (its own temp
    files, its own uniquely named PostgreSQL databases, free ports) runs in either worker."""
    if "app_server" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.xdist_group("app_server"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """xdist 3.8's loadgroup names a test's group by renaming it `<nodeid>@<group>` through
    `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`): done here the same
    way for pytest 9, in an xdist worker only (the only place `loadgroup` is set)."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        if "@" in item.nodeid or not hasattr(item, "_id"):
            continue  # xdist did it (an older pytest)
        groups = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
        )
        if groups:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def sign_in(page, app: RunningApp, email: str, password: str, next_path: str = "/") -> None:
    """What a person does: open the login page, type the credentials, press Sign in."""
    page.goto(f"{app.base_url}/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(app.base_url + next_path.rstrip("/")) + r"/?$"))


@pytest.fixture
def signed_in_page(page, app_server):
    """A page signed in as the owner (the organisation is created directly if needed)."""
    email, password = app_server.ensure_owner()
    sign_in(page, app_server, email, password)
    return page


def run_async(coro):
    """Run a coroutine to the end from a test, in its own thread and event loop.

    The session's Playwright (sync API) keeps an event loop running in the main thread once a
    browser test has started, so a plain `asyncio.run()` in a later test would refuse to run.
    """
    import asyncio
    import threading

    out: dict = {}

    def target():
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")
