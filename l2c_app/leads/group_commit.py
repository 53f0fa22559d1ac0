"""Group commit of lead captures: a writer thread per process (a few on PostgreSQL) writes the captures that arrive
together in one transaction, and answers each request only after that transaction committed.

Why: a public form under load posts many leads at once. One transaction per lead in its own
worker thread paid a commit each (a WAL flush on PostgreSQL) and made 8 threads contend for
the GIL and, on SQLite, for the single write lock. Here the route validates the body and checks
the honeypot itself (answered before anything is queued), then `submit` queues the capture and
waits; the writer takes every capture waiting (up to `MAX_BATCH`), runs them in order in one
session and commits once. Nothing changes in what a capture does: each one runs the same
`capture` on the same connection, so a later lead of a batch sees the earlier ones (dedupe
flags the second of two posts with the same e-mail; round-robin reads the owner of the newest
lead, the previous one of the batch), exactly as if they had come one by one. Two things are
batch-wide: the side rows of every lead (audit, timeline, notification, e-mail, domain event)
are queued and written as one executemany per table just before the commit
(core/row_writes.collect_rows; nothing in a capture reads them back; the events' subscribers,
the outbound webhooks' fan-out, run then, with the events' ids), and the rotation's last owner
is kept in memory after the batch's first lookup (`leads_import_cache`, as an import chunk
does). tests/leads/test_group_commit_twin.py holds the batch to the rows of captures one by one.

The queue, the writer thread, its linger and the answering are core/group_commit.py's (shared
with the Stripe webhook). Commit before success: a request's future is resolved only after its batch's commit returned.
A capture that raises does not fail its batch-mates: the batch is rolled back and each of its
captures run again in its own transaction (the failing one fails alone, with its own error).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from l2c_app.core.db import get_engine, threads_setting
from l2c_app.core.group_commit import Writers
from l2c_app.core.row_writes import collect_rows, write_collected
from l2c_app.leads import capture

log = logging.getLogger(__name__)

MAX_BATCH = 64
# One writer on PostgreSQL too: at 8 connections on a quiet machine 1 writer stored 374-380 leads/s
# at 2.1 ms of server CPU each, 4 writers 306-319 at 3.1-3.2 ms (smaller batches, GIL contention;
# server CPU per lead read from /proc).
# L2C_LEAD_WRITERS overrides (a server far away, where round trips dominate, may want more).
PG_WRITERS = threads_setting("L2C_LEAD_WRITERS", 1)

Work = Callable[[Session], Any]


# The writer's linger (core/group_commit.py): on the quiet machine at 8 connections, PostgreSQL
# stored 668-714 / 687-806 / 798-859 / 814 leads/s with 1 / 2 / 4 / 6 ms, SQLite 1,098-1,110 at 4-6.
LINGER_S = float(os.environ.get("L2C_LEAD_LINGER_MS", "4")) / 1000


def _new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def _commit(session: Session) -> None:
    session.commit()


def _in_one_transaction(works: list[Work]) -> list[Any]:
    with _new_session() as session:
        # Each lead's side rows (audit, timeline, notification, e-mail, event) are queued and
        # written as one executemany per table before the commit (core/row_writes.collect_rows);
        # the rotation is kept in memory across the batch (capture's `leads_import_cache`).
        collect_rows(session)
        session.info["leads_import_cache"] = {}
        keys = [key for work in works if (key := getattr(work, "dedupe_key", None)) is not None]
        if len(keys) > 1:  # dedupe and lead ids for the whole batch (leads/batch_dedupe.py); one goes as a lone capture
            capture.start_batch(session, keys)
        try:
            results = [work(session) for work in works]
            write_collected(session)
            _commit(session)
        except BaseException:
            session.rollback()
            raise
    return results


def run_batch(works: list[Work]) -> list[tuple[Any, BaseException | None]]:
    """Run `works` (each `fn(session)`) in order in one transaction, then commit; (result, error)
    of each. On any error the batch is rolled back and each runs again in its own transaction."""
    try:
        return [(r, None) for r in _in_one_transaction(works)]
    except Exception as exc:
        if len(works) == 1:
            return [(None, exc)]
        log.info("lead batch of %d failed (%r); writing its captures one by one", len(works), exc)
    out: list[tuple[Any, BaseException | None]] = []
    for work in works:
        try:
            out.append((_in_one_transaction([work])[0], None))
        except Exception as exc:
            out.append((None, exc))
    return out


def _writers_wanted() -> int:
    """SQLite: one writer (one write lock; a second would only wait for it). PostgreSQL:
    `PG_WRITERS` (1 by default, as measured; with more, one batch's round trips overlap the
    next's, and across concurrent batches dedupe and rotation are as between concurrent requests)."""
    return 1 if get_engine().dialect.name == "sqlite" else PG_WRITERS


_WRITERS = Writers("lead-group-commit", run_batch, _writers_wanted, MAX_BATCH, LINGER_S)


async def submit(work: Work) -> Any:
    """Queue `work(session)` for the writer; its result once its batch has committed (or its error)."""
    return await _WRITERS.submit(work)
