"""CPU per lead of the group-commit writer alone (no HTTP): batches of captures through
`leads.group_commit.run_batch` in this process, the thread's CPU time per lead, 3 rounds.

usage (from a checkout, which is the code measured): python bench/leads_batch_cpu.py sqlite|postgres BATCHES [SIZE]
Less exposed to a loaded machine than wall rates; compare checkouts in interleaved runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from urllib.parse import parse_qsl


def main(kind: str, batches: int, size: int = 64) -> None:
    sys.path.insert(0, os.getcwd())
    from bench.billing_bench import fresh_db, use
    from bench.leads_capture_bench import _body, _setup

    url, drop = fresh_db(kind)
    use(url)
    _setup(url)
    from l2c_app.core.audit import Actor
    from l2c_app.leads import group_commit
    from l2c_app.leads.api import _batched

    web = Actor("web", None, "contact form")

    def works(run: str, batch: int) -> list:
        out = []
        for i in range(batch * size, (batch + 1) * size):
            body, ctype, _ = _body(i, run)
            data = json.loads(body) if ctype == "application/json" else dict(parse_qsl(body.decode()))
            data.pop("website", None)
            # an address per post: the per-IP limit is not what is measured
            out.append(_batched(data, False, f"10.9.{i // 250 % 256}.{i % 250}", web))
        return out

    try:
        for batch in range(3):  # warm: imports, caches, prepared statements
            group_commit.run_batch(works("warm", batch))
        rounds = []
        for run, offset in (("c1", 0), ("c8", 0), ("c1", 100)):
            prepared = [works(run, offset + b) for b in range(batches)]
            start = time.thread_time()
            for batch_works in prepared:
                outcomes = group_commit.run_batch(batch_works)
                assert all(error is None for _, error in outcomes), outcomes[:2]
            rounds.append(1000 * (time.thread_time() - start) / (batches * size))
        print(f"{os.getcwd()} {kind}: ms/lead {' '.join(f'{r:.3f}' for r in rounds)}  min {min(rounds):.3f}")
    finally:
        drop()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 64)
