"""Bench: the weekly time grid with 40 rows and a year of history behind it.

    .venv/bin/python -m bench.projects_grid_bench            (SQLite in a temp folder)
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.projects_grid_bench

Builds 40 projects x 1 budget line, one person logging 5 days a week on every row for
52 weeks (10,400 entries), then times `week_grid` (one query per week) and one cell save.
With `L2C_BENCH_BROWSER=1` it also starts the real app on that database and times, in Chromium,
a typed cell: from the keystroke that leaves it (Tab: cells save on blur) until the status says
"All changes saved", with a bare /api/health round trip from the same run beside it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date, timedelta

from sqlmodel import Session


def main() -> None:
    from l2c_app.core.config import reset_settings
    from l2c_app.core.db import engine_for, migrate

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    os.environ["DATABASE_URL"] = url
    reset_settings()
    migrate(url)
    from l2c_app.core.audit import SYSTEM
    from l2c_app.core.auth import create_user, setup_organisation
    from l2c_app.projects import service as svc
    from l2c_app.projects.models import BudgetLine, Project, TimeEntry

    with Session(engine_for(url), expire_on_commit=False) as s:
        _, owner = setup_organisation(
            s,
            org_name="Bench",
            currency="EUR",
            timezone="UTC",
            owner_name="B",
            owner_email="bench@l2c.test",
            password="bench-password-1",
        )
        user = create_user(s, name="Worker", email="w@l2c.test", role="delivery", password="bench-password-2")
        s.flush()
        rows = []
        for i in range(40):
            p = Project(name=f"Project {i:02d}")
            s.add(p)
            s.flush()
            bl = BudgetLine(project_id=p.id, role="Dev", budget_minutes=100_000, rate_minor=10000, amount_minor=10**8)
            s.add(bl)
            s.flush()
            rows.append((p.id, bl.id))
        this_monday = date(2026, 11, 23)
        first = this_monday - timedelta(weeks=52)
        entries = []
        for w in range(53):
            monday = first + timedelta(weeks=w)
            for d in range(5):
                for pid, blid in rows:
                    entries.append(
                        TimeEntry(
                            project_id=pid,
                            budget_line_id=blid,
                            user_id=user.id,
                            day=monday + timedelta(days=d),
                            minutes=10,
                            rate_minor=10000,
                        )
                    )
        s.add_all(entries)
        s.commit()
        print(f"entries: {len(entries)} on {url.split(':')[0]}")
        timings = []
        for _ in range(30):
            t0 = time.perf_counter()
            grid = svc.week_grid(s, user.id, this_monday)
            timings.append((time.perf_counter() - t0) * 1000)
        assert len(grid["rows"]) == 40
        print(f"week_grid, 40 rows: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")
        timings = []
        for i in range(30):
            t0 = time.perf_counter()
            svc.upsert_time(
                s,
                SYSTEM,
                user_id=user.id,
                project_id=rows[i % 40][0],
                budget_line_id=rows[i % 40][1],
                day=this_monday + timedelta(days=5),
                minutes=5 + i % 3,
            )
            s.commit()
            timings.append((time.perf_counter() - t0) * 1000)
        print(
            f"save one cell (24 h check, audit, commit): median {statistics.median(timings):.1f} ms, "
            f"max {max(timings):.1f} ms"
        )
        _ = owner
    if os.environ.get("L2C_BENCH_BROWSER") == "1":
        _browser(url)


def _browser(url: str) -> None:
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from bench.browser_app import CHROMIUM_ARGS, bare_ms, served, signed_in_page

    folder = Path(tempfile.mkdtemp(prefix="l2c-bench-grid-"))
    secret = os.environ.get("SECRET_KEY") or "bench-secret-0123456789abcdef"
    with served(url, folder, SECRET_KEY=secret) as base:
        bare = bare_ms(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = signed_in_page(browser, base, "w@l2c.test", "bench-password-2")
            page.goto(f"{base}/time")
            page.get_by_role("button", name="Previous week").click()  # the bench's history ends last week
            grid = page.get_by_label("Weekly time grid")
            page.wait_for_function(
                "document.querySelectorAll('[aria-label=\"Weekly time grid\"] input:not([readonly])').length >= 200",
                timeout=60_000,
            )
            cells = grid.locator("input:not([readonly])")
            times = []
            for i in range(12):
                cell = cells.nth(i * 5 + 2)  # a Wednesday, a new row each time
                cell.click()
                cell.fill("")
                page.keyboard.type(f"1:{10 + i}")
                page.evaluate(_WATCH)
                page.keyboard.press("Tab")
                times.append(page.wait_for_function("window.__savedAt", timeout=20_000).json_value())
            browser.close()
        print(
            f"time grid in Chromium (40 rows): keystroke (Tab out of a typed cell) to 'All changes saved': "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms; "
            f"bare /api/health round trip, same run: median {bare:.1f} ms"
        )


# Time, in the browser, from the next Tab keydown until the status shows "Saving…" and then
# "All changes saved" (the status of this save, not the last one's).
_WATCH = """() => { window.__savedAt = 0; let keyAt = 0, saving = false;
  const onKey = (e) => {
    if (e.key === 'Tab') { keyAt = performance.now(); document.removeEventListener('keydown', onKey, true); } };
  document.addEventListener('keydown', onKey, true);
  const status = () => [...document.querySelectorAll('[role=status]')].map((e) => e.textContent).join('|');
  const obs = new MutationObserver(() => {
    if (!keyAt) return;
    const text = status();
    if (text.includes('Saving')) saving = true;
    if (saving && text.includes('All changes saved')) {
      window.__savedAt = performance.now() - keyAt; obs.disconnect(); }
  });
  obs.observe(document.body, {childList: true, subtree: true, characterData: true}); }"""


if __name__ == "__main__":
    main()
