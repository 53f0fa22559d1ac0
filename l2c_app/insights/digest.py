"""The daily leak digest: one e-mail per owner and admin, once per organisation day.

`digest_content` is the plain rule (the leak ledger in, subject and body out, or None when
nothing leaks). `send_digest` is the job (`l2c_app.jobs`): it writes the messages through
the mailer port in the job's transaction (an Outbox row each; with SMTP the outbox worker
delivers them after commit). Idempotent: each message is marked with the organisation's day
(`related_entity="insights_digest"`, `related_id=YYYYMMDD`), and a person who already has
that day's digest gets nothing more. Switched off on Settings > Insights.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.mailer import send_mail
from l2c_app.core.models import OutboxMessage, User
from l2c_app.core.timeutil import org_today
from l2c_app.insights import ledger
from l2c_app.insights.settings import insights_settings

RECIPIENT_ROLES = ("owner", "admin")
RELATED = "insights_digest"


def day_key(day: date) -> int:
    """The organisation day as the digest's marker: 2026-12-03 -> 20261203."""
    return day.year * 10_000 + day.month * 100 + day.day


def digest_content(
    rows: list[dict[str, Any]], day: date, base_url: str, currency: str = "EUR", org_name: str = ""
) -> tuple[str, str] | None:
    """Subject and body of the digest for the ledger `rows` (insights.ledger.leaks), or None
    when no leak has a record. One line per leak: count, money, oldest age, the action and its
    link; then the Insights page's link."""
    shown = [(r, d) for r, d in zip(rows, ledger.display(rows, currency), strict=True) if r["count"] > 0]
    if not shown:
        return None
    total = sum(r["count"] for r, _ in shown)
    who = f"{org_name}: " if org_name else ""
    subject = f"{who}{total} money leak{'s' if total != 1 else ''} to look at ({day.isoformat()})"
    lines = [f"Where money leaks on {day.isoformat()}:", ""]
    for r, d in shown:
        facts = [d["count"]] + [x for x in (d["money"], d["age"]) if x]
        lines.append(f"- {r['title']}: {', '.join(facts)}")
        lines.append(f"  {d['action']}: {base_url}{d['href']}")
    lines += [
        "",
        f"All figures: {base_url}/insights",
        "You get this e-mail as an owner or admin; Settings > Insights switches it off.",
    ]
    return subject, "\n".join(lines)


def recipients(session: Session) -> list[User]:
    return list(
        session.execute(
            select(User).where(User.is_active.is_(True), User.role.in_(RECIPIENT_ROLES)).order_by(User.id)
        ).scalars()
    )


def send_digest(session: Session, today: date | None = None) -> int:
    """Write today's digest for every owner and admin who has not had it yet; returns how many
    were written (0 when switched off, when nothing leaks, or when everyone already has it)."""
    from l2c_app.outbox.service import begin_write

    if not insights_settings(session)["insights_digest"]:
        return 0
    begin_write(session)  # SQLite: the write lock first, so two runs cannot both find nobody served
    today = today or org_today(session)
    done = {
        e.lower()
        for e in session.execute(
            select(func.lower(OutboxMessage.to)).where(
                OutboxMessage.related_entity == RELATED, OutboxMessage.related_id == day_key(today)
            )
        ).scalars()
    }
    pending = [u for u in recipients(session) if u.email.lower() not in done]
    if not pending:  # everyone has today's digest: the ledger is not even read (the job runs hourly)
        return 0
    org = get_organisation(session)
    base_url = get_settings().app_base_url
    content = digest_content(
        ledger.leaks(session, today), today, base_url, org.currency if org else "EUR", org.name if org else ""
    )
    if content is None:
        return 0
    subject, body = content
    for user in pending:
        send_mail(
            session,
            to=user.email,
            subject=subject,
            body=body,
            link=f"{base_url}/insights",
            related=(RELATED, day_key(today)),
        )
    return len(pending)
