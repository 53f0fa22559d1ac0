"""Rows a billing test needs, created directly (the delivery UI is built elsewhere)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import insert
from sqlmodel import Session

from l2c_app.core.models import Organisation, User
from l2c_app.pipeline.models import Account, Contact, Deal, PipelineStage
from l2c_app.projects.models import BudgetLine, ChangeOrder, Expense, Milestone, Project, Retainer, TimeEntry
from l2c_app.quotes.models import TaxRate

APPROVED = datetime(2026, 1, 1, tzinfo=UTC)


class World:
    def __init__(self, session: Session, **settings):
        self.s = session
        self.org = Organisation(name="Test Studio", currency="EUR", settings=dict(settings))
        self.user = User(name="Dana Dev", email=f"dana{secrets.token_hex(3)}@l2c.test", role="owner")
        session.add_all([self.org, self.user])
        self.account = Account(name="Client Ltd")
        session.add(self.account)
        session.flush()
        self.contact = Contact(account_id=self.account.id, name="Carl Client", email="carl@client.test")
        stage = PipelineStage(name="Won", kind="won")
        session.add_all([self.contact, stage])
        session.flush()
        self.deal = Deal(
            title="Website",
            account_id=self.account.id,
            contact_id=self.contact.id,
            stage_id=stage.id,
            value_minor=1_000_000,
        )
        session.add(self.deal)
        session.flush()
        self.vat = TaxRate(name="VAT 20", percent=Decimal("20"))
        self.vat_incl = TaxRate(name="VAT 20 incl.", percent=Decimal("20"), inclusive=True)
        session.add_all([self.vat, self.vat_incl])
        self.project = Project(name="Website build", deal_id=self.deal.id, account_id=self.account.id, currency="EUR")
        session.add(self.project)
        session.flush()
        self.dev = BudgetLine(project_id=self.project.id, role="Developer", rate_minor=9500, tax_rate_id=self.vat.id)
        self.design = BudgetLine(project_id=self.project.id, role="Designer", rate_minor=8000)
        session.add_all([self.dev, self.design])
        session.flush()

    def another_project(
        self, name: str, *, new_deal: bool = False, currency: str = "EUR", account: Account | None = None
    ) -> World:
        """A second project (same client unless `account`), with its own Developer and Designer
        lines at the same rates; returns a World whose helpers add rows to that project."""
        import copy

        other = copy.copy(self)
        deal_id = self.deal.id
        if new_deal or account is not None:
            other.deal = Deal(
                title=name,
                account_id=(account or self.account).id,
                contact_id=self.contact.id,
                stage_id=self.deal.stage_id,
                value_minor=500_000,
            )
            self.s.add(other.deal)
            self.s.flush()
            deal_id = other.deal.id
        other.project = Project(name=name, deal_id=deal_id, account_id=(account or self.account).id, currency=currency)
        self.s.add(other.project)
        self.s.flush()
        other.dev = BudgetLine(project_id=other.pid, role="Developer", rate_minor=9500, tax_rate_id=self.vat.id)
        other.design = BudgetLine(project_id=other.pid, role="Designer", rate_minor=8000)
        self.s.add_all([other.dev, other.design])
        self.s.flush()
        return other

    @property
    def pid(self) -> int:
        return self.project.id

    def time(
        self,
        minutes: int,
        day: date = date(2026, 3, 2),
        approved: bool = True,
        billable: bool = True,
        line: BudgetLine | None = None,
        rate: int | None = None,
    ) -> TimeEntry:
        line = line or self.dev
        te = TimeEntry(
            project_id=self.pid,
            budget_line_id=line.id,
            user_id=self.user.id,
            day=day,
            minutes=minutes,
            billable=billable,
            rate_minor=line.rate_minor if rate is None else rate,
            approved_at=APPROVED if approved else None,
        )
        self.s.add(te)
        self.s.flush()
        return te

    def bulk_time(self, n: int, minutes: int = 90, day: date = date(2026, 3, 2)) -> None:
        rows = [
            {
                "project_id": self.pid,
                "budget_line_id": (self.dev.id if i % 3 else self.design.id),
                "user_id": self.user.id,
                "day": day,
                "minutes": minutes + (i % 7),
                "billable": True,
                "rate_minor": 9500 if i % 3 else 8000,
                "approved_at": APPROVED,
                "created_at": APPROVED,
                "updated_at": APPROVED,
            }
            for i in range(n)
        ]
        self.s.execute(insert(TimeEntry), rows)
        self.s.flush()

    def milestone(
        self, amount: int, kind: str = "milestone", reached: bool = True, tax: TaxRate | None = None
    ) -> Milestone:
        m = Milestone(
            project_id=self.pid,
            kind=kind,
            name=f"{kind} {amount}",
            amount_minor=amount,
            status="reached" if reached else "planned",
            tax_rate_id=(tax or self.vat).id,
        )
        self.s.add(m)
        self.s.flush()
        return m

    def change_order(self, amount: int, status: str = "approved", tax: TaxRate | None = None) -> ChangeOrder:
        from l2c_app.core.lines import line_tax

        pct, incl = (Decimal(tax.percent), bool(tax.inclusive)) if tax else (Decimal(0), False)
        co = ChangeOrder(
            project_id=self.pid,
            description=f"Extra scope {amount}\nmore",
            amount_minor=amount,
            status=status,
            public_token=secrets.token_urlsafe(16),
            tax_rate_id=tax.id if tax else None,
            tax_percent=pct,
            tax_inclusive=incl,
            tax_minor=line_tax(amount, pct, incl),
        )
        self.s.add(co)
        self.s.flush()
        return co

    def expense(
        self,
        amount: int,
        billable: bool = True,
        day: date = date(2026, 3, 3),
        tax: TaxRate | None = None,
        markup: Decimal | str | None = None,
    ) -> Expense:
        e = Expense(
            project_id=self.pid,
            day=day,
            description="Train tickets",
            amount_minor=amount,
            billable=billable,
            tax_rate_id=tax.id if tax else None,
            markup_percent=Decimal(markup or 0),
        )
        self.s.add(e)
        self.s.flush()
        return e

    def retainer(
        self, amount: int, start: date = date(2026, 1, 1), months: int | None = None, tax: TaxRate | None = None
    ) -> Retainer:
        r = Retainer(
            project_id=self.pid,
            name="Support retainer",
            amount_minor=amount,
            start_date=start,
            months=months,
            tax_rate_id=tax.id if tax else None,
        )
        self.s.add(r)
        self.s.flush()
        return r
