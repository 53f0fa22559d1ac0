"""The leak ledger: each leak's money, age and action, hand-computed from a small world, on
SQLite and PostgreSQL; and the Insights thresholds (Settings > Insights) moving the counts."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session

from l2c_app.billing import service as billing
from l2c_app.contracts.models import Contract
from l2c_app.core.audit import SYSTEM
from l2c_app.core.timeutil import org_today, utcnow
from l2c_app.insights import ledger, service
from l2c_app.insights.settings import InsightsSettingsError, insights_settings, save_insights_settings, validate
from l2c_app.leads.models import Lead
from l2c_app.payments.models import Payment
from l2c_app.quotes.models import Quote
from tests.billing.factory import World


def _quote(s: Session, w: World, total: int, accepted_days_ago: int) -> Quote:
    q = Quote(
        deal_id=w.deal.id,
        status="accepted",
        title="Proposal",
        total_minor=total,
        currency="EUR",
        public_token=secrets.token_urlsafe(12),
        accepted_at=utcnow() - timedelta(days=accepted_days_ago),
    )
    s.add(q)
    s.flush()
    return q


@pytest.fixture
def leaky(session) -> dict:
    """One record per leak, each with a known amount and age (days before the organisation's today)."""
    s = session
    w = World(s)
    today = org_today(s)
    s.add(Lead(name="Nobody's", email="a@lead.test", status="qualified", created_at=utcnow() - timedelta(days=5)))
    s.add(
        Lead(
            name="Forgotten",
            email="b@lead.test",
            status="new",
            owner_id=w.user.id,
            created_at=utcnow() - timedelta(days=8),
        )
    )
    _quote(s, w, 120_000, accepted_days_ago=4)  # accepted, no contract
    signed_q = _quote(s, w, 80_000, accepted_days_ago=20)
    s.add(
        Contract(
            deal_id=w.deal.id,
            quote_id=signed_q.id,
            title="Signed",
            status="completed",
            completed_at=utcnow() - timedelta(days=6),
        )
    )  # signed, no project: worth its quote
    w.time(120, day=today - timedelta(days=12))  # 2 h x €95 = €190.00 not billed, 12 days old

    late = w.another_project("Late client")
    late.time(600, day=today - timedelta(days=50))  # 10 h x €95 = €950.00 + 20 % VAT = €1,140.00
    inv = billing.build_invoice(s, SYSTEM, late.pid, today)
    inv = billing.issue_invoice(s, SYSTEM, inv.id, issue_date=today - timedelta(days=40))  # net 30: due 10 days ago

    drafty = w.another_project("Drafty")
    drafty.change_order(10_000)  # no tax: a €100.00 draft
    draft = billing.build_invoice(s, SYSTEM, drafty.pid, today)
    draft.created_at = utcnow() - timedelta(days=9)
    s.add(draft)
    s.add(Payment(amount_minor=11_400, currency="EUR", method="bank_transfer", received_on=today - timedelta(days=3)))
    s.commit()
    return {"world": w, "invoice": inv, "draft": draft}


def by_key(s: Session) -> dict[str, dict]:
    return {r["key"]: r for r in ledger.leaks(s)}


def test_each_leak_has_its_money_age_and_action(session, leaky):
    got = by_key(session)
    inv = leaky["invoice"]
    assert inv.total_minor == 114_000
    expected = {
        "unowned_leads": (1, None, 5, "Assign owners", "/leads"),
        "stale_leads": (1, None, 8, "Follow up the leads", "/leads"),
        "quotes": (1, {"EUR": 120_000}, 4, "Make the contract", "/contracts"),
        "contracts": (1, {"EUR": 80_000}, 6, "Start the project", "/projects"),
        "unbilled": (1, {"EUR": 19_000}, 12, "Create the invoice", "/invoices"),
        "overdue": (1, {"EUR": 114_000}, 10, "Send reminder", f"/invoices/{inv.id}"),
        "drafts": (1, {"EUR": 10_000}, 9, "Issue the drafts", "/invoices"),
        "unmatched": (1, {"EUR": 11_400}, 3, "Match payments", "/payments"),
        "credit": (0, {}, None, "Apply or refund credit", "/payments"),
    }
    assert {k: (r["count"], r["money"], r["age_days"], r["action"], r["href"]) for k, r in got.items()} == expected

    shown = {r["key"]: r for r in ledger.display(list(got.values()), "EUR")}
    assert shown["contracts"]["money"] == "€800.00" and shown["contracts"]["age"] == "oldest 6 days"
    assert shown["overdue"]["money"] == "€1,140.00"
    assert shown["unowned_leads"]["money"] == ""  # a lead has no money
    assert shown["credit"]["age"] == ""  # nothing there: no age

    # The page reads the same ledger.
    page = service.dashboard(session)["ledger"]
    assert page["unbilled"] == {
        "key": "unbilled",
        "count": "1",
        "money": "€190.00",
        "age": "oldest 12 days",
        "action": "Create the invoice",
        "href": "/invoices",
    }


def test_fixing_a_leak_clears_its_money_and_age(session, leaky):
    s = session
    billing.record_manual_payment(s, SYSTEM, leaky["invoice"].id, amount_minor=114_000, method="bank_transfer")
    billing.issue_invoice(s, SYSTEM, leaky["draft"].id)
    s.commit()
    got = by_key(s)
    assert (got["overdue"]["count"], got["overdue"]["money"], got["overdue"]["age_days"]) == (0, {}, None)
    assert (got["drafts"]["count"], got["drafts"]["money"], got["drafts"]["age_days"]) == (0, {}, None)


def test_thresholds_change_the_counts(session, leaky):
    s = session
    # Grace days: the invoice due 10 days ago is overdue only while the grace is under 10 days.
    save_insights_settings(s, SYSTEM, {"insights_overdue_grace_days": "10"})
    s.commit()
    assert by_key(s)["overdue"]["count"] == 0
    assert service.dashboard(s)["figures"]["overdue"] == "0"
    save_insights_settings(s, SYSTEM, {"insights_overdue_grace_days": "9"})
    s.commit()
    assert by_key(s)["overdue"]["count"] == 1

    # Draft days: the 9-day-old draft is forgotten after 7 days (the default), not after 10.
    save_insights_settings(s, SYSTEM, {"insights_draft_days": 10})
    s.commit()
    assert by_key(s)["drafts"]["count"] == 0 and service.stale_drafts(s)["days"] == 10

    # Lead days: the 8-day-old lead is untouched after 3 days (the default), not after 9.
    save_insights_settings(s, SYSTEM, {"insights_lead_days": "9"})
    s.commit()
    assert by_key(s)["stale_leads"]["count"] == 0 and service.lead_gaps(s)["days"] == 9
    save_insights_settings(s, SYSTEM, {"insights_lead_days": ""})  # empty: back to the older rule (3)
    s.commit()
    assert service.lead_gaps(s)["days"] == 3 and by_key(s)["stale_leads"]["count"] == 1
    assert insights_settings(s)["insights_lead_days"] is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"insights_draft_days": "0"}, "insights_draft_days"),
        ({"insights_draft_days": "seven"}, "insights_draft_days"),
        ({"insights_lead_days": "1.5"}, "insights_lead_days"),
        ({"insights_overdue_grace_days": "-1"}, "insights_overdue_grace_days"),
        ({"insights_overdue_grace_days": "366"}, "insights_overdue_grace_days"),
        ({"something_else": 1}, "something_else"),
    ],
)
def test_thresholds_are_validated(values, field):
    with pytest.raises(InsightsSettingsError) as err:
        validate(values)
    assert err.value.field == field and err.value.kind == "invalid"


def test_valid_thresholds_are_stored_as_numbers():
    assert validate({"insights_draft_days": " 14 ", "insights_overdue_grace_days": "0", "insights_digest": False}) == {
        "insights_draft_days": 14,
        "insights_overdue_grace_days": 0,
        "insights_digest": False,
    }


def test_the_ledger_over_the_api(session, leaky):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_api_key

    _, secret = create_api_key(session, "reporting")
    session.commit()
    body = TestClient(build_api()).get("/api/v1/insights/leaks", headers={"Authorization": f"Bearer {secret}"}).json()
    got = {r["key"]: r for r in body["leaks"]}
    assert body["day"] == org_today(session).isoformat()
    assert got["contracts"] == {
        "key": "contracts",
        "title": "Signed contracts with no project",
        "count": 1,
        "money": [{"currency": "EUR", "amount_minor": 80_000}],
        "age_days": 6,
        "action": "Start the project",
        "href": "/projects",
    }
    assert got["unowned_leads"]["money"] is None and got["credit"]["age_days"] is None


def test_unbilled_age_counts_a_change_order_from_when_it_was_made(session, leaky):
    s = session
    co = leaky["world"].change_order(5_000)  # approved, no approval instant recorded
    co.created_at = utcnow() - timedelta(days=15)
    s.add(co)
    s.commit()
    got = by_key(s)["unbilled"]
    assert (got["money"], got["age_days"]) == ({"EUR": 19_000 + 5_000}, 15)
