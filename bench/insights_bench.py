"""The Insights page's read (`insights.service.dashboard`) on a busy install.

500 projects with 40 approved time entries each (20,000 entries, half of the projects fully
billed through billed-source links), 5,000 leads, 2,000 deals, 2,000 issued invoices (half of
them overdue) and 500 payments (50 unmatched). Unbilled work asks billing's own
`unbilled_total` only for the projects a one-UNION query finds with unlinked sources.

Run: `.venv/bin/python -m bench insights_bench` (add `DATABASE_URL=postgresql://...` for PostgreSQL).
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.install import fresh_install  # noqa: E402  (after the path is set)

N_PROJECTS, ENTRIES, N_LEADS, N_DEALS, N_INVOICES, N_PAYMENTS = 500, 40, 5000, 2000, 2000, 500


def main() -> None:
    url, owner_id = fresh_install("insights", allow_postgres=True)
    from sqlalchemy import insert
    from sqlmodel import Session

    from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
    from l2c_app.core.db import engine_for, session_scope
    from l2c_app.insights import service
    from l2c_app.leads.models import Lead
    from l2c_app.payments.models import Payment
    from l2c_app.pipeline import service as pipeline
    from l2c_app.pipeline.models import Account, Deal
    from l2c_app.projects.models import BudgetLine, Project, TimeEntry

    with session_scope() as s:
        stages = [st.id for st in pipeline.open_stages(s)]
    today = date.today()
    now = datetime.now(UTC)
    with Session(engine_for(url)) as s:
        s.execute(insert(Account), [{"name": f"Client {i}", "created_at": now} for i in range(N_PROJECTS)])
        acc0 = s.query(Account.id).order_by(Account.id).first()[0]
        s.execute(insert(Project), [{"name": f"Project {i}", "account_id": acc0 + i, "currency": "EUR",
                                     "status": "active", "billable_default": True, "created_at": now}
                                    for i in range(N_PROJECTS)])
        p0 = s.query(Project.id).order_by(Project.id).first()[0]
        s.execute(insert(BudgetLine), [{"project_id": p0 + i, "role": "Dev", "rate_minor": 9500,
                                        "budget_minutes": 0, "amount_minor": 0} for i in range(N_PROJECTS)])
        b0 = s.query(BudgetLine.id).order_by(BudgetLine.id).first()[0]
        s.execute(insert(TimeEntry), [{"project_id": p0 + i, "budget_line_id": b0 + i, "user_id": owner_id,
                                       "day": today - timedelta(days=j), "minutes": 60 + j, "billable": True,
                                       "rate_minor": 9500, "approved_at": now, "created_at": now, "updated_at": now}
                                      for i in range(N_PROJECTS) for j in range(ENTRIES)])
        # Half of the projects fully billed: one invoice line each, a live link per entry.
        s.execute(insert(Invoice), [{"status": "sent", "kind": "invoice", "currency": "EUR", "account_id": acc0 + i,
                                     "project_id": p0 + i, "number": f"B-{i}", "public_token": secrets.token_hex(16),
                                     "issue_date": today, "due_date": today + timedelta(days=30), "terms_days": 30,
                                     "total_minor": 1000, "paid_minor": 0, "subtotal_minor": 1000, "tax_minor": 0,
                                     "refunded": False, "disputed": False, "created_at": now}
                                    for i in range(0, N_PROJECTS, 2)])
        i0 = s.query(Invoice.id).order_by(Invoice.id).first()[0]
        s.execute(insert(InvoiceLine), [{"invoice_id": i0 + k, "description": "Time", "amount_minor": 1000,
                                         "unit_price_minor": 1000, "quantity": 1, "unit": "hour", "tax_minor": 0,
                                         "tax_percent": 0, "tax_inclusive": False, "position": 1}
                                        for k in range(N_PROJECTS // 2)])
        l0 = s.query(InvoiceLine.id).order_by(InvoiceLine.id).first()[0]
        te0 = s.query(TimeEntry.id).order_by(TimeEntry.id).first()[0]
        s.execute(insert(BilledSource), [{"invoice_line_id": l0 + i // 2, "source_type": "time",
                                          "source_id": te0 + i * ENTRIES + j, "amount_minor": 1, "created_at": now}
                                         for i in range(0, N_PROJECTS, 2) for j in range(ENTRIES)])
        s.execute(insert(Lead), [{"name": f"Lead {i}", "email": f"l{i}@x.test", "status": "new", "source": "web",
                                  "owner_id": owner_id, "consent": False,
                                  "created_at": now - timedelta(days=i % 30)} for i in range(N_LEADS)])
        s.execute(insert(Deal), [{"title": f"Deal {i}", "stage_id": stages[i % len(stages)], "status": "open",
                                  "value_minor": 10000 * (i % 97 + 1), "currency": "EUR", "created_at": now,
                                  "updated_at": now, "stage_entered_at": now, "last_activity_at": now}
                                 for i in range(N_DEALS)])
        s.execute(insert(Invoice), [{"status": "sent", "kind": "invoice", "currency": "EUR",
                                     "account_id": acc0 + i % N_PROJECTS, "number": f"I-{i}",
                                     "public_token": secrets.token_hex(16),
                                     "issue_date": today - timedelta(days=i % 60),
                                     "due_date": today - timedelta(days=i % 60) + timedelta(days=30), "terms_days": 30,
                                     "total_minor": 50_000, "paid_minor": 0, "subtotal_minor": 50_000, "tax_minor": 0,
                                     "refunded": False, "disputed": False, "created_at": now}
                                    for i in range(N_INVOICES)])
        s.execute(insert(Payment), [{"amount_minor": 5000, "currency": "EUR", "method": "bank_transfer",
                                     "status": "succeeded", "received_on": today,
                                     "invoice_id": None if i < 50 else i0 + i % (N_PROJECTS // 2),
                                     "created_at": now, "updated_at": now} for i in range(N_PAYMENTS)])
        s.commit()
    if url.startswith("postgres"):
        with engine_for(url).connect() as conn:  # a live install has its statistics (autovacuum)
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    times = []
    for _ in range(5):
        with session_scope() as s:
            start = time.perf_counter()
            data = service.dashboard(s)
            times.append((time.perf_counter() - start) * 1000)
    f = data["figures"]
    print(f"dashboard on {url.split(':')[0]}: median {statistics.median(times):.0f} ms, best {min(times):.0f} ms "
          f"({N_PROJECTS} projects / {N_PROJECTS * ENTRIES} time entries, {N_LEADS} leads, {N_DEALS} deals, "
          f"{N_INVOICES} invoices, {N_PAYMENTS} payments)")
    print(f"  figures: unbilled {f['unbilled']} on {f['unbilled_count']} projects, overdue {f['overdue']} "
          f"({f['overdue_open']}), stale leads {f['stale_leads']}, open pipeline {f['open']}, "
          f"unmatched {f['unmatched']}")
    with session_scope() as s:
        start = time.perf_counter()
        service.unbilled_work(s)
        print(f"  unbilled work alone: {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
