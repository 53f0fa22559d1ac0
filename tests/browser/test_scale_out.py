"""Scale-out, proven: the production app on PostgreSQL + Redis with 3 Granian workers.

Two people (two browsers) whose pages are served by DIFFERENT workers: sign-in survives
a reload on another worker, a card moved by one appears on the other's board, and a
quote edited by one is current for the other. Which worker holds which connection is
read from the kernel (/proc/net/tcp and each process's open sockets), not guessed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

import l2c_app.models  # noqa: F401,E402  (every table registered before services run)
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IN_CI,
    ROOT,
    _free_port,
    _pg_exec,
    _pg_reachable,
    _pg_url,
    served_app,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

WORKERS = 3


def _redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


class ScaledApp:
    def __init__(self, base_url: str, database_url: str, proc: subprocess.Popen):
        self.base_url, self.database_url, self.proc = base_url, database_url, proc

    def session(self) -> Session:
        from l2c_app.core.db import engine_for

        return Session(engine_for(self.database_url), expire_on_commit=False)

    def ensure_owner(self, email: str = "owner@scale.test", password: str = "owner-password-1") -> tuple[str, str]:
        from l2c_app.core.auth import create_user, setup_needed, setup_organisation
        from l2c_app.core.models import User
        from l2c_app.pipeline.service import ensure_stages

        with self.session() as s:
            if setup_needed(s):
                setup_organisation(
                    s,
                    org_name="Scale Studio",
                    currency="EUR",
                    timezone="Europe/Paris",
                    owner_name="Olivia Owner",
                    owner_email=email,
                    password=password,
                )
            elif s.exec(select(User).where(User.email == email)).first() is None:
                create_user(s, name="Olivia Owner", email=email, role="owner", password=password)
            ensure_stages(s)
            s.commit()
        return email, password


REDIS_DB = 11


def worker_of(page) -> str | None:
    """Which worker holds this tab's websocket: Reflex's own record in Redis.

    With REDIS_URL, Reflex links each tab's token (sessionStorage "token") to the
    `instance_id` of the worker process holding its socket
    (`reflex/utils/token_manager.py`, key `token_manager_socket_record_<token>`).
    """
    import pickle

    import redis

    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    if not token:
        return None
    raw = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).get(f"token_manager_socket_record_{token}")
    return pickle.loads(raw).instance_id if raw else None  # noqa: S301 - our own local Redis


@pytest.fixture(scope="module")
def scaled_app(tmp_path_factory):
    if not (_pg_reachable() and _redis_reachable()):
        if IN_CI:
            pytest.fail("CI needs PostgreSQL and Redis for the scale-out test")
        pytest.skip("PostgreSQL or Redis not running here")
    # A copy of the app, so its production build (.web) never touches the one other tests serve.
    copy = tmp_path_factory.mktemp("scaled") / "app"
    shutil.copytree(
        ROOT,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".web", "test-artifacts", "tests", "bench", "*.db", ".l2c_secret_key", "__pycache__"
        ),
    )
    tools = copy / ".tools"
    if not tools.exists():
        tools.symlink_to(ROOT / ".tools")
    dbname = f"l2c_scale_{uuid.uuid4().hex[:10]}"
    _pg_exec(f'CREATE DATABASE "{dbname}"')
    url = _pg_url(dbname)
    redis_db = REDIS_DB
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
    port = _free_port()
    log = ROOT / "test-artifacts" / "scaled-app.log"
    log.parent.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        GRANIAN_WORKERS=str(WORKERS),
        SECRET_KEY="scale-out-secret-0123456789",
        APP_BASE_URL=f"http://localhost:{port}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}",
    )
    for key in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        env.pop(key, None)
    try:
        with served_app(copy, env, port, log, wait_seconds=420) as (base, proc):
            yield ScaledApp(base, url, proc), port
    finally:
        from l2c_app.core.db import engine_for

        engine_for(url).dispose()
        _pg_exec(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def land_on_another_worker(page, avoid: set[str], path: str, attempts: int = 30, ready=None) -> str:
    """Reload until this tab's websocket is held by a worker not in `avoid`."""
    for _ in range(attempts):
        worker = None
        for _ in range(20):  # the record is written when the socket connects
            worker = worker_of(page)
            if worker:
                break
            time.sleep(0.2)
        if worker and worker not in avoid:
            return worker
        page.goto(path)
        # A worker's first render of the board takes seconds on a loaded 2-core machine.
        expect(ready(page) if ready else page.get_by_role("region", name="Stage New")).to_be_visible(timeout=20_000)
    pytest.fail(f"after {attempts} reloads the tab was still served by {avoid}")


def test_two_people_on_different_workers_see_one_app(scaled_app, browser):
    app, _port = scaled_app
    email, password = app.ensure_owner()
    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import create_user
    from l2c_app.pipeline.service import create_deal
    from l2c_app.quotes.service import create_quote_from_deal

    colleague_email, colleague_password = "sam@scale.test", "colleague-pass-1"
    title = f"Scale deal {uuid.uuid4().hex[:6]}"
    with app.session() as s:
        create_user(s, name="Sam Seller", email=colleague_email, role="sales", password=colleague_password)
        s.commit()
    with app.session() as s:
        from l2c_app.core.models import User

        owner = s.exec(select(User).where(User.email == email)).one()
        deal = create_deal(s, Actor("user", owner.id), title=title, value_minor=250000, owner_id=owner.id)
        quote = create_quote_from_deal(s, Actor("user", owner.id), deal.id)
        s.commit()

    # Two browser processes: the session's Chromium and a second one from the same Playwright
    # (a second sync_playwright() cannot start while the session's runs its event loop).
    one = browser
    two = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        a = one.new_context(viewport={"width": 1500, "height": 900}).new_page()
        b = two.new_context(viewport={"width": 1500, "height": 900}).new_page()
        a.set_default_timeout(30_000)
        b.set_default_timeout(30_000)
        sign_in(a, app, email, password, "/pipeline")
        sign_in(b, app, colleague_email, colleague_password, "/pipeline")
        board = f"{app.base_url}/pipeline"
        expect(a.get_by_role("region", name="Stage New")).to_be_visible()
        first = land_on_another_worker(a, set(), board)
        # Sign-in survives on another worker: the session lives in the database and
        # the UI state in Redis, not in one worker's memory.
        a_worker = land_on_another_worker(a, {first}, board)
        assert "/login" not in a.url
        expect(a.get_by_role("article", name=title)).to_be_visible()
        b_worker = land_on_another_worker(b, {a_worker}, board)
        assert a_worker != b_worker  # two people, two different workers

        # A card moved by one appears on the other's board without a reload, pushed from one
        # worker to the other over Redis (well before the fallback poll could bring it).
        from l2c_app.pipeline.pages import BOARD_POLL_MS

        expect(b.get_by_label("Live updates on")).to_be_visible()
        card = a.get_by_role("article", name=title)
        card.drag_to(a.get_by_role("region", name="Stage Qualified"))
        expect(a.get_by_role("region", name="Stage Qualified").get_by_role("article", name=title)).to_be_visible()
        expect(b.get_by_role("region", name="Stage Qualified").get_by_role("article", name=title)).to_be_visible(
            timeout=min(5_000, BOARD_POLL_MS // 3)
        )

        # A quote edited by one is current for the other, opened on another worker.
        builder = f"{app.base_url}/quotes/{quote.id}"
        a.goto(builder)
        a.get_by_role("button", name="Add line").click()
        a.get_by_label("Description of line 1").fill("Discovery workshop")
        a.get_by_label("Quantity of line 1").fill("2")
        a.get_by_label("Unit price of line 1").fill("450")
        a.get_by_label("Unit price of line 1").press("Tab")
        expect(a.get_by_label("Total", exact=True)).to_have_text("€900.00")
        a_worker = worker_of(a)
        b.goto(builder)
        land_on_another_worker(b, {a_worker}, builder, ready=lambda pg: pg.get_by_role("button", name="Add line"))
        expect(b.get_by_label("Description of line 1")).to_have_value("Discovery workshop")
        expect(b.get_by_label("Total", exact=True)).to_have_text("€900.00")
        assert worker_of(b) != a_worker
    finally:
        for ctx in one.contexts:  # the session's browser stays; this test's tabs go
            ctx.close()
        two.close()
