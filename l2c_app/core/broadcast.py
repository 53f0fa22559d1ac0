"""A small broadcast port: publish a short message on a topic, every subscriber of it hears it.

Two adapters behind one interface (`get_broadcast()` picks):
- `InProcessBroadcast` (default): an asyncio fan-out inside one process. Publishing is
  thread-safe (services run in worker threads, `core.db.run_db`); each subscriber has its own
  bounded queue on its own event loop.
- `RedisBroadcast` (when `REDIS_URL` is set): PUBLISH to Redis; ONE pattern subscription per
  process reads the channel and hands messages to that process's local subscribers, so a tab
  served by worker B hears a change committed on worker A (or by the API, or a job).

Delivery is best effort (pub/sub keeps nothing): a publisher never fails because the broadcast
is down, and every consumer keeps a slower fallback (the board keeps its version poll). A
subscriber whose queue overflows gets `OVERFLOW` once instead of the lost messages, and should
re-read everything.

Threat model: messages are not trusted for content. They carry only ids (e.g. an organisation
and deal ids), never data a viewer may not see; a receiver re-reads the records by id with its
own access rules. Anyone who can write to the Redis can make tabs re-read, nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

OVERFLOW: dict[str, Any] = {"overflow": True}
QUEUE_SIZE = 200


@dataclass(eq=False)
class Subscription:
    """One listener: `await get(timeout)` returns the next message, or None after `timeout` s."""

    topic: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def _deliver(self, message: dict) -> None:  # on the subscriber's loop
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            if not self.overflowed:
                self.overflowed = True
                log.warning("broadcast subscriber on %s overflowed: it will re-read everything", self.topic)

    async def get(self, timeout: float | None = None) -> dict | None:
        if self.overflowed:
            self.overflowed = False
            while not self.queue.empty():
                self.queue.get_nowait()
            return OVERFLOW
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def drain(self) -> list[dict]:
        """The messages already waiting (to coalesce a burst into one re-read)."""
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out


class InProcessBroadcast:
    """Fan-out to the subscribers of this process."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def publish(self, topic: str, message: dict) -> None:
        self._fan_out(topic, message)

    def _fan_out(self, topic: str, message: dict) -> None:
        with self._lock:
            subs = list(self._subs.get(topic, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub._deliver, dict(message))
            except RuntimeError:  # that loop is closed: the subscriber is gone
                self._remove(sub)

    def _add(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.setdefault(sub.topic, set()).add(sub)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.topic]

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subs.get(topic, ()))

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        sub = Subscription(topic, asyncio.get_running_loop())
        self._add(sub)
        try:
            await self._started()
            yield sub
        finally:
            self._remove(sub)

    async def _started(self) -> None:
        return None

    def close(self) -> None:
        return None


class RedisBroadcast(InProcessBroadcast):
    """Redis pub/sub between processes; local fan-out inside each.

    `prefix` namespaces the channels (several installs, or test runs, may share one Redis)."""

    def __init__(self, url: str, prefix: str = "l2c:bc:") -> None:
        super().__init__()
        self.url, self.prefix = url, prefix
        self._client: Any = None
        self._reader: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None
        self._reader_loop: asyncio.AbstractEventLoop | None = None

    def _sync_client(self):
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._client

    def publish(self, topic: str, message: dict) -> None:
        try:
            self._sync_client().publish(self.prefix + topic, json.dumps(message))
        except Exception:  # noqa: BLE001 - best effort: the receivers' fallback poll catches up
            log.warning("broadcast: Redis publish on %s failed; receivers catch up by polling", topic, exc_info=True)

    async def _started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._reader is None or self._reader.done() or self._reader_loop is not loop:
            self._ready = asyncio.Event()
            self._reader_loop = loop
            self._reader = loop.create_task(self._read(self._ready), name="l2c-broadcast-redis")
        with contextlib.suppress(TimeoutError):  # Redis down: subscribers still get their fallback
            await asyncio.wait_for(self._ready.wait(), 2)  # type: ignore[union-attr]

    async def _read(self, ready: asyncio.Event) -> None:
        import redis.asyncio as aredis

        delay = 0.5
        while True:
            client = aredis.Redis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(self.prefix + "*")
                    ready.set()
                    delay = 0.5
                    async for msg in pubsub.listen():
                        if msg.get("type") != "pmessage":
                            continue
                        channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) else msg["channel"]
                        try:
                            data = json.loads(msg["data"])
                        except (TypeError, ValueError):
                            continue
                        if isinstance(data, dict):
                            self._fan_out(channel.removeprefix(self.prefix), data)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; the fallback poll covers the gap
                log.warning("broadcast: Redis subscription lost; reconnecting in %.1f s", delay, exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)

    def close(self) -> None:
        if self._reader is not None and self._reader_loop is not None and not self._reader_loop.is_closed():
            self._reader_loop.call_soon_threadsafe(self._reader.cancel)
        self._reader = None


_BROADCAST: InProcessBroadcast | None = None
_BROADCAST_LOCK = threading.Lock()


def install_prefix(database_url: str) -> str:
    """A channel prefix unique to one install (its database), so installs sharing a Redis never cross."""
    return "l2c:" + hashlib.sha256(database_url.encode()).hexdigest()[:12] + ":"


def get_broadcast() -> InProcessBroadcast:
    """The process's broadcast: Redis when REDIS_URL is set, in-process otherwise."""
    global _BROADCAST
    with _BROADCAST_LOCK:
        if _BROADCAST is None:
            from l2c_app.core.config import get_settings

            settings = get_settings()
            if settings.redis_url:
                _BROADCAST = RedisBroadcast(settings.redis_url, install_prefix(settings.database_url))
            else:
                _BROADCAST = InProcessBroadcast()
        return _BROADCAST


def set_broadcast(broadcast: InProcessBroadcast | None) -> None:
    """Tests: use this broadcast (None: pick again from the settings)."""
    global _BROADCAST
    with _BROADCAST_LOCK:
        if _BROADCAST is not None and _BROADCAST is not broadcast:
            _BROADCAST.close()
        _BROADCAST = broadcast
