"""Scheduled jobs: what must happen even when nobody clicks.

- invoice reminders before and after the due date (once each),
- monthly retainer invoices (once per month and project),
- re-poll of DocuSign envelopes with no Connect event for 24 h (a lost webhook heals);
  each envelope at most once per 15 minutes (DocuSign's polling limit, recorded in
  provider_state so `--every` under 900 s or several hosts cannot break it), each in its
  own savepoint so one failing envelope does not undo the others,
- an outbox sweep (what the worker of `l2c serve` does within a second of each commit; here
  for `l2c jobs run` from cron, and for effects written by the jobs above),
- Stripe sync: events (our types incl. payouts, from a stored `created` cursor, every page)
  and completed checkout sessions the webhooks missed; then Stripe fees: each succeeded
  Stripe payment still without its fee and net reads them from its balance transaction
  (its own job: the Stripe calls happen with no write transaction open),
- accounting sync: what changed in the ledger pushed to QuickBooks (accounting/sync/engine.py's
  `sync_pending`, the round an `accounting.sync` outbox effect also runs after each money
  event's commit; its own short sessions, no transaction open during the HTTP calls).
- the accounting journal: entries for whatever money changed since (accounting/journal.py).
- the daily leak digest to owners and admins (insights/digest.py), once per organisation day.

Every job is idempotent, so running them twice changes nothing the second time. And
they run once anyway: `l2c serve` runs them every hour in a side process on every
host, and a round runs only where the database lease `jobs` is held (core/lease.py),
so several hosts need no `--no-jobs`. `l2c jobs run` runs them once (for cron).
Each job has its own transaction: one failing job never stops the others; each run
writes one log line (core/logs).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable

from sqlmodel import Session

from l2c_app.core.db import with_session
from l2c_app.core.logs import configure, event
from l2c_app.core.timeutil import org_today
from l2c_app.ports import payments, signatures

log = logging.getLogger("l2c.jobs")


def _reminders(session: Session) -> str:
    from l2c_app.billing.sending import send_reminders

    return f"{send_reminders(session, org_today(session))} reminder(s) written"


def _retainers(session: Session) -> str:
    from l2c_app.billing.sending import generate_retainer_invoices

    return f"{len(generate_retainer_invoices(session, org_today(session)))} retainer invoice(s) drafted"


def _docusign_repoll(session: Session) -> str:
    if not signatures.available(signatures.DOCUSIGN):  # the built-in signer has no envelopes to poll
        return "DocuSign not configured: skipped"
    from l2c_app.contracts.service import repoll_all

    return f"{len(repoll_all(session, 24))} stalled envelope(s) re-polled"


def _stripe_sync(session: Session) -> str:
    if not payments.gateway().is_external:  # manual payments: no processor to read events from
        return "Stripe not configured: skipped"
    from l2c_app.payments.webhooks import stripe_sync

    return ", ".join(f"{k} {v}" for k, v in stripe_sync(session).items()) or "nothing to apply"


def _stripe_fees(session: Session) -> str:
    if not payments.gateway().is_external:
        return "Stripe not configured: skipped"
    from l2c_app.payments.fees import heal_fees

    return f"{heal_fees(session)} payment fee(s) recorded"


def _outbox_sweep(session: Session) -> str:
    """For `l2c jobs run` from cron without a server: what the server's outbox worker does."""
    from l2c_app.outbox.worker import deliver_outbox

    session.commit()  # no transaction of ours stays open while the effects go out
    return f"{deliver_outbox()} outbox delivery attempt(s)"


def _accounting_sync(session: Session) -> str:
    from l2c_app.accounting.sync.engine import sync_pending

    session.close()  # the pump opens its own short sessions; nothing is held during HTTP
    return f"{sync_pending()} accounting record(s) pushed"


def _leak_digest(session: Session) -> str:
    from l2c_app.insights.digest import send_digest

    return f"{send_digest(session)} leak digest e-mail(s) written"


def _journal(session: Session) -> str:
    from l2c_app.accounting.journal import post_pending

    return f"{post_pending(session)} journal entr(ies) posted"


JOBS: dict[str, Callable[[Session], str]] = {
    "invoice reminders": _reminders,
    "retainer invoices": _retainers,
    "leak digest": _leak_digest,  # once per organisation day; before the sweep that sends it
    "docusign re-poll": _docusign_repoll,
    "stripe sync": _stripe_sync,
    "stripe fees": _stripe_fees,
    "outbox sweep": _outbox_sweep,
    "accounting sync": _accounting_sync,
    "accounting journal": _journal,  # last: it posts what the jobs above changed
}


def run_jobs() -> dict[str, str]:
    """Run every job once; returns what each did (or its error)."""
    results: dict[str, str] = {}
    for name, job in JOBS.items():
        start = time.perf_counter()
        try:
            results[name] = with_session(job)
        except Exception as exc:  # one broken job must not stop the others; it is reported
            log.error("job %s failed: %s", name, traceback.format_exc())
            results[name] = f"failed: {exc}"
        event(
            "l2c.jobs",
            logging.ERROR if results[name].startswith("failed") else logging.INFO,
            job=name,
            outcome=results[name],
            ms=round((time.perf_counter() - start) * 1000, 1),
        )
    return results


HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def run_round_if_leader(every_seconds: int, holder: str = HOLDER) -> dict[str, str] | None:
    """One scheduled round, only if this process holds the `jobs` lease (else None).

    The lease lasts a little less than the period, so the next round's holder can be
    anyone; a holder that dies frees it by expiry.
    """
    from l2c_app.core.lease import acquire

    if not with_session(acquire, "jobs", holder, max(1, every_seconds - 5) if every_seconds > 10 else every_seconds):
        event("l2c.jobs", round="skipped", reason="another process holds the jobs lease", holder=holder)
        return None
    return run_jobs()


def run_forever(every_seconds: int = 3600) -> None:  # pragma: no cover - loops until killed
    configure()
    while True:
        try:
            run_round_if_leader(every_seconds)
        except Exception:  # the database may be down for a moment; try again next round
            log.error("job round failed: %s", traceback.format_exc())
        time.sleep(every_seconds)
