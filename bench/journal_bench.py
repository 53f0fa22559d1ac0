"""Accounting journal benchmark: `post_pending` over N issued invoices, each paid in part.

    .venv/bin/python bench/journal_bench.py [N]        # SQLite, default N = 2000

Reports the first build (every invoice and payment posted), a second build (nothing new:
the run every hour and before every export costs this much) and one more after 10 payments.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(n: int = 2000) -> dict[str, float]:
    from sqlmodel import Session

    import l2c_app.models  # noqa: F401
    from l2c_app.accounting import journal
    from l2c_app.billing import service as billing
    from l2c_app.core.audit import SYSTEM
    from l2c_app.core.db import engine_for, migrate
    from tests.billing.factory import World

    url = f"sqlite:///{tempfile.mkdtemp()}/journal.db"
    migrate(url)
    with Session(engine_for(url), expire_on_commit=False) as s:
        w = World(s)
        invs = []
        for i in range(n):
            w.milestone(10000 + i, kind="fixed")
            inv = billing.issue_invoice(s, SYSTEM, billing.build_invoice(s, SYSTEM, w.pid, date(2026, 3, 31)).id)
            billing.record_manual_payment(s, SYSTEM, inv.id, amount_minor=5000, method="bank_transfer")
            invs.append(inv)
        s.commit()
        out = {}
        for label in ("first build", "second build (nothing new)"):
            t = time.perf_counter()
            added = journal.post_pending(s)
            s.commit()
            out[label] = round(time.perf_counter() - t, 3)
            print(f"{label}: {added} entries in {out[label]} s")
        for inv in invs[:10]:
            billing.record_manual_payment(s, SYSTEM, inv.id, amount_minor=100, method="bank_transfer")
        s.commit()
        t = time.perf_counter()
        added = journal.post_pending(s)
        s.commit()
        out["after 10 payments"] = round(time.perf_counter() - t, 3)
        print(f"after 10 payments: {added} entries in {out['after 10 payments']} s")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
