"""The broadcast port (core/broadcast.py): in-process fan-out, and Redis pub/sub between two
"processes" (two RedisBroadcast instances) on 127.0.0.1:6379 with a channel prefix unique to the run."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid

import pytest

from l2c_app.core import broadcast as bc
from tests.conftest import run_async


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_in_process_fan_out_reaches_every_subscriber_of_the_topic_only():
    async def scenario():
        hub = bc.InProcessBroadcast()
        async with hub.subscribe("board:1") as a, hub.subscribe("board:1") as b, hub.subscribe("board:2") as other:
            hub.publish("board:1", {"org": 1, "deals": [7]})
            assert await a.get(1) == {"org": 1, "deals": [7]}
            assert await b.get(1) == {"org": 1, "deals": [7]}
            assert await other.get(0.05) is None
        assert hub.subscriber_count("board:1") == 0  # leaving the block unsubscribes

    run_async(scenario())


def test_in_process_publish_from_a_worker_thread():
    """Services commit in run_db's threads: publishing there must wake the subscriber's loop."""

    async def scenario():
        hub = bc.InProcessBroadcast()
        async with hub.subscribe("t") as sub:
            thread = threading.Thread(target=hub.publish, args=("t", {"deals": [1, 2]}))
            thread.start()
            got = await sub.get(2)
            thread.join()
            assert got == {"deals": [1, 2]}

    run_async(scenario())


def test_a_subscriber_that_falls_behind_gets_overflow_once(monkeypatch):
    monkeypatch.setattr(bc, "QUEUE_SIZE", 3)

    async def scenario():
        hub = bc.InProcessBroadcast()
        async with hub.subscribe("t") as sub:
            for i in range(10):
                hub.publish("t", {"deals": [i]})
            await asyncio.sleep(0.05)
            assert await sub.get(1) is bc.OVERFLOW
            assert await sub.get(0.05) is None  # the lost backlog is dropped: re-read everything instead

    run_async(scenario())


def test_drain_coalesces_a_burst():
    async def scenario():
        hub = bc.InProcessBroadcast()
        async with hub.subscribe("t") as sub:
            for i in range(3):
                hub.publish("t", {"deals": [i]})
            first = await sub.get(1)
            await asyncio.sleep(0.01)
            assert [first, *sub.drain()] == [{"deals": [0]}, {"deals": [1]}, {"deals": [2]}]

    run_async(scenario())


def test_install_prefix_differs_per_database():
    assert bc.install_prefix("sqlite:///a.db") != bc.install_prefix("sqlite:///b.db")
    assert bc.install_prefix("sqlite:///a.db") == bc.install_prefix("sqlite:///a.db")


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_redis_carries_a_message_from_one_process_to_another():
    prefix = f"l2c-test:{uuid.uuid4().hex}:"

    async def scenario():
        worker_a = bc.RedisBroadcast("redis://127.0.0.1:6379/0", prefix)
        worker_b = bc.RedisBroadcast("redis://127.0.0.1:6379/0", prefix)
        try:
            async with worker_b.subscribe("board:1") as on_b, worker_b.subscribe("board:2") as other:
                worker_a.publish("board:1", {"org": 1, "deals": [42]})
                assert await on_b.get(3) == {"org": 1, "deals": [42]}
                assert await other.get(0.1) is None
        finally:
            worker_a.close()
            worker_b.close()
            await asyncio.sleep(0)

    run_async(scenario())


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_another_prefix_hears_nothing():
    async def scenario():
        mine = bc.RedisBroadcast("redis://127.0.0.1:6379/0", f"l2c-test:{uuid.uuid4().hex}:")
        theirs = bc.RedisBroadcast("redis://127.0.0.1:6379/0", f"l2c-test:{uuid.uuid4().hex}:")
        try:
            async with mine.subscribe("board:1") as sub:
                theirs.publish("board:1", {"deals": [1]})
                assert await sub.get(0.3) is None
        finally:
            mine.close()
            theirs.close()
            await asyncio.sleep(0)

    run_async(scenario())


def test_redis_down_never_fails_the_publisher():
    hub = bc.RedisBroadcast("redis://127.0.0.1:1/0", "l2c-test:down:")
    hub.publish("t", {"deals": [1]})  # logged, not raised
