"""A per-process read cache that a commit invalidates: for rows almost every request reads and
almost nobody changes (the lead rules and people, the enabled outbound endpoints).

Invalidation: a flush that writes a row of one of the watched models marks its session; that
session's commit bumps the generation and drops every entry read before it (a rollback only
clears the mark). Another worker process cannot bump ours, so an entry also lives at most
`ttl` seconds: a change made elsewhere (another process, plain SQL) is seen within that time.
Entries are per database URL and per name; values must not be changed by callers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session


class CommitCache:
    def __init__(self, name: str, *models: type) -> None:
        self.changed_key = f"l2c_{name}_changed"  # session.info: this transaction wrote a watched row
        self._generation = 0
        self._entries: dict[tuple[str, str], tuple[int, float, Any]] = {}
        self._lock = threading.Lock()
        for model in models:
            for hook in ("after_insert", "after_update", "after_delete"):
                event.listen(model, hook, self._mark)
        event.listen(OrmSession, "after_commit", self._committed)
        event.listen(OrmSession, "after_rollback", self._rolled_back)

    def _mark(self, _mapper: Any, _connection: Any, target: Any) -> None:
        session = object_session(target)
        if session is not None:
            session.info[self.changed_key] = True

    def _committed(self, session: OrmSession) -> None:
        if session.info.pop(self.changed_key, None):
            self.invalidate()

    def _rolled_back(self, session: OrmSession) -> None:
        session.info.pop(self.changed_key, None)

    def changed(self, session: OrmSession) -> bool:
        """This transaction has flushed a write to a watched model (it should read the table)."""
        return bool(session.info.get(self.changed_key))

    def invalidate(self) -> None:
        """Drop every entry (a commit that changed a watched row; tests)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, session: OrmSession, what: str, read: Callable[[Any], Any], ttl: float) -> Any:
        """`read(session)`, from the cache when an entry of this generation is under `ttl` old."""
        engine = session.get_bind().engine
        url = engine.__dict__.get("_l2c_url") or engine.__dict__.setdefault("_l2c_url", str(engine.url))  # str() costs
        key = (url, what)
        generation = self._generation  # taken before the read: a commit during it makes the entry stale
        got = self._entries.get(key)
        now = time.monotonic()
        if got is not None and got[0] == generation and now - got[1] < ttl:
            return got[2]
        value = read(session)
        with self._lock:
            if generation == self._generation:
                self._entries[key] = (generation, now, value)
        return value
