"""Public lead capture over real HTTP beside the bare endpoint, and the Leads list with 50,000 leads.

    .venv/bin/python -m bench leads_capture_bench      # SQLite, and PostgreSQL when reachable
    L2C_BENCH_LEADS_TOTAL=100000 L2C_BENCH_LEADS_KINDS=sqlite L2C_BENCH_LEADS_CAPTURE_ONLY=1 \
        .venv/bin/python -m bench leads_capture_bench   # the long run (first and last 10 % printed)

The production backend (`reflex run --env prod --backend-only`: granian, one worker, no
Redis, as the default install) on a fresh database; clients keep one HTTP/1.1 connection
each (1 and 8 connections) and post distinct, realistic public form bodies (JSON and
form-encoded, company and free-mail addresses; a third of the posts come from a company seen
before, so dedupe flags them, the same share from the first post to the last: `_company`),
each from its own visitor address (X-Forwarded-For from a trusted proxy), so
the per-IP limit runs on every post as it does in production. Each stored lead is deduped,
assigned round-robin, audited, notified (bell + e-mail in the outbox) and emits its event;
the run checks every one of those rows exists.

The bare endpoint is the same route, server and middleware answering before any database
work (a JSON body that is not an object: 422), posted the same way in the same run: the
ratio is what lead capture's own work costs. Targets (issue 18): >= 1,000 leads/s on SQLite
and >= 600/s on PostgreSQL at 8 connections, >= 1/4 of the bare endpoint, and no decay over
a run that stores 100,000 leads (the long run prints each tenth, then the first and last).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.billing_bench import Server, _pg_up, fresh_db, use  # noqa: E402  (after the path is set)
from bench.install import fresh_install  # noqa: E402
from bench.webhook_bench import db_cpu, server_cpu, server_rss_mib  # noqa: E402

N_HTTP = int(os.environ.get("L2C_BENCH_LEADS_N", "2000"))  # leads per connection count
TOTAL = int(os.environ.get("L2C_BENCH_LEADS_TOTAL", "0"))  # the long run (0: skipped)
CONNECTIONS = (1, 8)
N_LIST = 50_000
FIRST = ("Ann", "Bob", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Inès", "José", "Kai", "Lena")
LAST = ("Müller", "Smith", "Dupont", "Rossi", "Nowak", "García", "O'Brien", "Tanaka", "Jensen", "Silva")
FREE = ("gmail.com", "outlook.com", "yahoo.fr", "gmx.de")


RUNS = {"warm": 0, "c1": 1, "c8": 2, "long": 3}


def _company(i: int, run: str) -> int:
    """The company (its number) behind post i of a run, a company address's post (i % 3 != 0):
    half of them come from a company seen in the run's last ~1,500 posts, half from a new one.
    The share of repeat companies is the same from the first thousand posts to the last, so a
    long run's first and last tenths compare the same mix and only the store's size differs
    between them (a cycle of 21,000 company names had made the share jump from 0 to 67 % a
    fifth of the way into 100,000 posts). Each run has its own companies."""
    while i >= 6 and (i * 2654435761 >> 7) % 2 == 0:
        i -= 3 * (1 + (i * 40503 >> 5) % min(500, i // 3 - 1))  # same i % 3: a company post too
    return RUNS[run] * 1_000_000 + i


def _body(i: int, run: str) -> tuple[bytes, str, str]:
    """One visitor's post: (body, content type, visitor address). Every 5 posts share an address,
    each run its own addresses (the per-IP limit is 10 a minute)."""
    c = _company(i, run)
    first, last = FIRST[i % len(FIRST)], LAST[(c // 7) % len(LAST)]
    company = f"{last} {('Consulting', 'GmbH', 'SARL', 'Ltd', 'Studio')[c % 5]} {c}"
    domain = FREE[i % 4] if i % 3 == 0 else f"{last.lower().replace(chr(39), '')}-{c}.example"
    fields = {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{run}{i}@{domain}",
        "company": company,
        "phone": f"+33 1 {i % 100:02d} {i % 97:02d} {i % 89:02d} {i % 83:02d}",
        "message": f"Hello, we are looking for help with our new website and a yearly support contract. "
        f"Team of {5 + i % 40}, budget around {10 + i % 90}k, start in {1 + i % 6} months. "
        f"Ref {run}-{i}.",
        "consent": "on",
        "website": "",
    }
    v = RUNS[run] * 1_000_000 // 5 + i // 5
    ip = f"10.{v // 65536 % 256}.{v // 256 % 256}.{v % 256}"
    if i % 3 == 1:  # a plain HTML form posts form-encoded
        return urlencode(fields).encode(), "application/x-www-form-urlencoded", ip
    return json.dumps(fields).encode(), "application/json", ip


def _post_all(port: int, bodies: list[tuple[bytes, str, str]], connections: int) -> tuple[float, dict[int, int]]:
    """Each client thread keeps one HTTP/1.1 connection and posts its share; (seconds, status counts)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    shares = [bodies[k::connections] for k in range(connections)]
    start = threading.Barrier(connections + 1)

    def client(share) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        seen: dict[int, int] = {}
        for body, ctype, ip in share:
            conn.request("POST", "/api/v1/leads", body=body, headers={"Content-Type": ctype, "X-Forwarded-For": ip})
            resp = conn.getresponse()
            resp.read()
            seen[resp.status] = seen.get(resp.status, 0) + 1
        conn.close()
        with lock:
            for k, v in seen.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, statuses


def _setup(url: str) -> list[int]:
    from sqlmodel import Session

    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import create_user, setup_organisation
    from l2c_app.core.db import engine_for
    from l2c_app.leads import service as svc

    with Session(engine_for(url), expire_on_commit=False) as s:
        _, owner = setup_organisation(
            s,
            org_name="Bench",
            currency="EUR",
            timezone="UTC",
            owner_name="O",
            owner_email="o@bench.test",
            password="bench-password-1",
        )
        ids = [create_user(s, name=f"S{i}", email=f"s{i}@bench.test", role="sales", password=None).id for i in range(3)]
        s.flush()
        svc.save_lead_settings(
            s, Actor("user", owner.id), mode="round_robin", users=ids, by_source={}, consent_text="ok"
        )
        s.commit()
    return ids


def _check(url: str, stored: int) -> str:
    """Every stored lead has its owner, audit row, notification, e-mail and event."""
    from sqlmodel import Session, func, select

    from l2c_app.core.db import engine_for
    from l2c_app.core.models import AuditLog, Notification, OutboxMessage
    from l2c_app.events.models import DomainEvent
    from l2c_app.leads.models import Lead

    def count(model, *where) -> int:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()

    with Session(engine_for(url)) as s:
        leads = count(Lead)
        assert leads == stored, (leads, stored)
        assert count(Lead, Lead.owner_id.is_(None)) == 0  # type: ignore[union-attr]
        assert count(AuditLog, AuditLog.entity == "lead", AuditLog.action == "create") == stored
        assert count(Notification, Notification.kind == "lead_assigned") == stored
        assert count(OutboxMessage) >= stored
        assert count(DomainEvent, DomainEvent.type == "lead.created") == stored
        owners = [count(Lead, Lead.owner_id == uid) for uid in sorted({*s.exec(select(Lead.owner_id)).all()})]
        dups = count(Lead, (Lead.duplicate_of_lead_id.is_not(None)) | (Lead.duplicate_of_contact_id.is_not(None)))  # type: ignore[union-attr]
    return f"{stored} leads checked: owners {owners}, {dups} flagged duplicates"


def _flagged(url: str, newest: int) -> int:
    """How many of the `newest` leads are flagged as possible duplicates."""
    from sqlalchemy import text
    from sqlmodel import Session

    from l2c_app.core.db import engine_for

    with Session(engine_for(url)) as s:
        sql = (
            "SELECT count(*) FROM (SELECT duplicate_of_lead_id d, duplicate_of_contact_id c FROM lead "
            "ORDER BY id DESC LIMIT :n) AS last WHERE d IS NOT NULL OR c IS NOT NULL"
        )
        return int(s.execute(text(sql), {"n": newest}).scalar_one())


def bench_capture(kind: str) -> None:
    url, drop = fresh_db(kind)
    server = None
    try:
        use(url)
        _setup(url)
        os.environ["TRUSTED_PROXIES"] = "127.0.0.1"
        server = Server(url)
        bare_body = [(b"[1]", "application/json", "10.255.0.1")]
        _post_all(server.port, bare_body * 50 + [_body(i, "warm") for i in range(50)], 1)  # warm-up
        stored = 50
        for conns in CONNECTIONS:
            t_bare, st_bare = _post_all(server.port, bare_body * N_HTTP, conns)
            assert st_bare == {422: N_HTTP}, st_bare
            t_lead, st_lead = _post_all(server.port, [_body(i, f"c{conns}") for i in range(N_HTTP)], conns)
            assert st_lead == {201: N_HTTP}, st_lead
            stored += N_HTTP
            bare, leads = N_HTTP / t_bare, N_HTTP / t_lead
            target = 1000 if kind == "sqlite" else 600
            verdict = (
                ""
                if conns != 8
                else (
                    f"  target >= {target}/s and >= 1/4 of bare: "
                    f"{'OK' if leads >= target and leads * 4 >= bare else 'SLOW'}"
                )
            )
            print(
                f"  {kind:8s} {conns} conn: lead capture {leads:6.0f} leads/s   bare endpoint {bare:6.0f} req/s"
                f"   ratio {leads / bare:.2f}{verdict}",
                flush=True,
            )
        if TOTAL:
            block = max(1, TOTAL // 10)  # each block is a tenth of the run: first and last 10 % compared
            rates = []
            pgid = os.getpgid(server.proc.pid)
            for first in range(0, TOTAL, block):
                n = min(block, TOTAL - first)
                bodies = [_body(first + i, "long") for i in range(n)]
                cpu0, db0 = server_cpu(pgid), db_cpu(url)
                t, st = _post_all(server.port, bodies, 8)
                cpu = 1000 * (server_cpu(pgid) - cpu0) / n
                db = db_cpu(url, db0)
                assert st == {201: n}, st
                stored += n
                rates.append(n / t)
                # CPU per lead (server; PostgreSQL's backends of this database): what grows, if anything
                # does; and the share of the tenth's leads flagged as duplicates (each writes one more
                # row, a timeline entry): a third in every tenth, the mix `_company` posts.
                pg = f", PostgreSQL {1000 * db / n:.2f}" if db is not None else ""
                print(
                    f"  {kind:8s} long run, leads {first + 1:>7,}-{first + n:>7,} (8 conn): {n / t:6.0f} leads/s"
                    f"   CPU ms/lead: server {cpu:.2f}{pg}   duplicates {100 * _flagged(url, n) / n:.0f} %"
                    f"   server RSS {server_rss_mib(pgid):.0f} MiB",
                    flush=True,
                )
            print(
                f"  {kind:8s} long run of {TOTAL:,}: first 10 % {rates[0]:.0f} leads/s, last 10 % {rates[-1]:.0f} "
                f"leads/s (last/first {rates[-1] / rates[0]:.2f})",
                flush=True,
            )
        print(f"  {kind:8s} {_check(url, stored)}", flush=True)
    finally:
        if server is not None:
            server.stop()
        os.environ.pop("TRUSTED_PROXIES", None)
        drop()


def main() -> None:
    print(
        "public lead capture over HTTP to the production server (one worker), beside the bare endpoint "
        "(same route and middleware, no database work) from the same run:"
    )
    kinds = os.environ.get("L2C_BENCH_LEADS_KINDS", "sqlite,postgres").split(",")  # e.g. only sqlite for the long run
    for kind in [k for k in kinds if k == "sqlite" or (k == "postgres" and _pg_up())]:
        bench_capture(kind)
    if os.environ.get("L2C_BENCH_LEADS_CAPTURE_ONLY"):
        return

    url, owner_id = fresh_install("leads")
    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import create_user
    from l2c_app.core.db import session_scope
    from l2c_app.leads import service as svc

    with session_scope() as s:
        ids = [create_user(s, name=f"S{i}", email=f"s{i}@bench.test", role="sales", password=None).id for i in range(3)]
        svc.save_lead_settings(
            s, Actor("user", owner_id), mode="round_robin", users=ids, by_source={}, consent_text="ok"
        )

    # CSV import of 20,000 rows, in the chunks the background task uses.
    from l2c_app.leads.imports import CHUNK

    raw = (
        "name,email,company\n" + "".join(f"Imp {i},imp{i}@imp{i % 3000}.test,Imp {i % 3000}\n" for i in range(20_000))
    ).encode()
    start = time.perf_counter()
    headers, rows = svc.parse_csv(raw)
    mapping = svc.guess_mapping(headers)
    imported = 0
    for first in range(0, len(rows), CHUNK):
        with session_scope() as s:
            imported += svc.import_chunk(
                s, Actor("user", owner_id), headers, rows[first : first + CHUNK], mapping, first + 2
            ).imported
    elapsed = time.perf_counter() - start
    print(
        f"CSV import: {imported} rows in {elapsed:.1f} s ({imported / elapsed:.0f} rows/s, "
        f"chunks of {CHUNK} in a background task)"
    )

    # 50,000 leads for the list: bulk insert (the capture path is measured above).
    from sqlmodel import Session

    from l2c_app.core.db import engine_for
    from l2c_app.leads.models import Lead

    with Session(engine_for(url)) as s:
        s.bulk_insert_mappings(
            Lead,
            [  # type: ignore[arg-type]
                {
                    "name": f"Person {i}",
                    "email": f"x{i}@firm{i % 5000}.test",
                    "email_domain": f"firm{i % 5000}.test",
                    "company": f"Firm {i % 5000}",
                    "source": ("web", "ads", "partner")[i % 3],
                    "status": ("new", "qualified", "disqualified")[i % 3],
                    "owner_id": ids[i % 3],
                }
                for i in range(N_LIST)
            ],
        )
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
