"""SQLite: lead captures of this process take the write lock in turn, at their first write.

SQLite has one writer at a time. A transaction that finds the lock taken waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between tries: under a burst of posts most
of the time went to those sleeps. Captures do their reads first (settings, people, dedupe,
rotation; no lock held), then `enter(session)` takes this process's gate just before the
first INSERT and the end of the transaction (commit or rollback) hands it to the next
waiter at once. Other processes and other writers still meet at SQLite's own lock
(busy_timeout); a gate not had within 10 s is skipped, leaving the wait to SQLite.
PostgreSQL: nothing to do (rows lock, not the database).
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlmodel import Session

_gate = threading.Lock()
_KEY = "leads_write_gate"


def enter(session: Session) -> None:
    if session.info.get(_KEY) or session.get_bind().dialect.name != "sqlite":
        return
    if _gate.acquire(timeout=10):
        session.info[_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction) -> None:
    if transaction.parent is None and session.info.pop(_KEY, None):
        _gate.release()
