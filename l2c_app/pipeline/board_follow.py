"""The follow task of an open board tab: waits on the broadcast, patches the changed cards in.

One per tab (BoardState.follow, a Reflex background task started by the board's on_load).
It subscribes to its organisation's board topic (`board_events.board_topic`), and on each
message: re-checks the viewer's session and role, re-reads the named deals with this tab's
filters (`board_events.changes`) and patches only those cards and the column headers.

It ends when the tab goes away: the websocket is no longer connected (checked on every wake,
at least every WAKE_S), the tab left /pipeline, a newer follow task of the same tab started
(`_follow` generation), or the viewer lost access. Reflex also cancels it with the page-load
chain it belongs to on disconnect or navigation. The board's version poll (BoardState.tick) is
the fallback and restarts a follow task that stopped waking (a reconnected tab).

Threat model: see board_events (messages carry ids only; the tab re-reads with its own access).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any
from urllib.parse import urlparse

from l2c_app.core.broadcast import OVERFLOW, get_broadcast
from l2c_app.core.db import run_db
from l2c_app.pipeline import board_events

log = logging.getLogger(__name__)

WAKE_S = 20.0


async def _connected(token: str) -> bool:
    """Whether the tab's websocket is still connected (on any worker); True outside a running app."""
    try:
        from reflex_base.registry import RegistrationContext

        namespace = RegistrationContext.get().app.event_namespace
        if namespace is None or not token:
            return True
        return bool(await namespace._token_manager.is_token_connected(token))
    except Exception:  # noqa: BLE001 - no app context (unit tests): keep going, the other checks end it
        return True


def _on_board(state: Any) -> bool:
    try:
        path = urlparse(str(state.router.url)).path
    except Exception:  # noqa: BLE001
        return True
    return path in ("", "/pipeline") or path.rstrip("/") == "/pipeline"


async def follow_board(state: Any) -> None:
    async with state:
        state._follow += 1
        me = state._follow
        state._beat = time.time()
        token = state.router.session.client_token
    org = await run_db(board_events.org_id)
    if not org:
        return
    try:
        async with get_broadcast().subscribe(board_events.board_topic(org)) as sub:
            async with state:
                if state._follow != me:
                    return
                state.live = True
            await _listen(state, sub, me, token)
    finally:
        with contextlib.suppress(Exception):  # a tab that went away has nobody to tell
            async with state:
                if state._follow == me:
                    state.live = False


async def _listen(state: Any, sub: Any, me: int, token: str) -> None:
    while True:
        first = await sub.get(WAKE_S)
        batch = [first, *sub.drain()] if first is not None else []
        if not await _connected(token):
            return
        async with state:
            if state._follow != me or not _on_board(state):
                return
            state._beat = time.time()
            filters = state._filters()
            batch = _not_own(state, batch)
        if not batch:
            continue
        access = await state._access("pipeline")
        if not access.allowed:
            return
        ids = {int(i) for m in batch if m is not OVERFLOW for i in (m.get("deals") or []) if str(i).isdigit()}
        try:
            change = await run_db(board_events.changes, ids, *filters) if ids else None
        except Exception:  # noqa: BLE001 - the poll catches up
            log.warning("board follow: re-read failed", exc_info=True)
            continue
        async with state:
            if state._follow != me:
                return
            if any(m is OVERFLOW for m in batch) or (change is not None and state._filters() != filters):
                state._mine = {}
                await state._reload()
            elif change is not None:
                _forget(state, change["cards"])
                if not state._apply(change):
                    state._mine = {}
                    await state._reload()


def _not_own(state: Any, batch: list) -> list:
    """The batch without the messages of this tab's own moves that it patched itself (marked
    `by` one of `state._mine`, every deal of it still as the tab's move left it). A change by
    anyone else comes in a message of its own, so it is kept. Call under the state's lock."""
    mine: dict[str, list[int]] = dict(state._mine)
    kept = []
    for m in batch:
        by = m.get("by") if isinstance(m, dict) else None
        if by and by in mine and set(m.get("deals") or []) <= set(mine[by]):
            mine.pop(by)
            continue
        kept.append(m)
    if len(mine) != len(state._mine):
        state._mine = mine
    return kept


def _forget(state: Any, deal_ids) -> None:
    """A patch from someone else's message touched these deals: a message of the tab's own move
    of them must be read again (its patch may have been overwritten by an older read)."""
    ids = {int(i) for i in deal_ids}
    if any(ids & set(v) for v in state._mine.values()):
        state._mine = {k: v for k, v in state._mine.items() if not ids & set(v)}
