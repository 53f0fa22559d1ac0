"""Insights: every leak figure counted from a small world, on SQLite and PostgreSQL.

Each test also makes the leak go away the way a person would (bill the work, pay the
invoice, match the payment ...) and checks the figure drops: a figure that never moves
would pass a test that only counts.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.billing.models import Invoice
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import SYSTEM
from l2c_app.core.models import User
from l2c_app.core.timeutil import utcnow
from l2c_app.insights import service
from l2c_app.leads.models import Lead
from l2c_app.payments.models import Payment, Refund
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import Activity, Deal, PipelineStage
from l2c_app.projects.models import Milestone, Project, ProjectQuote
from l2c_app.quotes.models import Quote
from tests.billing.factory import World

TODAY = date.today()


@pytest.fixture
def world(session) -> World:
    w = World(session)
    session.commit()
    return w


def _lead(s: Session, name: str, *, owner: User | None, status: str = "new", age_days: float = 0) -> Lead:
    lead = Lead(
        name=name,
        email=f"{secrets.token_hex(3)}@lead.test",
        status=status,
        owner_id=owner.id if owner else None,
        created_at=utcnow() - timedelta(days=age_days),
    )
    s.add(lead)
    s.flush()
    return lead


def _quote(s: Session, w: World, status: str = "accepted", total: int = 120_000, currency: str = "EUR") -> Quote:
    q = Quote(
        deal_id=w.deal.id,
        status=status,
        title="Proposal",
        total_minor=total,
        currency=currency,
        public_token=secrets.token_urlsafe(12),
        accepted_at=utcnow() if status == "accepted" else None,
    )
    s.add(q)
    s.flush()
    return q


def _contract(s: Session, w: World, quote: Quote | None, status: str) -> Contract:
    c = Contract(
        deal_id=w.deal.id,
        quote_id=quote.id if quote else None,
        title=f"Contract {status}",
        status=status,
        completed_at=utcnow() if status == "completed" else None,
    )
    s.add(c)
    s.flush()
    return c


def _issued(s: Session, w: World, issue_date: date, project_id: int | None = None) -> Invoice:
    inv = billing.build_invoice(s, SYSTEM, project_id or w.pid, TODAY)
    return billing.issue_invoice(s, SYSTEM, inv.id, issue_date=issue_date)


# --- 1. leads ---------------------------------------------------------------------------------


def test_leads_with_no_owner_and_untouched_new_leads(session, world):
    s, owner = session, world.user
    orphan = _lead(s, "Orphan", owner=None)
    _lead(s, "Closed orphan", owner=None, status="disqualified")  # closed: not a leak
    stale = _lead(s, "Forgotten", owner=owner, age_days=5)
    _lead(s, "Fresh", owner=owner, age_days=1)
    _lead(s, "Qualified long ago", owner=owner, status="qualified", age_days=10)
    worked = _lead(s, "Called yesterday", owner=owner, age_days=10)
    s.add(
        Activity(
            lead_id=worked.id, user_id=owner.id, kind="call", subject="Called", created_at=utcnow() - timedelta(days=1)
        )
    )
    noted = _lead(s, "Only a system note", owner=owner, age_days=10)
    s.add(Activity(lead_id=noted.id, kind="system", subject="Flagged as a duplicate"))
    s.commit()

    gaps = service.lead_gaps(s)
    assert gaps["days"] == 3  # no stale-days setting: 3
    assert gaps["unowned"] == 1 and [r["href"] for r in gaps["unowned_rows"]] == [f"/leads?lead={orphan.id}"]
    assert gaps["stale"] == 2
    assert {r["name"] for r in gaps["stale_rows"]} == {"Forgotten", "Only a system note"}
    assert gaps["stale_rows"][0]["days"] == 10  # oldest first

    # The pipeline's stale-days setting, once chosen, is the N.
    pipeline.set_stale_days(s, SYSTEM, 7)
    s.commit()
    gaps = service.lead_gaps(s)
    assert gaps["days"] == 7 and gaps["stale"] == 1

    # Assigning the orphan and qualifying the forgotten lead clear both leaks.
    orphan.owner_id = owner.id
    stale.status = "qualified"
    noted.status = "converted"
    s.add_all([orphan, stale, noted])
    s.commit()
    gaps = service.lead_gaps(s)
    assert (gaps["unowned"], gaps["stale"]) == (0, 0)


# --- 2. hand-offs -----------------------------------------------------------------------------


def test_accepted_quotes_without_contract_and_signed_contracts_without_project(session, world):
    s = session
    lonely = _quote(s, world, total=120_000)
    signed_q = _quote(s, world)
    _contract(s, world, signed_q, "sent")  # a live contract: handed off
    voided_q = _quote(s, world, total=30_000)
    _contract(s, world, voided_q, "voided")  # the only contract was voided: a leak again
    fed_q = _quote(s, world)
    s.add(ProjectQuote(project_id=world.pid, quote_id=fed_q.id))  # went straight to a project, no contract
    fed_signed_q = _quote(s, world)
    s.add(ProjectQuote(project_id=world.pid, quote_id=fed_signed_q.id))
    _quote(s, world, status="draft")
    _quote(s, world, status="declined")

    no_project = _contract(s, world, None, "completed")
    with_project = _contract(s, world, None, "completed")
    s.add(Project(name="From contract", deal_id=world.deal.id, contract_id=with_project.id))
    _contract(s, world, fed_signed_q, "completed")  # its quote already feeds a project
    _contract(s, world, None, "delivered")  # not signed yet
    s.commit()

    gaps = service.handoff_gaps(s)
    assert gaps["quotes"] == 2
    assert {r["id"] for r in gaps["quote_rows"]} == {lonely.id, voided_q.id}
    assert gaps["quotes_total"] == {"EUR": 150_000}
    assert gaps["quote_rows"][0]["href"].startswith("/quotes/")
    assert gaps["contracts"] == 1 and gaps["contract_rows"][0]["href"] == f"/contracts/{no_project.id}"

    # A contract for the lonely quote and a project for the signed contract close both gaps.
    _contract(s, world, lonely, "draft")
    s.add(Project(name="Started", deal_id=world.deal.id, contract_id=no_project.id))
    s.commit()
    gaps = service.handoff_gaps(s)
    assert gaps["quotes"] == 1 and gaps["contracts"] == 0


# --- 3. unbilled work -------------------------------------------------------------------------


def test_unbilled_work_is_billings_own_figure_and_stops_once_invoiced(session, world):
    s = session
    world.time(120)  # 2 h x €95 = €190.00
    world.time(60, approved=False)  # not approved: not billable yet (approval is required)
    world.time(60, billable=False)
    world.milestone(50_000)  # reached
    world.milestone(70_000, reached=False)  # planned: not yet
    world.change_order(30_000)
    world.change_order(99_000, status="sent")  # the client has not approved it
    world.time(60, day=TODAY + timedelta(days=3))  # future day: not up to today
    idle = Project(name="Nothing to bill", account_id=world.account.id)
    s.add(idle)
    s.commit()

    work = service.unbilled_work(s, TODAY)
    expected = 19_000 + 50_000 + 30_000
    assert billing.unbilled_total(s, world.pid, TODAY) == expected
    assert work["totals"] == {"EUR": expected} and work["count"] == 1
    assert work["projects"] == [
        {
            "id": world.pid,
            "name": "Website build",
            "client": "Client Ltd",
            "currency": "EUR",
            "amount_minor": expected,
            "href": f"/projects/{world.pid}",
        }
    ]

    # Invoicing the work removes it from the leak, even while the invoice is still a draft.
    inv = billing.build_invoice(s, SYSTEM, world.pid, TODAY)
    s.commit()
    assert service.unbilled_work(s, TODAY)["totals"] == {}

    # New work after the invoice counts again, alone.
    world.change_order(12_345)
    s.commit()
    assert service.unbilled_work(s, TODAY)["totals"] == {"EUR": 12_345}

    # Voiding the invoice releases its sources: they are unbilled again.
    billing.void_invoice(s, SYSTEM, inv.id, "wrong client")
    s.commit()
    assert service.unbilled_work(s, TODAY)["totals"] == {"EUR": expected + 12_345}


def test_unbilled_work_counts_due_retainer_months_and_expenses_across_projects(session, world):
    s = session
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    ret = world.retainer(40_000, start=last_month, months=12)  # due: last month and this one
    billing.ensure_retainer_periods(s, world.pid, TODAY)  # the monthly job makes the due months
    world.expense(2_500, day=TODAY)
    other = Project(name="Second site", account_id=world.account.id, currency="USD")
    s.add(other)
    s.flush()
    s.add(Milestone(project_id=other.id, kind="fixed", name="Setup fee", amount_minor=900_000))
    s.commit()

    work = service.unbilled_work(s, TODAY)
    assert ret.id and work["totals"] == {"EUR": 2 * 40_000 + 2_500, "USD": 900_000}
    assert [p["id"] for p in work["projects"]] == [other.id, world.pid]  # largest first
    assert service.unbilled_work(s, TODAY, limit=1)["projects"][0]["id"] == other.id
    assert service.unbilled_work(s, TODAY, limit=1)["count"] == 2


# --- 4. invoices ------------------------------------------------------------------------------


def test_overdue_invoices_until_paid(session, world):
    s = session
    world.time(600)  # 10 h x €95 = €950 (+ 20 % VAT)
    late = _issued(s, world, TODAY - timedelta(days=40))  # net 30: due 10 days ago
    world.milestone(10_000)
    current = _issued(s, world, TODAY)  # due in 30 days
    s.commit()
    assert late.status == "sent" and late.due_date == TODAY - timedelta(days=10)

    over = service.overdue_invoices(s, TODAY)
    assert over["count"] == 1 and over["open"] == {"EUR": late.total_minor} and over["oldest_days"] == 10
    assert over["rows"][0]["href"] == f"/invoices/{late.id}" and over["rows"][0]["number"] == late.number
    assert current.id not in {r["id"] for r in over["rows"]}

    billing.record_manual_payment(s, SYSTEM, late.id, amount_minor=50_000, method="bank_transfer")
    s.commit()
    over = service.overdue_invoices(s, TODAY)
    assert over["count"] == 1 and over["open"] == {"EUR": late.total_minor - 50_000}  # partially paid: still late

    billing.record_manual_payment(s, SYSTEM, late.id, amount_minor=late.total_minor - 50_000, method="bank_transfer")
    s.commit()
    s.refresh(late)
    assert late.status == "paid"
    over = service.overdue_invoices(s, TODAY)
    assert (over["count"], over["open"], over["oldest_days"], over["rows"]) == (0, {}, 0, [])


def test_drafts_never_issued(session, world):
    s = session
    world.time(60)
    old = billing.build_invoice(s, SYSTEM, world.pid, TODAY)
    old.created_at = utcnow() - timedelta(days=9)
    s.add(old)
    world.milestone(10_000)
    billing.build_invoice(s, SYSTEM, world.pid, TODAY)  # made today: not forgotten yet
    s.commit()

    drafts = service.stale_drafts(s)
    assert drafts["count"] == 1 and drafts["rows"][0]["href"] == f"/invoices/{old.id}"
    assert drafts["rows"][0]["days"] == 9 and drafts["totals"] == {"EUR": old.total_minor}

    billing.issue_invoice(s, SYSTEM, old.id)
    s.commit()
    assert service.stale_drafts(s)["count"] == 0


# --- 5. payments ------------------------------------------------------------------------------


def test_unmatched_payments_until_matched(session, world):
    s = session
    world.time(60)
    inv = _issued(s, world, TODAY)
    stray = Payment(amount_minor=11_400, currency="EUR", method="bank_transfer", received_on=TODAY)
    failed = Payment(amount_minor=5_000, currency="EUR", method="stripe", status="failed")
    s.add_all([stray, failed])
    s.commit()

    assert service.unmatched_payments(s) == {"count": 1, "totals": {"EUR": 11_400}, "href": "/payments"}
    billing.match_payment(s, SYSTEM, stray.id, inv.id)
    s.commit()
    assert service.unmatched_payments(s)["count"] == 0


# --- 6. the cycle this month ------------------------------------------------------------------


def test_cycle_figures(session, world):
    s = session
    early = PipelineStage(name="Qualified", position=1, probability=25, kind="open")
    late = PipelineStage(name="Proposal", position=2, probability=60, kind="open")
    lost = PipelineStage(name="Lost", position=9, probability=0, kind="lost")
    s.add_all([early, late, lost])
    s.flush()
    s.add_all(
        [
            Deal(title="A", stage_id=early.id, value_minor=100_001),  # 25 % -> 25,000.25
            Deal(title="B", stage_id=early.id, value_minor=200_001, probability=50),  # own 50 % -> 100,000.5
            Deal(title="C", stage_id=late.id, value_minor=50_000, currency="USD"),  # 60 % -> 30,000
            Deal(title="Lost", stage_id=lost.id, status="lost", value_minor=999_999),
            Deal(title="Won now", stage_id=world.deal.stage_id, status="won", value_minor=80_000, closed_at=utcnow()),
            Deal(
                title="Won long ago",
                stage_id=world.deal.stage_id,
                status="won",
                value_minor=70_000,
                closed_at=utcnow() - timedelta(days=70),
            ),
        ]
    )
    world.time(600)
    inv = _issued(s, world, TODAY)
    world.milestone(10_000)
    old = _issued(s, world, TODAY - timedelta(days=70))  # another month
    pay = billing.record_manual_payment(s, SYSTEM, inv.id, amount_minor=40_000, method="bank_transfer")
    billing.record_manual_payment(
        s,
        SYSTEM,
        old.id,
        amount_minor=5_000,
        method="check",
        received_on=TODAY - timedelta(days=70),
    )
    s.add(Payment(amount_minor=1_000, currency="USD", method="stripe", status="succeeded"))  # Stripe: no received_on
    s.add(Refund(payment_id=pay.id, amount_minor=2_000))
    s.commit()

    fig = service.cycle_figures(s)
    assert fig["open_count"] == 3
    assert fig["open"] == {"EUR": 300_002, "USD": 50_000}
    assert fig["weighted"] == {"EUR": 125_001, "USD": 30_000}  # 125,000.75 rounded once, half-up
    assert (fig["won_count"], fig["won"]) == (1, {"EUR": 80_000})
    assert fig["invoiced"] == {"EUR": inv.total_minor}
    assert fig["collected"] == {"EUR": 40_000 - 2_000, "USD": 1_000}

    # The board's own header figures agree with the headline for a one-currency column.
    cols = {c["name"]: c for c in pipeline.board(s)}
    assert cols["Proposal"]["weighted_text"] == "$300.00"


# --- the page's read model --------------------------------------------------------------------


def test_dashboard_strings_empty_install_and_with_leaks(session):
    empty = service.dashboard(session)
    f = empty["figures"]
    assert f["leaks"] == "0" and f["overdue"] == "0" and f["open"] == "€0.00" and f["unbilled"] == "€0.00"
    assert empty["overdue"] == [] and empty["unbilled"] == []

    w = World(session)
    w.time(600)
    inv = _issued(session, w, TODAY - timedelta(days=45))
    w.change_order(30_000)
    session.commit()
    data = service.dashboard(session)
    f = data["figures"]
    assert f["overdue"] == "1" and f["overdue_oldest"] == "15 days" and f["unbilled"] == "€300.00"
    assert data["overdue"] == [
        {
            "label": f"{inv.number} · Client Ltd",
            "href": f"/invoices/{inv.id}",
            "detail": "€1,140.00 open · 15 days overdue",
        }
    ]
    assert data["unbilled"][0]["href"] == f"/projects/{w.pid}"
    assert f["leaks"] == "2"


def test_money_text_groups_currencies():
    assert service.money_text({"USD": 500, "EUR": 12_345}) == "€123.45 + $5.00"
    assert service.money_text({}) == "-"
    assert service.money_text({"JPY": 1200}) == "¥1,200"


def test_month_starts_in_the_organisations_time_zone():
    first, start = service.month_bounds(date(2026, 3, 15), "Europe/Paris")
    assert first == date(2026, 3, 1) and start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
