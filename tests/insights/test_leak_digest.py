"""The daily leak digest: its content (a plain function), who gets it, the Outbox row, and that a
second run the same organisation day sends nothing more (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from l2c_app import jobs
from l2c_app.core.audit import SYSTEM
from l2c_app.core.config import get_settings
from l2c_app.core.models import OutboxMessage, User
from l2c_app.core.timeutil import org_today
from l2c_app.insights import digest
from l2c_app.insights.settings import save_insights_settings
from l2c_app.payments.models import Payment
from tests.billing.factory import World

DAY = date(2026, 12, 3)


def row(key, title, count, money, age, action, href, unit="x"):
    return {
        "key": key,
        "title": title,
        "count": count,
        "money": money,
        "age_days": age,
        "action": action,
        "href": href,
        "unit": unit,
    }


def test_digest_content_lists_each_leak_with_money_age_and_link():
    rows = [
        row("unowned_leads", "Leads with no owner", 2, None, 5, "Assign owners", "/leads"),
        row("overdue", "Overdue invoices", 1, {"EUR": 114_000}, 10, "Send reminder", "/invoices/7"),
        row("drafts", "Drafts never issued", 0, {}, None, "Issue the drafts", "/invoices"),
        row("unbilled", "Unbilled work", 3, {"EUR": 19_000, "USD": 500}, 1, "Create the invoice", "/invoices"),
    ]
    subject, body = digest.digest_content(rows, DAY, "https://l2c.example", "EUR", "Test Studio")
    assert subject == "Test Studio: 6 money leaks to look at (2026-12-03)"
    assert body.splitlines() == [
        "Where money leaks on 2026-12-03:",
        "",
        "- Leads with no owner: 2, oldest 5 days",
        "  Assign owners: https://l2c.example/leads",
        "- Overdue invoices: 1, €1,140.00, oldest 10 days",
        "  Send reminder: https://l2c.example/invoices/7",
        "- Unbilled work: 3, €190.00 + $5.00, oldest 1 day",
        "  Create the invoice: https://l2c.example/invoices",
        "",
        "All figures: https://l2c.example/insights",
        "You get this e-mail as an owner or admin; Settings > Insights switches it off.",
    ]
    assert "Drafts" not in body  # a leak with nothing in it is left out


def test_no_leaks_no_digest():
    rows = [row("overdue", "Overdue invoices", 0, {}, None, "Send reminder", "/invoices")]
    assert digest.digest_content(rows, DAY, "https://l2c.example") is None


def _people(s: Session, w: World) -> dict[str, User]:
    people = {
        "owner": w.user,
        "admin": User(name="Ada Admin", email="ada@l2c.test", role="admin"),
        "sales": User(name="Sam Sales", email="sam@l2c.test", role="sales"),
        "billing": User(name="Bill Billing", email="bill@l2c.test", role="billing"),
        "gone": User(name="Old Admin", email="old@l2c.test", role="admin", is_active=False),
    }
    s.add_all(people.values())
    s.flush()
    return people


def _digests(s: Session) -> list[OutboxMessage]:
    return list(
        s.exec(select(OutboxMessage).where(OutboxMessage.related_entity == digest.RELATED).order_by(OutboxMessage.id))
    )


def test_owners_and_admins_get_one_digest_a_day(session):
    s = session
    w = World(s)
    people = _people(s, w)
    today = org_today(s)
    s.add(Payment(amount_minor=11_400, currency="EUR", method="bank_transfer", received_on=today))
    s.commit()

    assert digest.send_digest(s) == 2
    s.commit()
    rows = _digests(s)
    assert [m.to for m in rows] == [people["owner"].email, "ada@l2c.test"]  # not sales, billing, nor inactive
    m = rows[0]
    assert m.related_id == digest.day_key(today) and m.subject.endswith(f"1 money leak to look at ({today})")
    assert "- Unmatched payments: 1, €114.00, oldest 0 days" in m.body
    assert f"  Match payments: {get_settings().app_base_url}/payments" in m.body
    assert m.link == f"{get_settings().app_base_url}/insights" and m.status == "outbox"  # no SMTP here

    # The same day again (the job runs every hour): nothing more.
    assert digest.send_digest(s) == 0
    assert jobs.JOBS["leak digest"](s) == "0 leak digest e-mail(s) written"
    s.commit()
    assert len(_digests(s)) == 2

    # An admin added later that day gets theirs; the others still nothing.
    s.add(User(name="New Admin", email="new@l2c.test", role="admin"))
    s.commit()
    assert digest.send_digest(s) == 1
    s.commit()

    # The next organisation day: a new digest for each.
    assert digest.send_digest(s, today + timedelta(days=1)) == 3
    s.commit()
    assert len(_digests(s)) == 6


def test_digest_switched_off_or_nothing_leaking_sends_nothing(session):
    s = session
    w = World(s)
    _people(s, w)
    s.commit()
    assert digest.send_digest(s) == 0  # a clean install: no leaks, no e-mail
    s.add(Payment(amount_minor=500, currency="EUR", method="bank_transfer", received_on=org_today(s)))
    save_insights_settings(s, SYSTEM, {"insights_digest": False})
    s.commit()
    assert digest.send_digest(s) == 0  # switched off
    save_insights_settings(s, SYSTEM, {"insights_digest": True})
    s.commit()
    assert digest.send_digest(s) == 2
    s.commit()
    assert len(_digests(s)) == 2


def test_the_digest_day_is_the_organisations_day(session, monkeypatch):
    from datetime import UTC, datetime

    from l2c_app.core import timeutil

    s = session
    w = World(s)
    w.org.timezone = "Pacific/Kiritimati"  # UTC+14: at 11:00 UTC on the 3rd it is already the 4th there
    s.add(w.org)
    s.add(Payment(amount_minor=500, currency="EUR", method="bank_transfer", received_on=date(2026, 12, 1)))
    s.commit()
    monkeypatch.setattr(timeutil, "clock", lambda: datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    assert digest.send_digest(s) == 1
    s.commit()
    assert [m.related_id for m in _digests(s)] == [20261204]
    # Three hours later it is still the 4th in Kiritimati: nothing more.
    monkeypatch.setattr(timeutil, "clock", lambda: datetime(2026, 12, 3, 14, 0, tzinfo=UTC))
    assert digest.send_digest(s) == 0
