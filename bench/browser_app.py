"""The real app for a browser bench: `l2c serve` (prod build) on a free port over the bench's
database, a bare /api/health round trip to print beside the figures, and a signed-in page."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


class Served(str):
    """The base URL of a served app; `.pid` is its process (and session) id."""

    pid: int


@contextlib.contextmanager
def served(url: str, folder: Path, wait_seconds: int = 900, **extra_env: str) -> Iterator[Served]:
    """Start the app on `url`'s database; yields its base URL; stops it (its process group) after.

    REDIS_URL from the caller's environment is dropped (one worker, in-process broadcast) unless
    given in `extra_env`. `wait_seconds`: a first production build on a loaded machine takes minutes."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        DATABASE_URL=url,
        APP_BASE_URL=f"http://localhost:{port}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}",
    )
    env.pop("REDIS_URL", None)
    env.update(extra_env)
    with open(folder / "serve.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "l2c_app.cli", "serve", "--no-jobs", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = Served(f"http://localhost:{port}")
    base.pid = proc.pid
    try:
        for _ in range(wait_seconds):
            try:
                if httpx.get(f"{base}/login", timeout=5, follow_redirects=True).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # a loaded machine: Granian's workers stop slowly
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def server_cpu_s(base: Served) -> float:
    """CPU seconds (user + system) used so far by the live processes of the served app's session
    (supervisor, Granian main and workers), from /proc: a figure the machine's load does not inflate."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == base.pid:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def bare_ms(base: str, n: int = 20) -> float:
    """Median of a bare /api/health round trip (the machine's floor in this run)."""
    import httpx

    times = []
    with httpx.Client() as client:
        for _ in range(n):
            start = time.perf_counter()
            client.get(f"{base}/api/health")
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def signed_in_page(browser, base: str, email: str, password: str):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")
    return page


def serving_worker(page, redis_url: str) -> str | None:
    """Which worker process holds this tab's websocket, by Reflex's own record in Redis.

    With a Redis URL, Reflex links each tab's token (sessionStorage "token") to the
    `instance_id` of the worker process holding its socket (`reflex/utils/token_manager.py`,
    key `token_manager_socket_record_<token>`; every worker draws a new one when it starts,
    `reflex/app.py`). None while the record is not written yet (or without Redis)."""
    import pickle

    import redis

    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    if not token:
        return None
    raw = redis.Redis.from_url(redis_url).get(f"token_manager_socket_record_{token}")
    return pickle.loads(raw).instance_id if raw else None  # noqa: S301 - the bench's own local Redis


def wait_serving_worker(page, redis_url: str, seconds: float = 10) -> str | None:
    """`serving_worker`, waiting for the record that the socket's connect writes."""
    deadline = time.monotonic() + seconds
    while True:
        worker = serving_worker(page, redis_url)
        if worker or time.monotonic() > deadline:
            return worker
        time.sleep(0.2)
