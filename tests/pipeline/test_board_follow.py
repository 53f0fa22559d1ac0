"""The follow task of a board tab (pipeline/board_follow.py), on a stand-in for the tab's state:
a committed move reaches it and is patched in; it ends when a newer follow of the tab starts or
the tab's websocket is gone (and says so: `live` back to False)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from l2c_app.core import broadcast as bc
from l2c_app.core.audit import Actor
from l2c_app.core.db import with_session
from l2c_app.pipeline import board_follow
from l2c_app.pipeline import service as svc
from tests.conftest import run_async
from tests.sales_fixtures import make_team


class TabState:
    """What follow_board uses of BoardState, recorded."""

    def __init__(self) -> None:
        self._follow, self._beat, self.live = 0, 0.0, False
        self.applied: list[dict] = []
        self.router = SimpleNamespace(session=SimpleNamespace(client_token="tab-1"), url="http://localhost/pipeline/")
        self.allowed = True
        self._mine: dict[str, list[int]] = {}  # this tab's own patched moves (BoardState._mine)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def _filters(self) -> tuple:
        return (None, None, None, "UTC")

    async def _access(self, _section: str):
        return SimpleNamespace(allowed=self.allowed)

    def _apply(self, change: dict) -> bool:
        self.applied.append(change)
        return True

    async def _reload(self) -> None:
        raise AssertionError("a patch, not a reload")


def _move(deal_id: int, stage_id: int, user_id: int) -> None:
    with_session(lambda s: svc.move_deal(s, Actor("user", user_id), deal_id, stage_id))


async def _until(check, timeout: float = 5.0) -> None:
    async def wait():
        while not check():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


def test_a_committed_move_is_patched_in_and_a_newer_follow_ends_the_old_one(session, monkeypatch):
    team = make_team(session)
    stages = [s.id for s in svc.open_stages(session)]
    deal = svc.create_deal(session, Actor("user", team.sam.id), title="Followed", value_minor=5000)
    session.commit()
    monkeypatch.setattr(board_follow, "WAKE_S", 0.05)
    bc.set_broadcast(bc.InProcessBroadcast())
    tab = TabState()

    async def scenario():
        task = asyncio.create_task(board_follow.follow_board(tab))
        await _until(lambda: tab.live)
        await asyncio.to_thread(_move, deal.id, stages[1], team.sam.id)
        await _until(lambda: tab.applied)
        assert tab.applied[0]["cards"][deal.id]["stage_id"] == stages[1]
        tab._follow += 1  # the tab loaded the board again: that newer follow takes over
        await asyncio.wait_for(task, 2)
        assert tab.live is True  # the newer follow owns the badge now

    try:
        run_async(scenario())
    finally:
        bc.set_broadcast(None)


def test_the_follow_ends_when_the_tab_is_gone_or_loses_access(session, monkeypatch):
    make_team(session)
    monkeypatch.setattr(board_follow, "WAKE_S", 0.05)
    bc.set_broadcast(bc.InProcessBroadcast())
    connected = {"tab-1": True}

    async def is_connected(token: str) -> bool:
        return connected[token]

    monkeypatch.setattr(board_follow, "_connected", is_connected)
    tab = TabState()

    async def scenario():
        task = asyncio.create_task(board_follow.follow_board(tab))
        await _until(lambda: tab.live)
        connected["tab-1"] = False  # the browser tab closed
        await asyncio.wait_for(task, 2)
        assert tab.live is False
        assert bc.get_broadcast().subscriber_count("board:1") == 0

    try:
        run_async(scenario())
    finally:
        bc.set_broadcast(None)


def test_the_tabs_own_move_is_not_read_again_but_another_users_change_of_that_deal_is(session, monkeypatch):
    """The mover's tab patched its move from the move's own transaction: hearing that commit on
    the broadcast, its follow re-reads nothing; another user's commit of the same deal right
    after is still read and patched in (it comes in a message of its own, not marked as the tab's)."""
    from l2c_app.pipeline import board_events

    team = make_team(session)
    stages = [s.id for s in svc.open_stages(session)]
    deal = svc.create_deal(session, Actor("user", team.sam.id), title="Mine", value_minor=5000)
    session.commit()
    monkeypatch.setattr(board_follow, "WAKE_S", 0.05)
    bc.set_broadcast(bc.InProcessBroadcast())
    tab = TabState()
    reads: list[set] = []
    changes = board_events.changes
    monkeypatch.setattr(board_events, "changes", lambda s, ids, *f: reads.append(set(ids)) or changes(s, ids, *f))

    def own_move(stage_id: int) -> None:
        move = lambda s, *a: svc.move_deal(s, Actor("user", team.sam.id), deal.id, stage_id)  # noqa: E731
        with_session(lambda s: board_events.act_and_read(s, move, (), deal.id, tab._filters(), "", mark="m1"))

    async def scenario():
        task = asyncio.create_task(board_follow.follow_board(tab))
        await _until(lambda: tab.live)
        reads.clear()
        tab._mine = {"m1": [deal.id]}  # what BoardState._patched records for its move
        await asyncio.to_thread(own_move, stages[1])
        await asyncio.sleep(0.3)
        assert tab.applied == [] and reads == [{deal.id}]  # the move's own re-read only
        await asyncio.to_thread(_move, deal.id, stages[2], team.owner.id)  # another user, same deal
        await _until(lambda: tab.applied)
        assert tab.applied[0]["cards"][deal.id]["stage_id"] == stages[2]
        tab._follow += 1
        await asyncio.wait_for(task, 2)

    try:
        run_async(scenario())
    finally:
        bc.set_broadcast(None)
