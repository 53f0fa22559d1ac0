"""Billing and payments benchmark: invoice build time and signed webhook throughput.

    .venv/bin/python bench/billing_bench.py            # SQLite, and PostgreSQL when reachable
    L2C_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/billing_bench.py

Targets on the 2-core machine: 10,000 approved entries in < 0.2 s, 100,000 in < 2 s
(build of the draft: select, aggregate, lines, one INSERT ... SELECT of the links);
>= 500 reconciled webhooks/s on SQLite: signed POSTs over real HTTP (keep-alive, 1, 4
and 8 connections, as Stripe delivers) to the production server (`reflex run --env prod
--backend-only`, granian, one worker as in the default install without Redis); each one
verified, recorded, the invoice locked, the payment upserted, the invoice recomputed and
committed. The client threads share the machine's 2 cores with the server.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from l2c_app.core.audit import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789")
SECRET = "whsec_bench_secret"
PG_ADMIN = os.environ.get("L2C_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def fresh_db(kind: str) -> tuple[str, callable]:
    from l2c_app.core.db import migrate

    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="l2c-bench-")
        url = f"sqlite:///{folder}/bench.db"
        migrate(url)
        return url, lambda: None
    name = f"l2c_bench_{uuid.uuid4().hex[:8]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)

    def drop() -> None:
        from l2c_app.core.db import engine_for

        engine_for(url).dispose()
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def use(url: str) -> None:
    from l2c_app.core.config import reset_settings

    if url.startswith("sqlite") and os.environ.get("L2C_BENCH_SYNC_NORMAL"):
        # Kept for old comparisons: core/db.py now sets synchronous=NORMAL itself, so this is a no-op.
        from sqlalchemy import event

        from l2c_app.core.db import engine_for

        event.listen(engine_for(url), "connect", lambda c, _r: c.execute("PRAGMA synchronous=NORMAL"))

    os.environ["DATABASE_URL"] = url
    os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET
    reset_settings()


def bench_build(kind: str, n: int) -> float:
    from sqlmodel import Session

    from l2c_app.billing import service
    from l2c_app.core.db import engine_for
    from tests.billing.factory import World

    url, drop = fresh_db(kind)
    try:
        use(url)
        with Session(engine_for(url), expire_on_commit=False) as s:
            w = World(s)
            for start in range(0, n, 20000):
                w.bulk_time(min(20000, n - start))
            s.commit()
            # Fresh statistics, as a database that grew its time entries day by day has
            # (autovacuum on PostgreSQL); a bulk load followed at once by a query has none.
            from sqlalchemy import text

            s.execute(text("ANALYZE"))
            s.commit()
            t0 = time.perf_counter()
            inv = service.build_invoice(s, SYSTEM, w.pid, date(2026, 3, 31))
            s.commit()
            elapsed = time.perf_counter() - t0
            assert service.billed_sources_total(s, inv.id) == inv.subtotal_minor
            assert service.unbilled_candidates(s, w.pid, date(2026, 3, 31)) == []
        return elapsed
    finally:
        drop()


def _invoices(url: str, n: int) -> list[int]:
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from l2c_app.billing.models import Invoice
    from l2c_app.core.db import engine_for

    now = datetime.now(UTC)
    rows = [
        {
            "number": f"B-{i:06d}",
            "kind": "invoice",
            "status": "sent",
            "currency": "EUR",
            "total_minor": 10000,
            "subtotal_minor": 10000,
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
        return list(s.execute(select(Invoice.id).order_by(Invoice.id)).scalars())


def _event(i: int, invoice_id: int, prefix: str = "") -> dict:
    cs = {
        "id": f"cs_bench_{prefix}{i}",
        "object": "checkout.session",
        "amount_total": 10000,
        "currency": "eur",
        "payment_intent": f"pi_bench_{prefix}{i}",
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"invoice_id": str(invoice_id)},
        "created": int(time.time()),
    }
    return {
        "id": f"evt_bench_{prefix}{i}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": cs},
        "livemode": False,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _signed_bodies(ids: list[int], prefix: str) -> list[tuple[bytes, str]]:
    import stripe

    out = []
    for i, inv_id in enumerate(ids):
        body = json.dumps(_event(i, inv_id, prefix))
        out.append((body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)))
    return out


def _paid(url: str) -> int:
    from sqlmodel import Session, func, select

    from l2c_app.billing.models import Invoice
    from l2c_app.core.db import engine_for

    with Session(engine_for(url)) as s:
        return s.exec(select(func.count()).select_from(Invoice).where(Invoice.status == "paid")).one()


class Server:
    """The production backend (`reflex run --env prod --backend-only`: granian serving the
    same ASGI app as `l2c serve`, API routes included) on a free port and a given database."""

    def __init__(self, url: str, workers: int = 1) -> None:
        import subprocess
        import urllib.request

        self.port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            STRIPE_WEBHOOK_SECRET=SECRET,
            GRANIAN_WORKERS=str(workers),
            REFLEX_CHECK_LATEST_VERSION="false",
            REFLEX_TELEMETRY_ENABLED="false",
        )
        env.pop("REDIS_URL", None)
        self.log = tempfile.NamedTemporaryFile(prefix="l2c-bench-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "reflex"),
                "run",
                "--env",
                "prod",
                "--backend-only",
                "--backend-port",
                str(self.port),
                "--loglevel",
                "warning",
            ],
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
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server did not start; see {self.log.name}")

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except Exception:  # noqa: BLE001
                os.killpg(self.proc.pid, signal.SIGKILL)


def _post_all(port: int, bodies: list[tuple[bytes, str]], connections: int) -> tuple[float, set[int]]:
    """Each client thread keeps one HTTP/1.1 connection open (as Stripe does) and posts its share."""
    import http.client
    import threading

    statuses: list[int] = []
    shares = [bodies[k::connections] for k in range(connections)]
    start = threading.Barrier(connections + 1)

    def client(share) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        for body, sig in share:
            conn.request(
                "POST",
                "/api/webhooks/stripe",
                body=body,
                headers={"Stripe-Signature": sig, "Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
        conn.close()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, set(statuses)


def bench_webhooks(kind: str, n: int, connections: tuple[int, ...] = (1, 4, 8), workers: int = 1) -> dict[int, float]:
    """Signed checkout.session.completed deliveries over real HTTP to the production server:
    verify, record, lock, upsert the payment, recompute the invoice, commit; every invoice
    must end paid. Returns {connections: events/s}."""
    url, drop = fresh_db(kind)
    server = None
    try:
        use(url)
        ids = _invoices(url, n * len(connections) + 1)
        server = Server(url, workers)
        warm = _signed_bodies(ids[:1], "warm")
        _post_all(server.port, warm, 1)
        rates, used = {}, 1
        for conns in connections:
            bodies = _signed_bodies(ids[used : used + n], f"c{conns}")
            used += n
            elapsed, statuses = _post_all(server.port, bodies, conns)
            assert statuses == {200}, statuses
            rates[conns] = n / elapsed
        assert _paid(url) == used, (_paid(url), used)
        return rates
    finally:
        if server is not None:
            server.stop()
        drop()


def bench_webhooks_in_process(kind: str, n: int) -> float:
    """The same work without HTTP (handle_request called directly): what the database path costs."""
    from l2c_app.payments.webhooks import handle_request

    url, drop = fresh_db(kind)
    try:
        use(url)
        bodies = _signed_bodies(_invoices(url, n + 1), "direct")
        handle_request(*bodies[0])
        t0 = time.perf_counter()
        for body, sig in bodies[1:]:
            assert handle_request(body, sig)[0] == 200
        elapsed = time.perf_counter() - t0
        assert _paid(url) == n + 1
        return n / elapsed
    finally:
        drop()


def main() -> None:
    kinds = ["sqlite"] + (["postgres"] if _pg_up() else [])
    print("invoice build (draft from approved time, set-based):")
    for kind in kinds:
        for n in (10_000, 100_000):
            t = bench_build(kind, n)
            target = 0.2 if n == 10_000 else 2.0
            print(f"  {kind:8s} {n:>7,} entries: {t:6.3f} s  (target < {target} s) {'OK' if t < target else 'SLOW'}")
    print(
        "signed webhook deliveries over HTTP to the production server, one worker "
        "(checkout.session.completed -> invoice paid):"
    )
    for kind in kinds:
        for conns, rate in bench_webhooks(kind, 2000).items():
            note = f"  (target >= 500/s) {'OK' if rate >= 500 else 'SLOW'}" if kind == "sqlite" else ""
            print(f"  {kind:8s} {conns} connection(s): {rate:7.0f} events/s{note}")
    print(
        "the same with 3 server workers (as `l2c serve` runs when REDIS_URL is set; SQLite writers queue on its lock):"
    )
    for kind in kinds:
        for conns, rate in bench_webhooks(kind, 2000, (8,), workers=3).items():
            print(f"  {kind:8s} {conns} connection(s): {rate:7.0f} events/s")
    print("the same work without HTTP (handle_request called in process, one thread):")
    for kind in kinds:
        print(f"  {kind:8s} {bench_webhooks_in_process(kind, 2000):7.0f} events/s")


if __name__ == "__main__":
    main()
