"""Contracts benchmarks: PDF rendering, the built-in signing flow, Connect HMAC and webhook
throughput, and `verify_pdf` with many contracts.

    .venv/bin/python -m bench contracts_bench       (or: .venv/bin/python bench/contracts_bench.py)

Runs on a throwaway SQLite file; prints medians. No network.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="l2c-bench-contracts-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["SECRET_KEY"] = "bench-secret-0123456789"
    os.environ["DOCUSIGN_CONNECT_HMAC_KEY"] = "bench-key"
    sys.path.insert(0, str(ROOT / "tests" / "contracts"))
    from conftest import make_world  # the same fixture data as the tests
    from sqlmodel import Session, select

    from l2c_app.contracts import service as svc
    from l2c_app.core.config import reset_settings
    from l2c_app.core.db import engine_for, migrate
    from l2c_app.core.models import OutboxMessage
    from l2c_app.integrations import docusign_connect

    reset_settings()
    migrate()
    engine = engine_for(os.environ["DATABASE_URL"])
    session = Session(engine, expire_on_commit=False)
    world = make_world(session)

    contract = svc.create_from_quote(session, world.actor, world.quote_id)
    session.commit()
    t = _timed(lambda: svc.render_pdf(session, contract), 20)
    print(f"   render contract PDF (original, 1 page):   {t * 1000:7.1f} ms")

    def full_flow() -> None:
        w = make_world(session)  # a quote covers one contract: a fresh deal each time
        c = svc.create_from_quote(session, w.actor, w.quote_id)
        svc.add_signer(session, world.actor, c.id, kind="countersigner", user_id=world.owner_id)
        svc.send(session, world.actor, c.id, provider="builtin")
        session.commit()
        for email in ("zoe@client.test", "owner@northwind.test"):
            link = (
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.to == email, OutboxMessage.related_id == c.id, OutboxMessage.link.is_not(None))
                    .order_by(OutboxMessage.id.desc())
                )
                .first()
                .link
            )
            svc.sign(
                session,
                link.rsplit("/", 1)[1],
                consent=True,
                typed_name="Bench Signer",
                ip="127.0.0.1",
                user_agent="bench",
            )
            session.commit()

    t = _timed(full_flow, 10)
    print(f"   create + send + 2 signatures + final PDF: {t * 1000:7.1f} ms")

    body = b"x" * 1_000_000
    headers = {"X-DocuSign-Signature-1": docusign_connect.signature("bench-key", body)}
    t = _timed(lambda: docusign_connect.verify(body, headers, ("old-key", "bench-key")), 50)
    print(f"   HMAC check of a 1 MB Connect body, 2 keys: {t * 1000:7.2f} ms")

    # verify_pdf among many contracts (the SHA-256 columns are indexed).
    session.commit()
    from l2c_app.contracts.models import Contract

    for _ in range(300):
        session.add(
            Contract(
                deal_id=contract.deal_id,
                title="Other",
                body="x",
                status="completed",
                signed_sha256=svc.sha256_hex(os.urandom(16)),
                original_sha256=svc.sha256_hex(os.urandom(16)),
            )
        )
    session.commit()
    data = svc.render_pdf(session, contract)
    t = _timed(lambda: svc.verify_pdf(session, data), 50)
    print(f"   verify_pdf with ~{300 + 11} contracts:            {t * 1000:7.2f} ms")
    session.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
