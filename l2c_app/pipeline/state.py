"""UI state of the pipeline: the board, the deal page, stage settings, My day. Thin: rules in service."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import reflex as rx

from l2c_app.core.audit import Actor
from l2c_app.core.db import run_db
from l2c_app.core.money import to_minor
from l2c_app.pipeline import board_events
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.board_follow import follow_board
from l2c_app.ui.guard import guard
from l2c_app.ui.session import AuthState, route_id

ALL = "all"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def focus_script(element_id: str) -> str:
    """JS that focuses the element once the page has re-rendered (tries for about a second)."""
    return (
        "(function(){var n=0;function f(){var e=document.getElementById(" + repr(element_id) + ");"
        "if(e){e.focus();if(document.activeElement===e&&n>2)return;}if(n++<25)setTimeout(f,40);}f();})()"
    )


# Cards drawn per column at first (the headers count every deal; "Show N more" adds SHOW_MORE):
# the browser's render time grows with the cards on screen, not with the deals in the pipeline.
PER_COLUMN = 25
SHOW_MORE = 100


# The cards reach the browser in CARD_BUCKETS vars, a card in `cards_<deal id % CARD_BUCKETS>`:
# Reflex sends a changed var whole, so a move re-sends the moved card's bucket (about 1/16 of
# the cards on screen, ~1 KiB), not every card (~20 KiB with 100 cards on screen).
CARD_BUCKETS = 16
# What a card shows (board_page.deal_card); the rest of the server's card (`entered`, which
# orders a patched column, and `close`) stays in `_board`.
CARD_FIELDS = ("id", "title", "account", "owner", "value", "age", "next")


def card_ids(col: dict) -> list[str]:
    return [str(c["id"]) for c in col["cards"]]


def client_columns(board: list[dict]) -> list[dict]:
    """The board's columns as the browser gets them: header figures and the cards' ids, no cards."""
    return [{**{k: v for k, v in col.items() if k != "cards"}, "ids": card_ids(col)} for col in board]


def card_buckets(board: list[dict]) -> list[dict[str, dict]]:
    """The board's cards as the browser gets them: CARD_BUCKETS dicts, deal id -> shown fields."""
    buckets: list[dict[str, dict]] = [{} for _ in range(CARD_BUCKETS)]
    for col in board:
        for c in col["cards"]:
            buckets[int(c["id"]) % CARD_BUCKETS][str(c["id"])] = {k: c[k] for k in CARD_FIELDS}
    return buckets


class BoardState(AuthState):
    # What the browser gets: the columns (header figures and `ids`, their cards' deal ids in
    # order) apart from the cards (deal id -> card, in CARD_BUCKETS vars by deal id). The client
    # keeps an unchanged card's object when a delta arrives (it compares objects by key, arrays
    # by position), so a move re-renders the moved card and not every card behind it in both
    # columns (board_page.deal_card), and only the moved card's bucket is sent.
    columns: list[dict] = []
    cards_0: dict[str, dict] = {}
    cards_1: dict[str, dict] = {}
    cards_2: dict[str, dict] = {}
    cards_3: dict[str, dict] = {}
    cards_4: dict[str, dict] = {}
    cards_5: dict[str, dict] = {}
    cards_6: dict[str, dict] = {}
    cards_7: dict[str, dict] = {}
    cards_8: dict[str, dict] = {}
    cards_9: dict[str, dict] = {}
    cards_10: dict[str, dict] = {}
    cards_11: dict[str, dict] = {}
    cards_12: dict[str, dict] = {}
    cards_13: dict[str, dict] = {}
    cards_14: dict[str, dict] = {}
    cards_15: dict[str, dict] = {}
    _board: list[dict] = []  # the columns with their cards: what board_events.patch_columns patches
    stages: list[dict] = []  # open stages, for the "Move to" menu
    team: list[dict] = []
    owner: str = ALL
    close_from: str = ""
    close_to: str = ""
    version: str = ""
    dragged: int = 0
    lost_id: int = 0
    lost_title: str = ""
    lost_open: bool = False
    per_column: int = PER_COLUMN
    live: bool = False  # the follow task is listening: other users' changes appear at once
    _follow: int = 0  # generation of this tab's follow task (board_follow.py): a newer one ends older ones
    _beat: float = 0.0  # when the follow task last woke (the poll restarts a dead one)
    # This tab's own moves it patched itself, mark -> deal ids (board_follow._not_own): its follow
    # task skips re-reading them when their broadcast comes back. Bounded (a lost message).
    _mine: dict[str, list[int]] = {}

    def _filters(self) -> tuple:
        return (
            int(self.owner) if self.owner not in (ALL, "") else None,
            _date(self.close_from),
            _date(self.close_to),
            self.org_timezone,
        )

    def _show(self, board: list[dict]) -> None:
        """Keep `board` and set the vars the browser sees; a var left equal is not sent again (the
        mover's own follow task hears its move too)."""
        self._board = board
        columns = client_columns(board)
        if columns != self.columns:
            self.columns = columns
        for n, bucket in enumerate(card_buckets(board)):
            if bucket != getattr(self, f"cards_{n}"):
                setattr(self, f"cards_{n}", bucket)

    def shown_cards(self) -> dict[str, dict]:
        """Every card the browser holds, deal id -> card (the buckets merged)."""
        return {k: v for n in range(CARD_BUCKETS) for k, v in getattr(self, f"cards_{n}").items()}

    def _apply(self, change: dict) -> bool:
        """Patch the changed cards in (board_events.patch_columns); False when a reload is needed."""
        patched = board_events.patch_columns(self._board, change, self.per_column)
        if patched is None:
            return False
        self._show(patched)
        return True

    async def _reload(self):
        board, self.version = await run_db(_read_board, *self._filters(), self.per_column)
        self._show(board)

    @rx.event
    @guard("pipeline")
    async def load(self):
        # One transaction (one thread hop) for the page's reads: they were four in a row.
        team, stages, board, self.version = await run_db(_read_page, *self._filters(), self.per_column)
        self.team, self.stages = team, [s for s in stages if s["kind"] == "open"]
        self._show(board)
        return BoardState.follow

    @rx.event(background=True)
    async def follow(self):
        """Other users' changes, pushed (board_follow.follow_board): runs while this tab shows the board."""
        await follow_board(self)

    @rx.event
    async def tick(self, _now: str = ""):
        """The fallback poll: reload only when the board changed and no push brought it (e.g. a
        process without REDIS_URL); restart the follow task when it has stopped waking."""
        access = await self._access("pipeline")
        if not access.allowed:
            return None  # a signed-out tab stops following quietly; the next click redirects
        if await run_db(svc.board_version) != self.version:
            await self._reload()
        if time.time() - self._beat > FOLLOW_STALE_S:
            return BoardState.follow
        return None

    @rx.event
    async def set_owner(self, value: str):
        self.owner = value
        await self.load()

    @rx.event
    async def set_close(self, form: dict):
        self.close_from, self.close_to = form.get("close_from", ""), form.get("close_to", "")
        await self.load()

    @rx.event
    @guard("pipeline")
    async def show_more(self):
        self.per_column += SHOW_MORE
        await self._reload()
        return None

    @rx.event
    def start_drag(self, deal_id: int):
        self.dragged = int(deal_id)

    @rx.event
    async def drop(self, stage_id: int):
        deal_id, self.dragged = self.dragged, 0
        if deal_id:
            return await self._move(deal_id, int(stage_id))
        return None

    @rx.event
    async def move(self, deal_id: int, stage_id: str):
        """The keyboard's "Move to": after the move the focus returns to the moved card's
        "Move to" button in its new column (the old one is gone, so the browser would drop
        it on the page body)."""
        denied = await self._move(int(deal_id), int(stage_id))
        if denied is not None:
            return denied
        return rx.call_script(focus_script(f"move-deal-{int(deal_id)}"))

    async def _move(self, deal_id: int, stage_id: int):
        access = await self._access("pipeline")
        if not access.allowed:
            return access.denial()
        try:
            change = await run_db(
                _act,
                _move,
                (Actor("user", access.viewer.id), deal_id, stage_id),
                deal_id,
                self._filters(),
                self.version,
                mark := secrets.token_hex(8),
            )
        except svc.PipelineError as exc:
            return rx.toast.error(str(exc))
        await self._patched(change, mark)
        return None

    async def _patched(self, change: dict, mark: str = "") -> None:
        """The mover's own board: only the moved card and the column headers change. The move's
        broadcast (marked `mark`) then needs no re-read by this tab's follow task."""
        if not self._apply(change):
            await self._reload()
        elif change["version_ok"]:
            self.version = change["version"]
        if mark:
            self._mine = {**dict(list(self._mine.items())[-(MINE_KEPT - 1) :]), mark: [int(i) for i in change["cards"]]}

    @rx.event
    @guard("pipeline")
    async def won(self, deal_id: int):
        try:
            change = await run_db(
                _act,
                _won,
                (self._actor(), int(deal_id)),
                int(deal_id),
                self._filters(),
                self.version,
                mark := secrets.token_hex(8),
            )
        except svc.PipelineError as exc:
            return rx.toast.error(str(exc))
        await self._patched(change, mark)
        return rx.toast.success("Deal won. Congratulations!")

    @rx.event
    def ask_lost(self, deal_id: int, title: str):
        self.lost_id, self.lost_title, self.lost_open = int(deal_id), title, True

    @rx.event
    def set_lost_open(self, value: bool):
        self.lost_open = value

    @rx.event
    @guard("pipeline")
    async def lost(self, form: dict):
        try:
            change = await run_db(
                _act,
                _lost,
                (self._actor(), self.lost_id, form.get("reason", "")),
                self.lost_id,
                self._filters(),
                self.version,
                mark := secrets.token_hex(8),
            )
        except svc.PipelineError as exc:
            return rx.toast.error(str(exc))
        self.lost_open = False
        await self._patched(change, mark)
        return rx.toast.success("Deal marked lost.")


_act = board_events.act_and_read
MINE_KEPT = 16  # own moves remembered until their broadcast comes back (board_follow._not_own)
FOLLOW_STALE_S = 60.0  # the follow task wakes every 20 s (board_follow.WAKE_S); older than this, it is gone


def _read_board(session, owner_id, close_from, close_to, tz, per_column) -> tuple[list[dict], str]:
    return svc.board(session, owner_id, close_from, close_to, tz, per_column), svc.board_version(session)


def _read_page(session, *filters) -> tuple[list[dict], list[dict], list[dict], str]:
    return (svc.team_options(session), svc.stages_json(session), *_read_board(session, *filters))


def _move(session, actor: Actor, deal_id: int, stage_id: int) -> None:
    svc.move_deal(session, actor, deal_id, stage_id, via="ui")


def _won(session, actor: Actor, deal_id: int) -> None:
    svc.mark_won(session, actor, deal_id)


def _lost(session, actor: Actor, deal_id: int, reason: str) -> None:
    svc.mark_lost(session, actor, deal_id, reason)


class DealState(AuthState):
    deal: dict = {}
    events: list[dict] = []
    stages: list[dict] = []
    team: list[dict] = []
    error: str = ""
    not_found: bool = False
    lost_open: bool = False
    activity_kind: str = "note"

    def _deal_id(self) -> int:
        return route_id(self, "deals")

    async def _reload(self, deal_id: int):
        try:
            self.deal = await run_db(svc.deal_detail, deal_id)
            self.events = await run_db(svc.timeline, deal_id, self.org_timezone)
            self.not_found = False
        except svc.PipelineError:
            self.deal, self.events, self.not_found = {}, [], True

    @rx.event
    @guard("pipeline")
    async def load(self):
        self.error, self.lost_open = "", False
        self.stages = await run_db(svc.stages_json)
        self.team = await run_db(svc.team_options)
        await self._reload(self._deal_id())
        return None

    async def _do(self, fn, *args, ok: str = ""):
        access = await self._access("pipeline")
        if not access.allowed:
            return access.denial()
        deal_id = int(self.deal.get("id") or 0)
        done = await self._call(fn, Actor("user", access.viewer.id), deal_id, *args)
        self.error = done.error
        if not done.ok:
            return done.toast()
        await self._reload(deal_id)
        return rx.toast.success(ok) if ok else None

    @rx.event
    async def save(self, form: dict):
        changes = {k: form.get(k, "") for k in ("title", "expected_close", "description")}
        try:
            changes["value"] = to_minor(form.get("value") or "0", self.deal.get("currency") or "EUR")
        except (ValueError, ArithmeticError):
            self.error = "Value: enter an amount like 1200 or 1,200.50."
            return None
        prob = (form.get("probability") or "").strip()
        changes["probability"] = prob or None
        return await self._do(_update, changes, ok="Deal saved.")

    @rx.event
    async def move(self, stage_id: str):
        return await self._do(_move_here, int(stage_id), ok="Stage changed.")

    @rx.event
    async def won(self):
        return await self._do(_won_here, ok="Deal won. Congratulations!")

    @rx.event
    def set_lost_open(self, value: bool):
        self.lost_open = value

    @rx.event
    async def lost(self, form: dict):
        out = await self._do(_lost_here, form.get("reason", ""), ok="Deal marked lost.")
        if not self.error:
            self.lost_open = False
        return out

    @rx.event
    async def reassign(self, user_id: str):
        return await self._do(_reassign, int(user_id), ok="Deal handed over; the new owner is notified.")

    @rx.event
    def set_activity_kind(self, kind: str):
        self.activity_kind = kind

    @rx.event
    async def add_activity(self, form: dict):
        due = None
        if self.activity_kind == "task" and form.get("due"):
            try:
                local = datetime.fromisoformat(form["due"])
            except ValueError:
                self.error = "Due: pick a date and time."
                return None
            due = (local.replace(tzinfo=ZoneInfo(self.org_timezone)) if local.tzinfo is None else local).astimezone(UTC)
        return await self._do(
            _activity,
            self.activity_kind,
            form.get("subject", ""),
            form.get("body") or None,
            due,
            ok="Added to the timeline.",
        )

    @rx.event
    @guard("pipeline")
    async def toggle_task(self, activity_id: int, done: bool):
        try:
            await run_db(_task_done, self._actor(), int(activity_id), bool(done))
        except svc.PipelineError as exc:
            return rx.toast.error(str(exc))
        await self._reload(int(self.deal.get("id") or 0))
        return None


def _update(session, actor, deal_id, changes):
    svc.update_deal(session, actor, deal_id, changes)


def _move_here(session, actor, deal_id, stage_id):
    svc.move_deal(session, actor, deal_id, stage_id)


def _won_here(session, actor, deal_id):
    svc.mark_won(session, actor, deal_id)


def _lost_here(session, actor, deal_id, reason):
    svc.mark_lost(session, actor, deal_id, reason)


def _reassign(session, actor, deal_id, user_id):
    svc.reassign(session, actor, deal_id, user_id)


def _activity(session, actor, deal_id, kind, subject, body, due):
    svc.add_activity(session, actor, deal_id, kind, subject, body, due)


def _task_done(session, actor, activity_id, done):
    svc.set_task_done(session, actor, activity_id, done)


class StageSettingsState(AuthState):
    rows: list[dict] = []
    stale_days: str = "14"
    error: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        self.rows = [
            {**s, "probability": str(s["probability"]), "position": str(s["position"]), "delete": False}
            for s in await run_db(svc.stages_json)
        ]
        self.stale_days = str(await run_db(svc.stale_days))
        self.error = ""
        return None

    @rx.event
    def set_cell(self, index: int, key: str, value: str):
        rows = [dict(r) for r in self.rows]
        rows[index][key] = value
        self.rows = rows

    @rx.event
    def add_row(self):
        pos = max([int(r["position"] or 0) for r in self.rows] + [0]) + 1
        self.rows = self.rows + [
            {"id": 0, "name": "", "position": str(pos), "probability": "50", "kind": "open", "delete": False}
        ]

    @rx.event
    def mark_delete(self, index: int):
        rows = [dict(r) for r in self.rows]
        rows[index]["delete"] = not rows[index]["delete"]
        self.rows = rows

    @rx.event
    @guard("settings")
    async def save(self, form: dict):
        actor = self._actor()
        try:
            await run_db(svc.save_stages, actor, [{**r, "id": r["id"] or None} for r in self.rows])
            await run_db(svc.set_stale_days, actor, form.get("stale_days") or self.stale_days)
        except svc.PipelineError as exc:
            self.error = str(exc)
            return None
        await self.load()
        return rx.toast.success("Pipeline settings saved.")


class MyDayState(AuthState):
    tasks: list[dict] = []
    stale: list[dict] = []
    stale_days: int = 14
    open_deals: int = 0

    @rx.event
    async def load(self):
        access = await self._access("home")
        if not access.allowed:
            return None
        tz = self.org_timezone or "UTC"
        data = await run_db(svc.my_day, access.viewer.id, tz)
        self.tasks, self.stale, self.stale_days = data["tasks"], data["stale"], data["stale_days"]
        self.open_deals = data["open_deals"]
        return None

    @rx.event
    @guard("home")
    async def done(self, activity_id: int):
        try:
            await run_db(_task_done, self._actor(), int(activity_id), True)
        except svc.PipelineError as exc:
            return rx.toast.error(str(exc))
        await self.load()
        return rx.toast.success("Task done.")
