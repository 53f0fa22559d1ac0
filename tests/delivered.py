"""What the delivery stage leaves behind, written straight to the database for the billing,
payments and insights journeys: a won client, its projects and their approved hours.

The journeys share one running app, so every name carries a random suffix and the won
stage is the board's own (`closing_stage`), never a new one per journey.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.core.models import User
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.pipeline.service import closing_stage
from l2c_app.projects.models import BudgetLine, Project, TimeEntry


@dataclass
class WonClient:
    name: str
    account: Account
    contact: Contact | None
    owner: User


def a_won_client(s: Session, prefix: str, contact: tuple[str, str] | None = None) -> WonClient:
    """A client account named `<prefix> <random>`, with a contact (name, e-mail) if given."""
    name = f"{prefix} {secrets.token_hex(2)}"
    owner = s.exec(select(User).where(User.role == "owner")).first()
    account = Account(name=name)
    s.add(account)
    s.flush()
    person = None
    if contact:
        person = Contact(account_id=account.id, name=contact[0], email=contact[1])
        s.add(person)
        s.flush()
    return WonClient(name, account, person, owner)


def a_delivered_project(
    s: Session,
    client: WonClient,
    name: str,
    *,
    role: str,
    rate_minor: int,
    entries: int,
    minutes: int = 60,
    deal_value_minor: int = 500_000,
) -> Project:
    """A won deal and its project with `entries` approved entries of `minutes` on one budget
    line, on the days before today (one entry a day)."""
    deal = Deal(
        title=name,
        account_id=client.account.id,
        contact_id=client.contact.id if client.contact else None,
        stage_id=closing_stage(s, "won").id,
        status="won",
        value_minor=deal_value_minor,
    )
    s.add(deal)
    s.flush()
    project = Project(name=name, deal_id=deal.id, account_id=client.account.id, currency="EUR")
    s.add(project)
    s.flush()
    line = BudgetLine(project_id=project.id, role=role, rate_minor=rate_minor)
    s.add(line)
    s.flush()
    approved = datetime.now(UTC)
    for i in range(entries):
        s.add(
            TimeEntry(
                project_id=project.id,
                budget_line_id=line.id,
                user_id=client.owner.id,
                day=date.today() - timedelta(days=i + 1),
                minutes=minutes,
                rate_minor=rate_minor,
                approved_at=approved,
            )
        )
    s.flush()
    return project
