"""Board load time with 2,000 open deals (the query and the column figures the /pipeline page gets),
and what the live board costs: a patch of one moved card against a full re-read.

Run: `.venv/bin/python bench/pipeline_board_bench.py` (or `python -m bench pipeline_board_bench`).
With `L2C_BENCH_BROWSER=1` it also starts the real app on the bench database and times, in
Chromium: the first render of /pipeline until the cards are on screen; a "Move to" until the
card shows in its new column in the mover's browser, and in a second browser (another user)
that only follows by push. `L2C_BENCH_REDIS=redis://...` runs the app with that REDIS_URL (the
broadcast then goes through Redis pub/sub; Reflex keeps UI state there and runs
GRANIAN_WORKERS workers, 2 by default here). A bare /api/health round trip from the same run
is printed beside the figures. The machine is shared: figures vary with its load.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.install import fresh_install  # noqa: E402  (after the path is set)

N_DEALS = 2000


def main() -> None:
    url, owner_id = fresh_install("board")
    from sqlmodel import Session

    from l2c_app.core.auth import create_user
    from l2c_app.core.db import engine_for, session_scope
    from l2c_app.core.timeutil import utcnow
    from l2c_app.pipeline import service as svc
    from l2c_app.pipeline.models import Account, Activity, Deal

    with session_scope() as s:
        users = [owner_id] + [
            create_user(s, name=f"S{i}", email=f"s{i}@bench.test", role="sales", password=None).id for i in range(4)
        ]
        stages = [st.id for st in svc.open_stages(s)]
    with Session(engine_for(url)) as s:
        s.bulk_insert_mappings(Account, [{"name": f"Account {i}"} for i in range(500)])  # type: ignore[arg-type]
        now = utcnow()
        s.bulk_insert_mappings(
            Deal,
            [  # type: ignore[arg-type]
                {
                    "title": f"Deal {i}",
                    "account_id": i % 500 + 1,
                    "stage_id": stages[i % len(stages)],
                    "status": "open",
                    "value_minor": 10000 * (i % 97 + 1),
                    "currency": "EUR",
                    "owner_id": users[i % len(users)],
                    "created_at": now,
                    "updated_at": now,
                    "stage_entered_at": now,
                    "last_activity_at": now,
                }
                for i in range(N_DEALS)
            ],
        )
        s.bulk_insert_mappings(
            Activity,
            [  # type: ignore[arg-type]
                {"deal_id": i + 1, "kind": "task", "subject": f"Follow up {i}", "due_at": now, "created_at": now}
                for i in range(0, N_DEALS, 2)
            ],
        )
        s.commit()
    times = []
    for _ in range(5):
        with session_scope() as s:
            start = time.perf_counter()
            cols = svc.board(s)
            payload = json.dumps(cols)
            times.append((time.perf_counter() - start) * 1000)
    print(
        f"board with {sum(c['count'] for c in cols)} open deals: median {statistics.median(times):.0f} ms, "
        f"best {min(times):.0f} ms (query + card data + column figures), {len(payload) / 1024:.0f} KiB of state"
    )
    from l2c_app.pipeline.state import PER_COLUMN, card_buckets, client_columns

    with session_scope() as s:
        shown = svc.board(s, per_column=PER_COLUMN)
    sent = len(json.dumps(client_columns(shown))) + len(json.dumps(card_buckets(shown)))
    print(f"what the browser gets on load ({PER_COLUMN} cards per column): {sent / 1024:.1f} KiB (columns + cards)")
    with session_scope() as s:
        start = time.perf_counter()
        for _ in range(100):
            svc.board_version(s)
        print(
            f"board version check (the fallback poll of other open boards): "
            f"{(time.perf_counter() - start) * 10:.2f} ms each"
        )
    from l2c_app.core.audit import Actor
    from l2c_app.core.db import with_session
    from l2c_app.pipeline import board_events

    patch_times, read_times, reload_times = [], [], []
    for i in range(10):
        deal_id = 1 + 4 * i  # first column (New)
        start = time.perf_counter()
        change = with_session(
            board_events.act_and_read,
            svc.move_deal,
            (Actor("user", owner_id), deal_id, stages[1]),
            deal_id,
            (None, None, None, "UTC"),
            "",
        )
        patched = board_events.patch_columns(cols, change)
        patch_times.append((time.perf_counter() - start) * 1000)
        assert patched is not None
        start = time.perf_counter()
        with session_scope() as s:
            board_events.patch_columns(cols, board_events.changes(s, [deal_id]))
        read_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        with session_scope() as s:
            cols = svc.board(s)
        reload_times.append((time.perf_counter() - start) * 1000)
    print(
        f"a move, server side: move + re-read of the one card + headers + patch: median "
        f"{statistics.median(patch_times):.0f} ms; the re-read + patch alone (what another tab does): "
        f"{statistics.median(read_times):.0f} ms; the full board re-read it replaces: "
        f"{statistics.median(reload_times):.0f} ms"
    )
    if os.environ.get("L2C_BENCH_BROWSER") == "1":
        _browser(url, Path(url.removeprefix("sqlite:///")).parent)


def _browser(url: str, folder: Path) -> None:
    from playwright.sync_api import sync_playwright
    from sqlmodel import select

    from bench.browser_app import CHROMIUM_ARGS, bare_ms, served, server_cpu_s, signed_in_page, wait_serving_worker
    from l2c_app.core.auth import create_user
    from l2c_app.core.db import session_scope
    from l2c_app.core.models import User

    with session_scope() as s:
        owner_email = s.exec(select(User).where(User.role == "owner")).first().email  # type: ignore[union-attr]
        create_user(s, name="Other", email="other@bench.test", role="sales", password="bench-password-2")
    redis = os.environ.get("L2C_BENCH_REDIS")
    workers = os.environ.get("GRANIAN_WORKERS", "2") if redis else "1"
    extra = {"REDIS_URL": redis, "GRANIAN_WORKERS": workers} if redis else {}
    with served(url, folder, **extra) as base:
        bare = bare_ms(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            mover = signed_in_page(browser, base, owner_email, "bench-password-1")
            other = signed_in_page(browser, base, "other@bench.test", "bench-password-2")
            from l2c_app.pipeline.state import PER_COLUMN

            shown = 4 * PER_COLUMN  # four open stages
            times, steps = [], []
            mover.context.add_init_script(_CARDS_AT.replace("SHOWN", str(shown)))
            seen_ws: dict[str, float] = {}

            def on_ws(ws) -> None:
                seen_ws.setdefault("open", time.time() * 1000)
                ws.on(
                    "framereceived",
                    lambda f: seen_ws.setdefault("columns", time.time() * 1000) if "columns" in str(f) else None,
                )

            mover.on("websocket", on_ws)
            for _ in range(3):
                seen_ws.clear()
                start = time.perf_counter()
                mover.goto(f"{base}/pipeline")
                mover.wait_for_function("window.__cardsAt", timeout=120_000)
                times.append((time.perf_counter() - start) * 1000)
                origin, cards_at = mover.evaluate("[performance.timeOrigin, window.__cardsAt]")
                steps.append((seen_ws.get("open", 0) - origin, seen_ws.get("columns", 0) - origin, cards_at - origin))
            mover.remove_listener("websocket", on_ws)
            cards = mover.locator("[data-testid=deal-card]").count()
            frames: dict[str, list[int]] = {"mover": [], "other": []}
            for name, pg in (("mover", mover), ("other", other)):
                pg.on("websocket", lambda ws, name=name: ws.on("framereceived", lambda f: frames[name].append(len(f))))
            mover.reload()  # the websocket is opened again, now with the frame listener
            other.goto(f"{base}/pipeline")
            mover.get_by_label("Live updates on").wait_for(timeout=60_000)
            other.get_by_label("Live updates on").wait_for(timeout=60_000)
            if redis:
                *served_by, reloads = _on_different_workers(mover, other, redis)
            mine, theirs, move_frames = [], [], []
            titles = mover.eval_on_selector_all(
                '[aria-label="Stage New"] [role=article]',
                "els => els.slice(0, 8).map(e => e.getAttribute('aria-label'))",
            )
            idle_before = server_cpu_s(base)
            time.sleep(3)  # what the server burns with both boards open and nothing happening
            idle_ms_per_s = (server_cpu_s(base) - idle_before) * 1000 / 3
            http: list[str] = []  # HTTP requests the two pages make during the moves
            for pg in (mover, other):
                pg.on("request", lambda r: http.append(r.url) if r.resource_type != "websocket" else None)
            cpu_before, moves_start = server_cpu_s(base), time.perf_counter()
            for title in titles:  # cards of the first column (New) that are on screen
                where = f'[aria-label="Stage Qualified"] [role=article][aria-label="{title}"]'
                for pg in (mover, other):
                    pg.evaluate(_WATCH, where)
                mover.get_by_role("button", name=f"Move {title} to").click()
                item = mover.get_by_role("menuitem", name="Qualified")
                item.wait_for()
                mover.evaluate(_CLICK_AT)
                n_frames = len(frames["mover"]), len(frames["other"])
                item.click()
                seen = [pg.wait_for_function("window.__seenAt", timeout=20_000).json_value() for pg in (mover, other)]
                t0 = mover.evaluate("window.__clickAt")  # the browser's own click time, not Playwright's
                mine.append(seen[0] - t0)
                theirs.append(seen[1] - t0)
                time.sleep(0.3)  # let the frames of this move arrive before counting them (not part of a timing)
                move_frames.append((sum(frames["mover"][n_frames[0] :]), sum(frames["other"][n_frames[1] :])))
            moves_s = time.perf_counter() - moves_start
            cpu_per_move = ((server_cpu_s(base) - cpu_before) * 1000 - idle_ms_per_s * moves_s) / len(titles)
            if redis:  # still on the same two workers after the moves (no reconnect moved a socket)
                after = [wait_serving_worker(pg, redis) for pg in (mover, other)]
                assert after == served_by, f"a websocket moved during the moves: {served_by} -> {after}"
            browser.close()
    if redis:
        how = (
            f"Redis pub/sub, {workers} workers; mover served by worker {served_by[0][:8]}, the other browser by "
            f"worker {served_by[1][:8]} (Reflex's socket records in Redis, before and after the moves; "
            f"{reloads} reload(s) of the other board to get there)"
        )
    else:
        how = "in-process broadcast, 1 worker serving both browsers"
    print(
        f"/pipeline in Chromium with {N_DEALS} open deals: median {statistics.median(times):.0f} ms until "
        f"{cards} cards are on screen ({PER_COLUMN} per column; headers count all); in the page, from "
        f"navigation start: websocket open {statistics.median(a for a, _, _ in steps):.0f} ms, the board's "
        f"state received {statistics.median(b for _, b, _ in steps):.0f} ms, cards on screen "
        f"{statistics.median(c for _, _, c in steps):.0f} ms"
    )
    print(
        f"'Move to' visible in the mover's browser: median {statistics.median(mine):.0f} ms "
        f"(max {max(mine):.0f}); in another user's browser (push): median {statistics.median(theirs):.0f} ms "
        f"(max {max(theirs):.0f}); {how}"
    )
    print(
        f"websocket bytes received per move: mover median "
        f"{statistics.median(m for m, _ in move_frames) / 1024:.1f} KiB, other browser "
        f"{statistics.median(o for _, o in move_frames) / 1024:.1f} KiB; server CPU per move (all server "
        f"processes, both browsers' updates, the idle rate taken off): {cpu_per_move:.0f} ms; idle with both "
        f"boards open: {idle_ms_per_s:.0f} ms CPU per second; HTTP requests during the moves: {len(http)}"
    )
    print(f"bare /api/health round trip, same run: median {bare:.1f} ms")


def _on_different_workers(mover, other, redis: str, attempts: int = 30) -> tuple[str, str, int]:
    """Reload the other browser's board until its websocket is held by another worker than the
    mover's (the OS may hand both connections to one worker); returns (mover's, other's, reloads)."""
    from bench.browser_app import wait_serving_worker

    mine = wait_serving_worker(mover, redis)
    assert mine, "no socket record for the mover's tab in Redis"
    for reloads in range(attempts):
        theirs = wait_serving_worker(other, redis)
        if theirs and theirs != mine:
            return mine, theirs, reloads
        other.reload()
        other.get_by_label("Live updates on").wait_for(timeout=60_000)
    raise AssertionError(f"after {attempts} reloads the other browser was still on the mover's worker {mine[:8]}")


# Records (Date.now(), one clock for both browsers) when the selector first matches.
_WATCH = """(sel) => { window.__seenAt = 0;
  const mark = () => { if (!window.__seenAt && document.querySelector(sel)) { window.__seenAt = Date.now(); } };
  const obs = new MutationObserver(() => { mark(); if (window.__seenAt) obs.disconnect(); });
  obs.observe(document.body, {childList: true, subtree: true}); mark(); }"""

# On every page load: the browser's time (Date.now()) when SHOWN cards are first on screen.
_CARDS_AT = """window.__cardsAt = 0; new MutationObserver((_, obs) => {
  if (document.querySelectorAll('[data-testid=deal-card]').length >= SHOWN) {
    window.__cardsAt = Date.now(); obs.disconnect(); }
}).observe(document, {childList: true, subtree: true});"""

# Records the browser's own time of the next click on a menu item (capture phase: before React).
_CLICK_AT = """() => { window.__clickAt = 0; document.addEventListener('click', (e) => {
  if (!window.__clickAt) { window.__clickAt = Date.now(); } }, {capture: true, once: true}); }"""


if __name__ == "__main__":
    main()
