"""A lease held in the database: one holder at a time, until it expires.

`acquire(session, name, holder, seconds)` is True for exactly one caller among all
processes and hosts sharing the database while the lease is live; the holder may renew
it; anyone may take it once it has expired (a holder that died frees it by timing out).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from l2c_app.core.models import JobLease
from l2c_app.core.timeutil import utcnow


def acquire(session: Session, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease `name` for `seconds`; commits, so the answer is final."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    taken = session.exec(
        update(JobLease)
        .where(col(JobLease.name) == name, or_(col(JobLease.expires_at) < now, col(JobLease.holder) == holder))
        .values(holder=holder, expires_at=expires, last_run_at=now)
    ).rowcount
    if taken:
        session.commit()
        return True
    if session.get(JobLease, name) is not None:
        session.rollback()
        return False  # someone else holds a live lease
    try:
        session.add(JobLease(name=name, holder=holder, expires_at=expires, last_run_at=now))
        session.commit()
        return True
    except IntegrityError:  # another process created it first
        session.rollback()
        return False


def release(session: Session, name: str, holder: str) -> None:
    session.exec(
        update(JobLease).where(col(JobLease.name) == name, col(JobLease.holder) == holder).values(expires_at=utcnow())
    )
    session.commit()
