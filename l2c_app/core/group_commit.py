"""Group commit: requests that arrive together are written by a writer thread in one transaction,
and each is answered only after that transaction committed. Used by lead capture
(leads/group_commit.py) and the Stripe webhook (payments/webhook_group.py); what a batch does is
theirs (`run_batch`), the queue, the writers and the answering are here.

- The request's coroutine queues its item and awaits a future; a writer takes every item
  waiting (up to `max_batch`) and calls `run_batch(items)`, which returns (result, error) per
  item and owns the transaction (and what happens when one item fails).
- The writer lingers (at most `linger_s`) while fewer items are queued than were lately in
  flight together: under the GIL the writer's batch held back the event loop parsing the next
  requests, so batches stayed at ~3 of 8 connections. One at a time (one connection), it never
  waits; of several writers (the webhook's on PostgreSQL) each waits for its share.
- A batch's requests are answered with one wake-up of each event loop (a `call_soon_threadsafe`
  per request cost 0.08 ms of the loop's time per lead).
- Commit before success: `run_batch` returns only after its commit; a writer never dies (an
  unexpected error answers every request of its batch with it).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Outcome = tuple[Any, BaseException | None]


class Concurrency:
    """How many items were in flight together lately (submitted, not yet answered): the batch
    size the writer may wait for. Changed on the event loop only; the writer reads it."""

    WINDOW_S = 0.5

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.now = 0
        self.peak = 0
        self.since = 0.0

    def enter(self) -> None:
        self.now += 1
        t = self.clock()
        if self.now >= self.peak or t - self.since > self.WINDOW_S:
            self.peak, self.since = self.now, t

    def leave(self) -> None:
        self.now -= 1

    def recent(self) -> int:
        return self.peak if self.clock() - self.since <= self.WINDOW_S else self.now


@dataclass
class _Job:
    item: Any
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


def _settle(job: _Job, result: Any, error: BaseException | None) -> None:
    if job.future.done():  # the request went away (client disconnected)
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        job.future.set_result(result)


def _settle_all(settled: list[tuple[_Job, Any, BaseException | None]]) -> None:
    for job, result, error in settled:
        _settle(job, result, error)


class Writers:
    """The writer threads of one kind of request, started on the first `submit`."""

    def __init__(
        self,
        name: str,
        run_batch: Callable[[list[Any]], list[Outcome]],
        wanted: Callable[[], int],
        max_batch: int,
        linger_s: float,
    ) -> None:
        self.name, self.run_batch, self.wanted = name, run_batch, wanted
        self.max_batch, self.linger_s = max_batch, linger_s
        self.concurrency = Concurrency()
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    async def submit(self, item: Any) -> Any:
        """Queue `item`; its result once its batch has committed (or its error)."""
        self._ensure()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.concurrency.enter()
        try:
            self._queue.put(_Job(item, loop, future))
            return await future
        finally:
            self.concurrency.leave()

    def _ensure(self) -> None:
        if sum(t.is_alive() for t in self._threads) >= self.wanted():
            return
        with self._start_lock:
            self._threads[:] = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.wanted():
                thread = threading.Thread(target=self._write, name=f"{self.name}-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _drain(self, jobs: list[_Job]) -> None:
        while len(jobs) < self.max_batch:
            try:
                jobs.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _take(self) -> list[_Job]:
        jobs = [self._queue.get()]
        self._drain(jobs)
        # Several writers share what is in flight: each waits for its part.
        target = min(self.max_batch, -(-self.concurrency.recent() // max(1, len(self._threads))))
        deadline = time.monotonic() + self.linger_s
        while len(jobs) < target:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                jobs.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
            self._drain(jobs)
        return jobs

    def _write(self) -> None:
        while True:
            jobs = self._take()
            try:
                outcomes = self.run_batch([j.item for j in jobs])
            except BaseException as exc:  # noqa: BLE001 - never lose the writer: answer every request
                outcomes = [(None, exc)] * len(jobs)
            _answer(jobs, outcomes)


def _answer(jobs: list[_Job], outcomes: list[Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]] = {}
    for job, (result, error) in zip(jobs, outcomes, strict=True):
        by_loop.setdefault(job.loop, []).append((job, result, error))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, settled)
        except RuntimeError:  # its loop is closed
            pass
