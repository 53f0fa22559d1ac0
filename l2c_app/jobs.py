"""Scheduled jobs: what must happen even when nobody clicks.

- invoice reminders before and after the due date (once each),
- monthly retainer invoices (once per month and project),
- re-poll of DocuSign envelopes with no Connect event for 24 h (a lost webhook heals);
  each envelope at most once per 15 minutes (DocuSign's polling limit, recorded in
  provider_state so `--every` under 900 s or several hosts cannot break it), each in its
  own savepoint so one failing envelope does not undo the others,
- Stripe sync: events (our types, from a stored `created` cursor, every page) and
  completed checkout sessions the webhooks missed.

Every job is idempotent, so running them twice, or from two hosts, changes nothing the
second time. `l2c serve` runs them every hour in a side process (turn off with
`--no-jobs` on all but one host); `l2c jobs run` runs them once (for cron).
Each job has its own transaction: one failing job never stops the others.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from datetime import date

from sqlmodel import Session

from l2c_app.core.config import get_settings
from l2c_app.core.db import with_session

log = logging.getLogger("l2c.jobs")


def _reminders(session: Session) -> str:
    from l2c_app.billing.sending import send_reminders

    return f"{send_reminders(session, date.today())} reminder(s) written"


def _retainers(session: Session) -> str:
    from l2c_app.billing.sending import generate_retainer_invoices

    return f"{len(generate_retainer_invoices(session, date.today()))} retainer invoice(s) drafted"


def _docusign_repoll(session: Session) -> str:
    if not get_settings().docusign_enabled:
        return "DocuSign not configured: skipped"
    from l2c_app.contracts.service import repoll_all

    return f"{len(repoll_all(session, 24))} stalled envelope(s) re-polled"


def _stripe_sync(session: Session) -> str:
    if not get_settings().stripe_enabled:
        return "Stripe not configured: skipped"
    from l2c_app.payments.webhooks import stripe_sync

    return ", ".join(f"{k} {v}" for k, v in stripe_sync(session).items()) or "nothing to apply"


JOBS: dict[str, Callable[[Session], str]] = {
    "invoice reminders": _reminders,
    "retainer invoices": _retainers,
    "docusign re-poll": _docusign_repoll,
    "stripe sync": _stripe_sync,
}


def run_jobs() -> dict[str, str]:
    """Run every job once; returns what each did (or its error)."""
    results: dict[str, str] = {}
    for name, job in JOBS.items():
        try:
            results[name] = with_session(job)
        except Exception as exc:  # one broken job must not stop the others; it is reported
            log.error("job %s failed: %s", name, traceback.format_exc())
            results[name] = f"failed: {exc}"
    return results


def run_forever(every_seconds: int = 3600) -> None:  # pragma: no cover - loops until killed
    while True:
        for name, outcome in run_jobs().items():
            print(f"l2c jobs: {name}: {outcome}", flush=True)
        time.sleep(every_seconds)
