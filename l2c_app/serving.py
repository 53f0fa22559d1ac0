"""Keeping the app up: granian respawns a dead worker, `l2c serve` restarts a dead app.

Threat model (faults, not people): one backend worker killed (out of memory, kill -9, a
crash in a native library) used to end the whole server, because Reflex 0.10.1 builds
granian's `Server` without `respawn_failed_workers` (reflex/utils/exec.py,
`run_granian_backend_prod`, reads only GRANIAN_WORKERS and GRANIAN_LOG_LEVEL) and exposes no
setting for it. Two layers:

1. `python -m l2c_app.serving <reflex args>` runs the Reflex CLI with granian's `Server`
   replaced by a subclass that respawns failed workers (the other workers keep serving
   meanwhile). Granian itself gives up when a respawned worker dies again within ~5.5 s
   (a crash loop) and exits;
2. `supervise()` (used by `l2c serve`) then starts the app again, with a growing pause
   (1, 2, 4 ... 30 s; back to 1 s once the app ran a minute), and stops only when the app
   exits cleanly or `l2c serve` itself is told to stop (Ctrl-C, SIGTERM).

No Reflex import at module level: the CLI imports this module before Reflex is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

RESPAWN_INTERVAL_S = 1.0  # pause between starting the new worker and stopping the old one
WORKERS_KILL_TIMEOUT_S = 10  # an old worker that does not stop within this is killed
BACKOFF_FIRST_S, BACKOFF_MAX_S, HEALTHY_RUN_S = 1.0, 30.0, 60.0


def install_respawning_granian() -> None:
    """Make every granian `Server` built from now on respawn failed workers."""
    import granian.server as granian_server

    base = granian_server.Server
    if getattr(base, "_l2c_respawning", False):
        return

    class RespawningServer(base):  # type: ignore[misc, valid-type]
        _l2c_respawning = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("respawn_failed_workers", True)
            kwargs.setdefault("respawn_interval", float(os.environ.get("L2C_RESPAWN_INTERVAL", RESPAWN_INTERVAL_S)))
            kwargs.setdefault("workers_kill_timeout", WORKERS_KILL_TIMEOUT_S)
            super().__init__(*args, **kwargs)

    RespawningServer.__name__ = RespawningServer.__qualname__ = f"Respawning{base.__name__}"
    granian_server.Server = RespawningServer


def reflex_command(args: Sequence[str]) -> list[str]:
    """The command that runs `reflex <args>` with respawning workers."""
    return [sys.executable, "-m", "l2c_app.serving", *args]


def supervise(
    cmd: Sequence[str],
    *,
    cwd,
    env: dict[str, str],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_restarts: int | None = None,
) -> int:
    """Run `cmd`; start it again whenever it exits unexpectedly. Returns its last exit code.

    An exit code of 0 is a clean stop (nothing to restart). SIGINT/SIGTERM to this process are
    passed on to the app, which is then not restarted."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    backoff, restarts = BACKOFF_FIRST_S, 0
    try:
        while True:
            started = clock()
            child = subprocess.Popen(list(cmd), cwd=cwd, env=env)
            rc = child.wait()
            if stopping or rc == 0:
                return rc
            if max_restarts is not None and restarts >= max_restarts:
                return rc
            if clock() - started >= HEALTHY_RUN_S:
                backoff = BACKOFF_FIRST_S
            print(
                f"l2c: the app exited unexpectedly (code {rc}); starting it again in {backoff:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            sleep(backoff)
            if stopping:
                return rc
            backoff = min(backoff * 2, BACKOFF_MAX_S)
            restarts += 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m l2c_app.serving run --env prod ...`: the Reflex CLI with respawning workers."""
    install_respawning_granian()
    from reflex.reflex import cli

    sys.argv = ["reflex", *(sys.argv[1:] if argv is None else argv)]
    return cli()


if __name__ == "__main__":
    sys.exit(main())
