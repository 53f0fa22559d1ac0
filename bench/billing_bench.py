"""Billing and payments benchmark: invoice build time and signed webhook throughput.

    .venv/bin/python bench/billing_bench.py            # SQLite, and PostgreSQL when reachable
    L2C_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/billing_bench.py

Targets on the 2-core machine: 10,000 approved entries in < 0.2 s, 100,000 in < 2 s
(build of the draft: select, aggregate, lines, one INSERT ... SELECT of the links);
>= 500 reconciled webhooks/s on SQLite (signed POST through the ASGI app: verify,
record, lock, upsert the payment, recompute the invoice, commit).
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
            inv = service.build_invoice(s, w.pid, date(2026, 3, 31))
            s.commit()
            elapsed = time.perf_counter() - t0
            assert service.billed_sources_total(s, inv.id) == inv.subtotal_minor
            assert service.unbilled_candidates(s, w.pid, date(2026, 3, 31)) == []
        return elapsed
    finally:
        drop()


def _invoices(url: str, n: int) -> list[int]:
    from sqlalchemy import insert, select

    from l2c_app.billing.models import Invoice
    from sqlmodel import Session
    from l2c_app.core.db import engine_for

    now = datetime.now(UTC)
    rows = [{"number": f"B-{i:06d}", "kind": "invoice", "status": "sent", "currency": "EUR", "total_minor": 10000,
             "subtotal_minor": 10000, "public_token": secrets.token_urlsafe(24), "created_at": now,
             "refunded": False, "disputed": False, "terms_days": 30, "tax_minor": 0, "paid_minor": 0}
            for i in range(n)]
    with Session(engine_for(url)) as s:
        s.execute(insert(Invoice), rows)
        s.commit()
        return list(s.execute(select(Invoice.id).order_by(Invoice.id)).scalars())


def _event(i: int, invoice_id: int) -> dict:
    cs = {"id": f"cs_bench_{i}", "object": "checkout.session", "amount_total": 10000, "currency": "eur",
          "payment_intent": f"pi_bench_{i}", "payment_status": "paid", "status": "complete",
          "metadata": {"invoice_id": str(invoice_id)}, "created": int(time.time())}
    return {"id": f"evt_bench_{i}", "object": "event", "type": "checkout.session.completed",
            "created": int(time.time()), "data": {"object": cs}, "livemode": False}


def bench_webhooks(kind: str, n: int, threads: int = 1) -> float:
    import stripe
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient
    from sqlmodel import Session, func, select

    from l2c_app.api.app import build_api
    from l2c_app.billing.models import Invoice
    from l2c_app.core.db import engine_for

    url, drop = fresh_db(kind)
    try:
        use(url)
        ids = _invoices(url, n)
        bodies = []
        for i, inv_id in enumerate(ids):
            body = json.dumps(_event(i, inv_id))
            bodies.append((body, stripe.WebhookSignature.generate_signature_header(body, SECRET)))
        with TestClient(build_api()) as client:
            client.post("/api/webhooks/stripe", content=bodies[0][0], headers={"Stripe-Signature": bodies[0][1]})

            def post(item) -> int:
                return client.post("/api/webhooks/stripe", content=item[0],
                                   headers={"Stripe-Signature": item[1], "Content-Type": "application/json"}).status_code

            t0 = time.perf_counter()
            if threads == 1:
                statuses = [post(b) for b in bodies[1:]]
            else:
                with ThreadPoolExecutor(threads) as pool:
                    statuses = list(pool.map(post, bodies[1:]))
            elapsed = time.perf_counter() - t0
        assert set(statuses) == {200}, set(statuses)
        with Session(engine_for(url)) as s:
            paid = s.exec(select(func.count()).select_from(Invoice).where(Invoice.status == "paid")).one()
        assert paid == n, paid
        return (n - 1) / elapsed
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
    print("signed webhook deliveries, end to end (checkout.session.completed -> invoice paid):")
    for kind in kinds:
        for threads in (1, 4):
            rate = bench_webhooks(kind, 2000, threads)
            note = "  (target >= 500/s)" if kind == "sqlite" else ""
            print(f"  {kind:8s} {threads} client thread(s): {rate:7.0f} events/s{note}")


if __name__ == "__main__":
    main()
