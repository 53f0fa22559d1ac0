"""Scheduled jobs run once across processes and hosts: the `jobs` lease in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from l2c_app.core.lease import acquire, release
from l2c_app.core.models import JobLease
from l2c_app.core.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]


def test_one_holder_at_a_time_until_it_expires(session):
    assert acquire(session, "jobs", "host-a:1", 60) is True
    assert acquire(session, "jobs", "host-b:2", 60) is False  # live lease held by A
    assert acquire(session, "jobs", "host-a:1", 60) is True  # the holder renews
    lease = session.get(JobLease, "jobs")
    lease.expires_at = utcnow() - timedelta(seconds=1)  # A died: its lease runs out
    session.add(lease)
    session.commit()
    assert acquire(session, "jobs", "host-b:2", 60) is True
    assert acquire(session, "jobs", "host-a:1", 60) is False
    release(session, "jobs", "host-b:2")
    assert acquire(session, "jobs", "host-a:1", 60) is True
    assert acquire(session, "other", "host-b:2", 60) is True  # leases are per name


def test_two_job_loops_on_one_database_run_each_round_once(db_url, tmp_path):
    """Two `l2c jobs run --every 6` (what two `l2c serve` start) share one database.

    A loop sleeps its period after each round, so the loop that runs the rounds drifts behind the
    one that only skips, by one round's duration per tick; the lease (one period) keeps the pair
    to one round per tick while that drift stays under a period minus the offset. 6 s and a 2 s
    offset leave room for rounds of ~2 s on a loaded machine (2 s and 0.7 s did not)."""
    env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY="lease-test-secret-0123456789", LOG_LEVEL="INFO")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = []
    for log in logs:
        with open(log, "w") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "l2c_app.cli", "jobs", "run", "--every", "6"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        time.sleep(2)  # offset the two loops, as two hosts would be

    def counts():
        texts = [log.read_text() for log in logs]
        rounds = [t.count('job="invoice reminders"') for t in texts]
        skipped = [t.count("round=skipped") for t in texts]
        return texts, rounds, skipped, [r + s for r, s in zip(rounds, skipped, strict=True)]

    deadline = time.monotonic() + 90  # a busy machine makes rounds slow; wait for ticks, not for a time
    while time.monotonic() < deadline and min(counts()[3]) < 3:
        time.sleep(0.5)
    for p in procs:
        p.terminate()
        p.wait(timeout=10)
    texts, rounds, skipped, ticks = counts()
    assert all(t >= 3 for t in ticks), texts  # both loops were alive and ticking
    # Each tick of the pair ran at most one round between them: together they ran about
    # as many rounds as ONE loop ticks, not twice as many.
    assert sum(rounds) <= max(ticks) + 1, (rounds, skipped)
    assert sum(skipped) >= 2, (rounds, skipped)
