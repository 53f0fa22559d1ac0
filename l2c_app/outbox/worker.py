"""The delivery loop: a thread in the server process, woken right after a commit that wrote
an outbox row (SQLAlchemy `after_commit`), and sweeping every SWEEP_S seconds anyway (retries
that came due, rows another process wrote, rows left by a crash: a restart delivers them).

`register_pump(fn)`: other effect kinds with their own tables (outbound webhooks, accounting
sync) are delivered by the same loop; `fn()` delivers what is due now and returns how many it
attempted (0: nothing due). `wake()` asks for a round now (call it, or `notify_after_commit`,
after writing rows a pump delivers).

Every `l2c serve` process runs one loop (`lifespan`, registered in l2c_app.py); rows are
claimed one by one (outbox/service.claim), so several loops never deliver a row twice.
`deliver_outbox()` runs every pump until nothing is due: the CLI and tests use it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import traceback
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

log = logging.getLogger("l2c.outbox")

SWEEP_S = 5.0
Pump = Callable[[], int]

_pumps: list[Pump] = []
_wake = threading.Event()


def register_pump(fn: Pump) -> Pump:
    if fn not in _pumps:
        _pumps.append(fn)
    return fn


def pumps() -> list[Pump]:
    from l2c_app.events.bus import _load
    from l2c_app.outbox.service import pump

    _load()  # the stages' subscriber modules register their pumps (outbound webhooks)

    return [pump, *_pumps]


def wake() -> None:
    _wake.set()


def notify_after_commit(session) -> None:
    """Wake the loop when this session's transaction commits."""
    session.info["l2c_outbox_written"] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop("l2c_outbox_written", False):
        _wake.set()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("l2c_outbox_written", None)


def run_once() -> int:
    """One round of every pump; how many effects were attempted."""
    done = 0
    for fn in pumps():
        try:
            done += fn()
        except Exception:  # a broken pump (or the database away for a moment) must not stop the others
            log.error("outbox pump %s failed: %s", getattr(fn, "__name__", fn), traceback.format_exc())
    return done


def deliver_outbox(max_rounds: int = 100) -> int:
    """Deliver everything due now, in this thread; how many attempts were made."""
    total = 0
    for _ in range(max_rounds):
        done = run_once()
        total += done
        if not done:
            break
    return total


class Worker:
    """The loop in a daemon thread: `start()`, `stop()`."""

    def __init__(self, sweep_s: float = SWEEP_S):
        self.sweep_s = sweep_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Worker:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="l2c-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        _wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            _wake.clear()
            while not self._stop.is_set() and run_once():
                pass
            _wake.wait(self.sweep_s)


@contextlib.asynccontextmanager
async def lifespan():
    """Reflex lifespan task: the loop runs while the server does."""
    worker = Worker().start()
    try:
        yield
    finally:
        worker.stop(timeout=2.0)
