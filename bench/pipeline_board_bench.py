"""Board load time with 2,000 open deals (the query and the column figures the /pipeline page gets).

Run: `.venv/bin/python bench/pipeline_board_bench.py` (or `python -m bench pipeline_board_bench`).
With `L2C_BENCH_BROWSER=1` it also starts the real app on the bench database and times the
/pipeline page in Chromium until the cards are on screen (adds about a minute for the build).
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
        users = [owner_id] + [create_user(s, name=f"S{i}", email=f"s{i}@bench.test", role="sales",
                                          password=None).id for i in range(4)]
        stages = [st.id for st in svc.open_stages(s)]
    with Session(engine_for(url)) as s:
        s.bulk_insert_mappings(Account, [{"name": f"Account {i}"} for i in range(500)])  # type: ignore[arg-type]
        now = utcnow()
        s.bulk_insert_mappings(Deal, [  # type: ignore[arg-type]
            {"title": f"Deal {i}", "account_id": i % 500 + 1, "stage_id": stages[i % len(stages)], "status": "open",
             "value_minor": 10000 * (i % 97 + 1), "currency": "EUR", "owner_id": users[i % len(users)],
             "created_at": now, "updated_at": now, "stage_entered_at": now, "last_activity_at": now}
            for i in range(N_DEALS)])
        s.bulk_insert_mappings(Activity, [  # type: ignore[arg-type]
            {"deal_id": i + 1, "kind": "task", "subject": f"Follow up {i}", "due_at": now, "created_at": now}
            for i in range(0, N_DEALS, 2)])
        s.commit()
    times = []
    for _ in range(5):
        with session_scope() as s:
            start = time.perf_counter()
            cols = svc.board(s)
            payload = json.dumps(cols)
            times.append((time.perf_counter() - start) * 1000)
    print(f"board with {sum(c['count'] for c in cols)} open deals: median {statistics.median(times):.0f} ms, "
          f"best {min(times):.0f} ms (query + card data + column figures), {len(payload) / 1024:.0f} KiB of state")
    with session_scope() as s:
        start = time.perf_counter()
        for _ in range(100):
            svc.board_version(s)
        print(f"board version check (what other open boards poll): "
              f"{(time.perf_counter() - start) * 10:.2f} ms each")
    if os.environ.get("L2C_BENCH_BROWSER") == "1":
        _browser(url, Path(url.removeprefix('sqlite:///')).parent)


def _browser(url: str, folder: Path) -> None:
    import signal
    import socket
    import subprocess

    import httpx
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=url, APP_BASE_URL=f"http://localhost:{port}", REFLEX_USE_SYSTEM_BUN="1",
               REFLEX_CHECK_LATEST_VERSION="false", REFLEX_TELEMETRY_ENABLED="false",
               PATH=f"{ROOT / '.tools/node_modules/.bin'}:{os.environ['PATH']}")
    with open(folder / "serve.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "l2c_app.cli", "serve", "--port", str(port)], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://localhost:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/login", timeout=5, follow_redirects=True).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{base}/login")
            page.get_by_label("E-mail").fill("o@bench.test")
            page.get_by_label("Password").fill("bench-password-1")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/**")
            times = []
            for _ in range(3):
                start = time.perf_counter()
                page.goto(f"{base}/pipeline")
                page.wait_for_function("document.querySelectorAll('[data-testid=deal-card]').length >= 400",
                                       timeout=120_000)
                times.append((time.perf_counter() - start) * 1000)
            cards = page.locator("[data-testid=deal-card]").count()
            browser.close()
        print(f"/pipeline in Chromium with {N_DEALS} open deals: median {statistics.median(times):.0f} ms until "
              f"{cards} cards are on screen (100 per column; headers count all)")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


if __name__ == "__main__":
    main()
