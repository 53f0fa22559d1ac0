"""Lead capture through HTTP, and the Leads list with 50,000 leads.

Run: `.venv/bin/python bench/leads_capture_bench.py` (or `python -m bench leads_capture_bench`).
Starts the HTTP API (granian, one worker, the same FastAPI app the product mounts) on a
fresh SQLite file, posts leads from 8 concurrent clients with an API key (the public path
is rate-limited per IP by design), then fills 50,000 leads and times the list queries.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.install import fresh_install  # noqa: E402  (after the path is set)

N_HTTP = 1000
CLIENTS = 8
N_LIST = 50_000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    import httpx

    url, owner_id = fresh_install("leads")
    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import create_api_key, create_user
    from l2c_app.core.db import session_scope
    from l2c_app.leads import service as svc

    with session_scope() as s:
        ids = [create_user(s, name=f"S{i}", email=f"s{i}@bench.test", role="sales", password=None).id
               for i in range(3)]
        svc.save_lead_settings(s, Actor("user", owner_id), mode="round_robin", users=ids, by_source={},
                               consent_text="ok")
        _, key = create_api_key(s, "bench")

    port = _port()
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--port", str(port),
                             "--workers", "1", "l2c_app.api.app:build_api"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}"}

        def post(i: int, client: httpx.Client) -> int:
            return client.post(f"{base}/api/v1/leads", headers=headers,
                               json={"name": f"Lead {i}", "email": f"p{i}@company{i % 500}.test",
                                     "company": f"Company {i % 500}", "message": "hello"}).status_code

        clients = [httpx.Client(timeout=30) for _ in range(CLIENTS)]
        post(-1, clients[0])  # warm-up
        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = list(pool.map(lambda i: post(i, clients[i % CLIENTS]), range(N_HTTP)))
        elapsed = time.perf_counter() - start
        assert all(c == 201 for c in codes), set(codes)
        print(f"lead capture over HTTP: {N_HTTP} leads, {CLIENTS} clients, {elapsed:.2f} s -> "
              f"{N_HTTP / elapsed:.0f} leads/s (SQLite, one worker; each with dedupe, assignment, notification, "
              f"audit, outbox)")
    finally:
        proc.terminate()
        proc.wait(10)

    # CSV import of 20,000 rows, in the chunks the background task uses.
    from l2c_app.leads.state import CHUNK

    raw = ("name,email,company\n" + "".join(f"Imp {i},imp{i}@imp{i % 3000}.test,Imp {i % 3000}\n"
                                             for i in range(20_000))).encode()
    start = time.perf_counter()
    headers, rows = svc.parse_csv(raw)
    mapping = svc.guess_mapping(headers)
    imported = 0
    for first in range(0, len(rows), CHUNK):
        with session_scope() as s:
            imported += svc.import_chunk(s, Actor("user", owner_id), headers, rows[first:first + CHUNK], mapping,
                                         first + 2).imported
    elapsed = time.perf_counter() - start
    print(f"CSV import: {imported} rows in {elapsed:.1f} s ({imported / elapsed:.0f} rows/s, "
          f"chunks of {CHUNK} in a background task)")

    # 50,000 leads for the list: bulk insert (the capture path is measured above).
    from sqlmodel import Session

    from l2c_app.core.db import engine_for
    from l2c_app.leads.models import Lead

    with Session(engine_for(url)) as s:
        s.bulk_insert_mappings(Lead, [  # type: ignore[arg-type]
            {"name": f"Person {i}", "email": f"x{i}@firm{i % 5000}.test", "email_domain": f"firm{i % 5000}.test",
             "company": f"Firm {i % 5000}", "source": ("web", "ads", "partner")[i % 3],
             "status": ("new", "qualified", "disqualified")[i % 3], "owner_id": ids[i % 3]}
            for i in range(N_LIST)])
        s.commit()
    cases = {
        "first page, newest first": {},
        "filter owner + status": {"owner_id": ids[1], "status": "new"},
        "search 'firm 42'": {"q": "firm 42"},
        "sort by name, page 500": {"sort": "name", "desc": False, "page": 500},
    }
    with session_scope() as s:
        total_leads = svc.list_leads(s, status="")["total"]
        for label, kw in cases.items():
            start = time.perf_counter()
            res = svc.list_leads(s, **kw)
            ms = (time.perf_counter() - start) * 1000
            print(f"leads list ({total_leads} leads), {label}: {ms:.0f} ms ({res['total']} matching)")
        start = time.perf_counter()
        text = svc.export_csv(s, status="new")
        print(f"CSV export of {text.count(chr(10)) - 1} leads: {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
