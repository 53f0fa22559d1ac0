"""Every "today" of l2c is the organisation's date, not the server's (nor UTC's).

Two organisations stand at instants where their date differs from UTC's:
- Pacific/Kiritimati (UTC+14) at 2026-03-10 11:00 UTC: already 2026-03-11 there;
- Pacific/Honolulu (UTC-10) at 2026-03-10 08:00 UTC: still 2026-03-09 there.
The clock is `core.timeutil.clock` (monkeypatched); every figure below would come out
one day off if any path read the UTC (or server) date instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from l2c_app.core import timeutil
from l2c_app.core.audit import SYSTEM
from tests.conftest import run_async

ZONES = {
    "kiritimati": ("Pacific/Kiritimati", datetime(2026, 3, 10, 11, 0, tzinfo=UTC), date(2026, 3, 11)),
    "honolulu": ("Pacific/Honolulu", datetime(2026, 3, 10, 8, 0, tzinfo=UTC), date(2026, 3, 9)),
}


@pytest.fixture(params=list(ZONES))
def org_at(request, session, monkeypatch):
    """A billing world whose organisation is in the zone, with the clock at the instant."""
    from tests.billing.factory import World

    tz, instant, local_day = ZONES[request.param]
    assert instant.date() != local_day  # the point of the test: UTC says another day
    monkeypatch.setattr(timeutil, "clock", lambda: instant)
    w = World(session)
    w.org.timezone = tz
    session.add(w.org)
    session.commit()
    assert timeutil.org_today(session) == local_day
    return w, local_day


def _issue(session, w, *, due: date, amount: int = 10_000, project=None):
    """An issued invoice of one reached milestone, due on `due` (issued `terms_days` before)."""
    from l2c_app.billing import service as billing

    target = project or w
    target.milestone(amount)
    inv = billing.build_invoice(session, SYSTEM, target.pid, due)
    return billing.issue_invoice(session, SYSTEM, inv.id, issue_date=due - timedelta(days=inv.terms_days))


def test_invoice_up_to_defaults_to_the_organisations_today(org_at, session):
    from l2c_app.billing import service as billing
    from l2c_app.billing.views import project_panel_data

    w, today = org_at
    w.time(60, day=today)  # logged on the organisation's today
    w.time(30, day=today + timedelta(days=1))  # its tomorrow: not billable yet
    session.commit()
    assert billing.unbilled_total(session, w.pid) == 9500  # 1 h x 95.00, tomorrow's 30 min left out
    cands = billing.unbilled_candidates(session, w.pid, timeutil.org_today(session))
    assert sum(c.amount_minor for c in cands) == 9500
    assert project_panel_data(session, w.pid)["unbilled"].replace("\u00a0", "").endswith("95.00")


def test_the_billing_api_defaults_up_to_the_organisations_today(org_at, session, db_url):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_api_key

    w, today = org_at
    w.time(60, day=today)
    w.time(30, day=today + timedelta(days=1))
    _, key = create_api_key(session, "k")
    session.commit()
    client = TestClient(build_api())
    r = client.post(f"/api/v1/projects/{w.pid}/invoices", json={}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code in (200, 201), r.text
    body = r.json()
    assert body["subtotal_minor"] == 9500, body


def test_issue_and_due_dates_and_payment_dates_are_the_organisations(org_at, session):
    from l2c_app.billing import service as billing
    from l2c_app.core.audit import SYSTEM

    w, today = org_at
    w.milestone(10_000)
    inv = billing.build_invoice(session, SYSTEM, w.pid, today)
    inv = billing.issue_invoice(session, SYSTEM, inv.id)
    assert inv.issue_date == today
    assert inv.due_date == today + timedelta(days=inv.terms_days)
    pay = billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=1000, method="bank_transfer")
    assert pay.received_on == today  # the payment form's default date


def test_the_payment_form_proposes_the_organisations_today(org_at, session, monkeypatch):
    """The invoice page's "Received on" field defaults to InvoiceState.pay_day."""

    import l2c_app.l2c_app  # noqa: F401  (registers every state)
    from l2c_app.billing import service as billing
    from l2c_app.billing import state as billing_state

    w, today = org_at
    w.milestone(10_000)
    inv = billing.issue_invoice(session, SYSTEM, billing.build_invoice(session, SYSTEM, w.pid, today).id)
    session.commit()
    monkeypatch.setattr(billing_state, "route_id", lambda _state, _name: inv.id)
    st = billing_state.InvoiceState(_reflex_internal_init=True)
    run_async(billing_state.InvoiceState._reload(st))
    assert st.invoice and st.pay_day == today.isoformat()


def test_reminders_job_counts_days_from_the_organisations_today(org_at, session):
    from l2c_app import jobs
    from l2c_app.core.models import AuditLog

    w, today = org_at
    w.contact.email = "carl@client.test"
    due_in_3 = _issue(session, w, due=today + timedelta(days=3))  # 3 days before: reminded
    other = w.another_project("Other")
    due_in_4 = _issue(session, w, due=today + timedelta(days=4), project=other)  # 4 days: not yet
    session.commit()
    assert jobs._reminders(session) == "1 reminder(s) written"
    reminded = {r.entity_id for r in session.exec(select(AuditLog).where(AuditLog.action == "reminder"))}
    assert reminded == {due_in_3.id}
    assert due_in_4.id not in reminded


def test_overdue_is_past_the_organisations_today(org_at, session):
    from l2c_app.insights.service import overdue_invoices

    w, today = org_at
    late = _issue(session, w, due=today - timedelta(days=1))
    other = w.another_project("Other")
    _issue(session, w, due=today, project=other)  # due today: not overdue yet
    session.commit()
    got = overdue_invoices(session)
    assert got["count"] == 1, got
    assert late.number in str(got)


def test_retainer_periods_start_on_the_organisations_today(org_at, session):
    from l2c_app import jobs
    from l2c_app.billing.models import Invoice

    w, today = org_at
    w.retainer(10_000, start=today)  # its first month is due today
    tomorrow = w.another_project("Starts tomorrow")
    tomorrow.retainer(20_000, start=today + timedelta(days=1))  # not due yet
    session.commit()
    assert jobs._retainers(session) == "1 retainer invoice(s) drafted"
    made = session.exec(select(Invoice)).all()
    assert [(i.project_id, i.subtotal_minor, i.issue_date) for i in made] == [(w.pid, 10_000, today)]


def test_insights_use_the_organisations_today(org_at, session):
    from l2c_app.insights.service import dashboard, unbilled_work

    w, today = org_at
    w.time(60, day=today)
    w.time(30, day=today + timedelta(days=1))
    session.commit()
    work = unbilled_work(session)
    assert work["up_to"] == today
    assert work["totals"] == {"EUR": 9500}
    assert dashboard(session) is not None


def test_a_milestone_is_reached_on_the_organisations_today(org_at, session):
    from l2c_app.core.audit import SYSTEM
    from l2c_app.projects import service as projects

    w, today = org_at
    m = w.milestone(5000, reached=False)
    session.commit()
    assert projects.mark_milestone_reached(session, SYSTEM, m.id).reached_on == today


# --- the guard ------------------------------------------------------------------------------


def test_no_server_date_in_application_code():
    """`date.today()` is the server's zone: application code asks `org_today(session)`."""
    root = Path(__file__).resolve().parents[1] / "l2c_app"
    offenders = [
        f"{p.relative_to(root.parent)}:{n}"
        for p in root.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\b(date|datetime)\.today\(", line)
    ]
    assert offenders == [], f"use core.timeutil.org_today(session) instead of the server's date: {offenders}"
