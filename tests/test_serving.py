"""One dead worker must not take the app down (l2c_app/serving.py).

Starts `l2c serve --backend-only` for real (supervisor -> granian main -> 3 workers, state
in Redis as several workers need), kills one worker with SIGKILL while a client keeps asking
/api/health, and checks the app kept answering and is back to 3 workers; then kills the
granian main process itself and checks `l2c serve` starts the app again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from l2c_app.serving import supervise

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _granian_main(supervisor: int) -> int | None:
    for pid in _children(supervisor):
        if b"l2c_app.serving" in _cmdline(pid):
            return pid
    return None


def _workers(main: int) -> list[int]:
    """Forked workers carry their parent's command line (the resource tracker does not)."""
    line = _cmdline(main)
    return [pid for pid in _children(main) if _cmdline(pid) == line]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _wait(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


@pytest.mark.server
@pytest.mark.timeout(120)
def test_a_killed_worker_is_respawned_and_a_dead_app_restarted(tmp_path):
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'l2c.db'}",
        REDIS_URL="redis://127.0.0.1:6379",
        GRANIAN_WORKERS="3",
        SECRET_KEY="x" * 32,
        APP_BASE_URL=f"http://127.0.0.1:{port}",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
    )
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "l2c_app.cli",
            "serve",
            "--backend-only",
            "--no-jobs",
            "--port",
            str(port),
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert _wait(lambda: _healthy(port), 60, 0.5), (tmp_path / "server.log").read_text()[-3000:]
        main = _granian_main(proc.pid)
        workers = _wait(lambda: (w := _workers(main)) and len(w) == 3 and w, 20)
        assert workers, f"expected 3 workers under {main}"

        # Light load: one client asking /api/health in a loop while a worker dies.
        answers: list[tuple[float, bool]] = []
        done = threading.Event()

        def client():
            while not done.is_set():
                answers.append((time.monotonic(), _healthy(port)))
                time.sleep(0.05)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(1)
        killed_at = time.monotonic()
        os.kill(workers[1], signal.SIGKILL)
        back = _wait(lambda: (w := _workers(main)) and len(w) == 3 and workers[1] not in w and w, 15)
        back_after = time.monotonic() - killed_at
        time.sleep(1)
        done.set()
        thread.join()

        assert back, "the killed worker was not replaced"
        assert back_after < 10, back_after
        assert _granian_main(proc.pid) == main  # the server itself never went down
        after_kill = [ok for at, ok in answers if at >= killed_at]
        assert after_kill and sum(after_kill) >= len(after_kill) - 2, after_kill  # at most an in-flight request
        assert answers[-1][1] is True

        # The whole app dies (granian main killed): `l2c serve` starts it again.
        os.kill(main, signal.SIGKILL)
        for w in workers:  # orphaned workers would keep the port
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for w in back:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
        new_main = _wait(lambda: (m := _granian_main(proc.pid)) and m != main and m, 20)
        assert new_main, "l2c serve did not start the app again"
        assert _wait(lambda: _healthy(port), 60, 0.5)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:  # anything of ours left in the group we started (a worker orphaned by the kill above)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def test_supervise_restarts_with_backoff_and_stops_on_a_clean_exit(tmp_path):
    counter = tmp_path / "runs"
    # exits 3 twice (a crash), then 0 (a clean stop)
    script = (
        f"import pathlib,sys; p=pathlib.Path({str(counter)!r}); n=int(p.read_text() if p.exists() else 0)+1;"
        "p.write_text(str(n)); sys.exit(3 if n < 3 else 0)"
    )
    pauses: list[float] = []
    rc = supervise([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ), sleep=pauses.append)
    assert rc == 0 and counter.read_text() == "3" and pauses == [1.0, 2.0]


def test_supervise_gives_up_after_max_restarts(tmp_path):
    pauses: list[float] = []
    rc = supervise(
        [sys.executable, "-c", "raise SystemExit(7)"],
        cwd=tmp_path,
        env=dict(os.environ),
        sleep=pauses.append,
        max_restarts=3,
    )
    assert rc == 7 and pauses == [1.0, 2.0, 4.0]
