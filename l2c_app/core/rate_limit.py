"""Rate limits whose cost does not grow with traffic: a sliding-window counter per key.

`hit(key, limit, window)` counts one request of `key` and answers 0 (go ahead) or the seconds
to wait. Every call counts, allowed or not: a client that keeps posting while refused stays
refused, and callers count what they then throw away (a honeypot post, an invalid body) too.

The window slides: the estimate is this window's count plus the previous window's count
weighted by how much of it still overlaps the last `window` seconds, so a burst at a window's
end cannot double the limit as a fixed window would. Two integers per key and window, nothing
that grows with the number of requests.

Backends: with REDIS_URL set, the counts live in Redis (one round trip: INCR, EXPIRE, GET in a
pipeline), shared by every worker and server; otherwise in this process (a dict under a lock,
old windows dropped as time moves on). If Redis fails the process counts alone rather than
refusing or waving through every request.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Protocol


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window: int = 60, now: float | None = None) -> int: ...


def _verdict(current: int, previous: int, limit: int, window: int, now: float) -> int:
    elapsed = now % window
    estimate = current + previous * (1 - elapsed / window)
    if estimate <= limit:
        return 0
    # Until the next window starts at least; a client still over then is told again.
    return max(1, math.ceil(window - elapsed))


class MemoryLimiter:
    """Counts in this process (one worker, tests, no Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}
        self._swept = 0.0

    def hit(self, key: str, limit: int, window: int = 60, now: float | None = None) -> int:
        now = time.time() if now is None else now
        slot = int(now // window)
        with self._lock:
            if now - self._swept >= 1:  # drop windows no estimate reads any more (at most once a second)
                self._counts = {k: v for k, v in self._counts.items() if (k[2] + 2) * k[1] > now}
                self._swept = now
            current = self._counts[(key, window, slot)] = self._counts.get((key, window, slot), 0) + 1
            previous = self._counts.get((key, window, slot - 1), 0)
        return _verdict(current, previous, limit, window, now)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisLimiter:
    """Counts in Redis, shared by every worker; `prefix` namespaces the keys."""

    def __init__(self, client: Any, prefix: str = "l2c:rl:", fallback: MemoryLimiter | None = None) -> None:
        self.client, self.prefix = client, prefix
        self.fallback = fallback or MemoryLimiter()

    def hit(self, key: str, limit: int, window: int = 60, now: float | None = None) -> int:
        now = time.time() if now is None else now
        slot = int(now // window)
        name = f"{self.prefix}{key}:{window}:"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(name + str(slot))
            pipe.expire(name + str(slot), window * 2 + 1)
            pipe.get(name + str(slot - 1))
            current, _, previous = pipe.execute()
        except Exception:  # noqa: BLE001 - Redis down: count locally rather than refuse or allow all
            return self.fallback.hit(key, limit, window, now)
        return _verdict(int(current), int(previous or 0), limit, window, now)


_lock = threading.Lock()
_limiter: Limiter | None = None
_memory = MemoryLimiter()


def limiter() -> Limiter:
    """The process's limiter: Redis when REDIS_URL is set, else in-process."""
    global _limiter
    if _limiter is None:
        with _lock:
            if _limiter is None:
                from l2c_app.core.config import get_settings

                url = get_settings().redis_url
                if url:
                    import redis

                    _limiter = RedisLimiter(redis.Redis.from_url(url, socket_timeout=0.5), fallback=_memory)
                else:
                    _limiter = _memory
    return _limiter


def hit(key: str, limit: int, window: int = 60, now: float | None = None) -> int:
    return limiter().hit(key, limit, window, now)


def use(new: Limiter | None) -> None:
    """Tests and settings changes: use `new` (None: choose again from the settings on next use)."""
    global _limiter
    with _lock:
        _limiter = new
    _memory.reset()
