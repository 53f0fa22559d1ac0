"""Journey: the owner opens Insights, sees a late invoice among the money leaks, and follows
its link to the invoice itself."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.billing import service as billing
from l2c_app.core.models import User
from l2c_app.pipeline.models import Account, Deal, PipelineStage
from l2c_app.projects.models import BudgetLine, ChangeOrder, Project, TimeEntry

SHOTS = "test-artifacts"


def a_late_invoice(app) -> tuple[int, str, str]:
    """What a forgotten client leaves behind: 5 approved hours at €100, invoiced 400 days ago on
    net-30 terms and never paid (the oldest late invoice of the install, so it is listed first)."""
    client = f"Northwind {secrets.token_hex(2)}"
    with app.session() as s:
        owner = s.exec(select(User).where(User.role == "owner")).first()
        account = Account(name=client)
        stage = PipelineStage(name="Won", kind="won", position=98)
        s.add_all([account, stage])
        s.flush()
        deal = Deal(title=f"{client} audit", account_id=account.id, stage_id=stage.id, status="won",
                    value_minor=50_000)
        s.add(deal)
        s.flush()
        project = Project(name=f"{client} audit", deal_id=deal.id, account_id=account.id, currency="EUR")
        s.add(project)
        s.flush()
        line = BudgetLine(project_id=project.id, role="Auditor", rate_minor=10_000)
        s.add(line)
        s.flush()
        s.add(TimeEntry(project_id=project.id, budget_line_id=line.id, user_id=owner.id, day=date.today(),
                        minutes=300, rate_minor=10_000, approved_at=datetime.now(UTC)))
        s.flush()
        inv = billing.build_invoice(s, project.id, date.today())
        inv = billing.issue_invoice(s, inv.id, issue_date=date.today() - timedelta(days=400))
        # Work approved since, not billed yet: the project shows under Unbilled work.
        s.add(ChangeOrder(project_id=project.id, description="Extra site visit", amount_minor=25_000,
                          status="approved", public_token=secrets.token_urlsafe(16)))
        s.commit()
        return inv.id, inv.number, client


def open_insights(page, app) -> None:
    page.goto(f"{app.base_url}/insights")
    expect(page.get_by_role("heading", name="Where money leaks")).to_be_visible()


@pytest.mark.browser
def test_a_late_invoice_shows_on_insights_and_opens(signed_in_page, app_server):
    page = signed_in_page
    invoice_id, number, client = a_late_invoice(app_server)
    open_insights(page, app_server)
    overdue = page.get_by_role("region", name="Overdue invoices")
    link = overdue.get_by_role("link", name=f"{number} · {client}")
    expect(link).to_be_visible()
    expect(overdue.get_by_text("€500.00 open · 370 days overdue")).to_be_visible()
    expect(overdue.get_by_text("the oldest is 370 days overdue", exact=False)).to_be_visible()
    unbilled = page.get_by_role("region", name="Unbilled work")
    expect(unbilled.get_by_role("link", name=f"{client} audit ({client})")).to_have_attribute(
        "href", re.compile(r"/projects/\d+$"))
    page.screenshot(path=f"{SHOTS}/insights.png", full_page=True)
    link.click()
    page.wait_for_url(re.compile(rf".*/invoices/{invoice_id}/?$"))
    expect(page.get_by_text(number).first).to_be_visible()
