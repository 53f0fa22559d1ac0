"""Stripe webhooks under concurrency, l2c next to a bare endpoint on the same server (issue 18).

    .venv/bin/python -m bench webhook_bench        # SQLite, and PostgreSQL when reachable
    L2C_BENCH_WEBHOOK_N=3000 .venv/bin/python -m bench webhook_bench

One production server (`bench/webhook_server.py`: what `reflex run --env prod --backend-only`
runs, granian, one worker, no Redis) serves both routes: `POST /api/webhooks/stripe` (verify,
record the raw event, lock the invoice, upsert the payment, recompute the invoice, commit)
and `POST /bench/bare-stripe` (verify the signature only). Signed, distinct, realistic
`checkout.session.completed` bodies (~2 KB, each its own event, session, intent, invoice and
amount) go over real HTTP/1.1 keep-alive connections, 1 and 8 at once, bare then l2c at each
level. Printed: events/s, p50 and p99 per request, l2c / bare, and the server's CPU per
event (user + system of its processes from /proc, the figure the machine's load moves least). Every l2c invoice must
end paid. The client threads share the machine's cores with the server (and with whoever
else uses the machine): read the ratio, and compare absolute figures only within one run.

Targets: l2c >= 1/3 of bare at 1 connection; SQLite throughput not falling from 1 to 8
connections, p99 < 50 ms at 8; PostgreSQL >= 600 events/s at 8 connections.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.billing_bench import SECRET, _pg_up, fresh_db, use  # noqa: E402

WEBHOOK = "/api/webhooks/stripe"
N = int(os.environ.get("L2C_BENCH_WEBHOOK_N", "1500"))
CONNECTIONS = (1, 8)


def _setup(kind: str) -> tuple[str, callable]:
    """A migrated database with an organisation (as every install has), pointed at by the settings."""
    url, drop = fresh_db(kind)
    use(url)
    from l2c_app.core.auth import setup_organisation
    from l2c_app.core.db import session_scope

    with session_scope() as s:
        setup_organisation(
            s,
            org_name="Bench",
            currency="EUR",
            timezone="UTC",
            owner_name="O",
            owner_email=f"o{secrets.token_hex(3)}@bench.test",
            password="bench-password-1",
        )
    return url, drop


def _invoices(url: str, n: int) -> list[tuple[int, int]]:
    """n sent invoices of distinct totals: [(id, total)]."""
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from l2c_app.billing.models import Invoice
    from l2c_app.core.db import engine_for

    now = datetime.now(UTC)
    rows = [
        {
            "number": f"W-{i:06d}",
            "kind": "invoice",
            "status": "sent",
            "currency": "EUR",
            "total_minor": 5000 + 37 * i,
            "subtotal_minor": 5000 + 37 * i,
            "public_token": secrets.token_urlsafe(24),
            "created_at": now,
            "refunded": False,
            "disputed": False,
            "terms_days": 30,
            "tax_minor": 0,
            "paid_minor": 0,
        }
        for i in range(n)
    ]
    with Session(engine_for(url)) as s:
        s.execute(insert(Invoice), rows)
        s.commit()
        return [tuple(r) for r in s.execute(select(Invoice.id, Invoice.total_minor).order_by(Invoice.id))]


def _event(tag: str, invoice_id: int, total: int) -> dict:
    """A checkout.session.completed as Stripe sends it for a Payment Link (API 2024-era shape)."""
    now = int(time.time())
    rnd = secrets.token_hex(12)
    cs = {
        "id": f"cs_live_{tag}{rnd}",
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": False,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": "auto",
        "cancel_url": None,
        "client_reference_id": None,
        "consent": None,
        "created": now - 60,
        "currency": "eur",
        "custom_fields": [],
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": {
            "address": {
                "city": "Lyon",
                "country": "FR",
                "line1": f"{invoice_id} rue de la Paix",
                "line2": None,
                "postal_code": "69002",
                "state": None,
            },
            "email": f"billing{invoice_id}@client{invoice_id % 97}.example",
            "name": f"Client {invoice_id}",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "expires_at": now + 86340,
        "invoice": None,
        "livemode": True,
        "locale": "auto",
        "metadata": {"invoice_id": str(invoice_id), "source": "l2c", "invoice_number": f"W-{invoice_id:06d}"},
        "mode": "payment",
        "payment_intent": f"pi_{tag}{rnd}",
        "payment_link": f"plink_{tag}{invoice_id}",
        "payment_method_collection": "if_required",
        "payment_method_types": ["card", "sepa_debit"],
        "payment_status": "paid",
        "phone_number_collection": {"enabled": False},
        "status": "complete",
        "submit_type": "pay",
        "success_url": "https://l2c.example/paid",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None,
    }
    return {
        "id": f"evt_{tag}{rnd}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": now,
        "data": {"object": cs},
        "livemode": True,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
    }


def _signed(events: list[dict]) -> list[tuple[bytes, str]]:
    import stripe

    out = []
    for ev in events:
        body = json.dumps(ev, indent=2)  # Stripe sends pretty-printed JSON
        out.append((body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)))
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, url: str) -> None:
        import urllib.request

        self.port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            STRIPE_WEBHOOK_SECRET=SECRET,
            GRANIAN_WORKERS="1",
            REFLEX_CHECK_LATEST_VERSION="false",
            REFLEX_TELEMETRY_ENABLED="false",
        )
        env.pop("REDIS_URL", None)
        self.log = tempfile.NamedTemporaryFile(prefix="l2c-webhook-bench-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.webhook_server", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server did not start; see {self.log.name}")

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def _group_stats(pgid: int):
    """(pid, fields of /proc/<pid>/stat after the command name) of each process in group `pgid`."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # its process group
            yield pid, fields


def server_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes (its session: granian and
    its worker), from /proc: the figure the machine's other load moves least."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in _group_stats(pgid))
    return ticks / os.sysconf("SC_CLK_TCK")


def server_rss_mib(pgid: int) -> float:
    """Resident memory (MiB) of the server's processes (its process group), from /proc."""
    total = 0
    for pid, _ in _group_stats(pgid):
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def db_cpu(url: str, before: dict[int, float] | None = None) -> Any:
    """PostgreSQL: CPU seconds of the backends serving `url`'s database, per pid (or, given
    `before`, the seconds used since then); None on SQLite (its work is the server's own)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres") as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    now = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            now[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    if before is None:
        return now
    return sum(v - before.get(pid, 0.0) for pid, v in now.items())


def post_all(
    port: int, path: str, bodies: list[tuple[bytes, str]], connections: int, pgid: int = 0, url: str = ""
) -> dict:
    """Each client thread keeps one connection open (as Stripe does) and posts its share, one at a time."""
    latencies: list[float] = []
    statuses: list[int] = []
    shares = [bodies[k::connections] for k in range(connections)]
    barrier = threading.Barrier(connections + 1)

    def client(share) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        for body, sig in share:
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Stripe-Signature": sig, "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            latencies.append(time.perf_counter() - t0)
            statuses.append(resp.status)
        conn.close()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    barrier.wait()
    t0, cpu0, db0 = time.perf_counter(), server_cpu(pgid) if pgid else 0.0, db_cpu(url)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu_ms = 1000 * (server_cpu(pgid) - cpu0) / len(bodies) if pgid else 0.0
    db_ms = 1000 * db_cpu(url, db0) / len(bodies) if db0 is not None else None
    assert set(statuses) == {200}, sorted(set(statuses))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"rate": len(bodies) / elapsed, "p50": pick(0.50), "p99": pick(0.99), "cpu": cpu_ms, "db": db_ms}


def run(kind: str, n: int = N) -> dict[int, tuple[dict, dict]]:
    """{connections: (bare, l2c)} for one database."""
    from sqlmodel import Session, func, select

    from l2c_app.billing.models import Invoice
    from l2c_app.core.db import engine_for

    url, drop = _setup(kind)
    server = None
    try:
        invoices = _invoices(url, n * len(CONNECTIONS) + 20)
        server = Server(url)
        warm = _signed([_event(f"warm{i}_", *invoices[i]) for i in range(20)])
        post_all(server.port, WEBHOOK, warm, 1)
        post_all(server.port, "/bench/bare-stripe", warm, 1)
        out, used = {}, 20
        for conns in CONNECTIONS:
            mine = invoices[used : used + n]
            used += n
            pgid = server.proc.pid  # its own session: the group of granian and its worker
            bare = post_all(
                server.port,
                "/bench/bare-stripe",
                _signed([_event(f"bare{conns}_", i, t) for i, t in mine]),
                conns,
                pgid,
            )
            events = _signed([_event(f"c{conns}_", i, t) for i, t in mine])
            l2c = post_all(server.port, WEBHOOK, events, conns, pgid, url)
            out[conns] = (bare, l2c)
        with Session(engine_for(url)) as s:
            paid = s.exec(select(func.count()).select_from(Invoice).where(Invoice.status == "paid")).one()
        assert paid == used, (paid, used)
        return out
    finally:
        if server is not None:
            server.stop()
        drop()


def main() -> None:
    kinds = ["sqlite"] + (["postgres"] if _pg_up() else [])
    load = os.getloadavg()
    print(
        f"Stripe webhook (checkout.session.completed -> invoice paid) vs bare endpoint (signature only), "
        f"same granian server, one worker, {N} distinct signed events per row; load average before "
        f"{load[0]:.1f} on {os.cpu_count()} cores (shared machine: compare within the run)"
    )
    print(
        f"  {'db':8s} {'conns':>5s}   {'bare ev/s':>9s} {'p50':>6s} {'p99':>6s}   {'l2c ev/s':>9s} {'p50':>6s} "
        f"{'p99':>6s}   l2c/bare   server CPU ms/event bare, l2c (PostgreSQL's)"
    )
    for kind in kinds:
        results = run(kind)
        for conns, (bare, l2c) in results.items():
            print(
                f"  {kind:8s} {conns:5d}   {bare['rate']:9.0f} {bare['p50']:5.1f}ms {bare['p99']:5.1f}ms   "
                f"{l2c['rate']:9.0f} {l2c['p50']:5.1f}ms {l2c['p99']:5.1f}ms   {l2c['rate'] / bare['rate']:6.2f}"
                f"     {bare['cpu']:5.2f}, {l2c['cpu']:5.2f}"
                + (f" ({l2c['db']:.2f})" if l2c["db"] is not None else ""),
                flush=True,
            )
        one, eight = results[1][1], results[8][1]
        third = "OK" if one["rate"] * 3 >= results[1][0]["rate"] else "NO"
        if kind == "sqlite":
            holds = "OK" if eight["rate"] >= one["rate"] else "NO"
            print(
                f"    targets: 1 conn >= 1/3 bare: {third}; 8 >= 1 conn: {holds}"
                f"; p99 at 8 < 50 ms: {'OK' if eight['p99'] < 50 else 'NO'}"
            )
        else:
            print(f"    targets: 1 conn >= 1/3 bare: {third}; >= 600/s at 8: {'OK' if eight['rate'] >= 600 else 'NO'}")
    load = os.getloadavg()
    print(f"  load average after {load[0]:.1f}")


if __name__ == "__main__":
    main()
