"""`core.db.run_db` runs in a small pool of its own and keeps the caller's context variables."""

from __future__ import annotations

import asyncio
import contextvars
import threading

from tests.conftest import run_async

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("WHO", default="nobody")


def test_run_db_uses_its_own_small_pool_with_the_callers_context(db_url, monkeypatch):
    from l2c_app.core import db

    # The process's pool is sized by the first database it served: a test on the other kind
    # earlier in this worker (PostgreSQL's 8 threads) would leave its pool. This test's own,
    # the other tests' pool put back afterwards.
    monkeypatch.delitem(db._named_pools, "db", raising=False)

    def probe(_session):
        return threading.current_thread().name, WHO.get()

    async def main():
        WHO.set("caller")
        return await asyncio.gather(*(db.run_db(probe) for _ in range(20)))

    results = run_async(main())
    assert {who for _, who in results} == {"caller"}
    names = {name for name, _ in results}
    assert all(name.startswith("l2c-db") for name in names), names
    assert len(names) <= db.db_threads()
    monkeypatch.setenv("L2C_DB_THREADS", "3")
    assert db.db_threads() == 3
    monkeypatch.delenv("L2C_DB_THREADS")
    assert db.db_threads("sqlite:///x.db") == 4 and db.db_threads("postgresql+psycopg://h/d") == 8
