"""Quote builder figures: the totals function, one line edit, the quote view and the PDF,
for quotes of 1, 300 and 1000 lines.

Run: `.venv/bin/python bench/quotes_builder_bench.py` (or `python -m bench quotes_builder_bench`).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int = 5) -> float:
    """Median wall time in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="l2c-bench-quotes-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench-secret-0123456789abcdef")
    from l2c_app.core.config import reset_settings

    reset_settings()
    from pypdf import PdfReader

    import l2c_app.models  # noqa: F401
    from l2c_app.core.audit import Actor
    from l2c_app.core.auth import setup_organisation
    from l2c_app.core.db import migrate, session_scope
    from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage
    from l2c_app.quotes import service as svc
    from l2c_app.quotes.models import QuoteLine
    from l2c_app.quotes.pdf import quote_pdf_bytes
    from l2c_app.quotes.totals import LineInput, compute_totals

    print("totals function (pure, in memory):")
    for n in (1, 300, 1000):
        lines = [
            LineInput(
                i,
                Decimal("12.5"),
                15000 + i,
                Decimal("5"),
                1,
                "VAT 20%",
                Decimal("20"),
                False,
                i % 10 == 0,
                i % 20 == 0,
            )
            for i in range(n)
        ]
        print(f"  {n:5d} lines: {timed(lambda: compute_totals(lines, Decimal('7.5')), 20):8.2f} ms")

    migrate(url)
    with session_scope() as s:
        _, owner = setup_organisation(
            s,
            org_name="Bench Studio",
            currency="EUR",
            timezone="UTC",
            owner_name="O",
            owner_email="o@bench.test",
            password="bench-password-1",
        )
        actor = Actor("user", owner.id)
        account = Account(name="Client")
        s.add(account)
        s.flush()
        contact = Contact(account_id=account.id, name="Zoë", email="zoe@client.test")
        stage = PipelineStage(name="Proposal", position=1)
        s.add_all([contact, stage])
        s.flush()
        deal = Deal(
            title="Bench deal", account_id=account.id, contact_id=contact.id, stage_id=stage.id, owner_id=owner.id
        )
        s.add(deal)
        s.flush()
        vat = svc.create_tax_rate(s, actor, name="VAT 20%", percent="20")
        quotes = {}
        for n in (1, 300, 1000):
            q = svc.create_quote_from_deal(s, actor, deal.id)
            s.bulk_insert_mappings(
                QuoteLine,
                [  # type: ignore[arg-type]
                    {
                        "quote_id": q.id,
                        "position": i,
                        "section": f"Section {i // 50}",
                        "description": f"Task {i} — Łódź",
                        "quantity": Decimal("1.5"),
                        "unit": "hour",
                        "unit_price_minor": 15000,
                        "discount_percent": 0,
                        "tax_rate_id": vat.id,
                        "billing_kind": "hourly",
                        "role": "Dev",
                        "optional": False,
                        "selected": True,
                    }
                    for i in range(n)
                ],
            )
            quotes[n] = q.id

    print("service and PDF (SQLite, one transaction each):")
    for n, qid in quotes.items():
        with session_scope() as s:
            first = svc.quote_lines(s, qid)[0].id
        counter = iter(range(10**6))

        def edit() -> None:
            with session_scope() as s:
                svc.update_line(s, actor, first, quantity=str(1 + next(counter) % 7))

        def view() -> None:
            with session_scope() as s:
                svc.quote_view(s, qid)

        pdf_box: dict = {}

        def pdf() -> None:
            with session_scope() as s:
                pdf_box["data"] = quote_pdf_bytes(s, qid)

        t_edit, t_view, t_pdf = timed(edit), timed(view), timed(pdf, 3)
        pages = len(PdfReader(io.BytesIO(pdf_box["data"])).pages)
        print(
            f"  {n:5d} lines: edit one line + recompute {t_edit:8.1f} ms | quote view {t_view:8.1f} ms | "
            f"PDF {t_pdf:8.1f} ms ({pages} pages, {len(pdf_box['data']) // 1024} KiB)"
        )


if __name__ == "__main__":
    main()
