"""One invoice across several projects of one client: built per project with the same
set-based steps, lines grouped and tagged with their project, billed once, released on
void or credit, and every reader (panels, page, PDF, API, timeline) copes with it."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from l2c_app.billing import service as billing
from l2c_app.billing import views
from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.billing.pdf import render_invoice_pdf
from l2c_app.core.audit import SYSTEM
from l2c_app.core.auth import create_api_key
from l2c_app.core.tax import line_tax
from l2c_app.payments.models import Payment
from l2c_app.pipeline.models import Account, Activity
from l2c_app.projects.models import TimeEntry
from tests.billing.factory import APPROVED, World
from tests.conftest import examples_for

UP_TO = date(2026, 3, 31)


def no_role_time(w: World, minutes: int, rate: int = 9500) -> TimeEntry:
    """Time on no budget line: its candidate key ("time:bl:0:<rate>") repeats across projects."""
    te = TimeEntry(
        project_id=w.pid,
        budget_line_id=None,
        user_id=w.user.id,
        day=date(2026, 3, 5),
        minutes=minutes,
        billable=True,
        rate_minor=rate,
        approved_at=APPROVED,
    )
    w.s.add(te)
    w.s.flush()
    return te


@pytest.fixture
def two(world, session):
    """The client's website (deal 1) and a mobile app sold on a second deal."""
    app = world.another_project("Mobile app", new_deal=True)
    session.commit()
    return world, app


def test_one_invoice_bills_both_projects_grouped_by_project(two, session):
    web, app = two
    web.time(90)  # 142.50 + 20 % tax
    web.milestone(30000)  # 300.00 + 20 % tax
    app.time(60, line=app.design)  # 80.00
    app.change_order(12345)
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    lines = billing.lines_of(session, inv.id)
    # grouped: the projects by name ("Mobile app" first), each project's lines together
    assert [ln.project_id for ln in lines] == [app.pid, app.pid, web.pid, web.pid]
    assert [ln.position for ln in lines] == [1, 2, 3, 4]
    assert billing.line_sections(session, inv, lines) == ["Mobile app", "", "Website build", ""]
    assert inv.project_id is None and inv.deal_id is None  # two deals
    assert inv.account_id == web.account.id and inv.currency == "EUR"
    assert inv.subtotal_minor == 14250 + 30000 + 8000 + 12345
    assert inv.total_minor == inv.subtotal_minor + 2850 + 6000
    assert billing.billed_sources_total(session, inv.id) == inv.subtotal_minor
    assert billing.unbilled_candidates(session, web.pid, UP_TO) == []
    assert billing.unbilled_candidates(session, app.pid, UP_TO) == []
    assert billing.invoice_project_ids(session, inv) == sorted([web.pid, app.pid])
    assert billing.invoice_deal_ids(session, inv) == sorted([web.deal.id, app.deal.id])
    # billed once: neither a client invoice nor a project invoice finds anything left
    with pytest.raises(billing.BillingError, match="Nothing to bill"):
        billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    with pytest.raises(billing.BillingError, match="Nothing to bill"):
        billing.build_invoice(session, SYSTEM, app.pid, UP_TO)


def test_one_project_or_one_shared_deal_keeps_the_invoice_pointers(world, session):
    w = world
    same_deal = w.another_project("Website phase 2")  # same deal
    w.change_order(100)
    same_deal.change_order(200)
    inv = billing.build_client_invoice(session, SYSTEM, w.account.id, [w.pid, same_deal.pid], UP_TO)
    assert inv.project_id is None and inv.deal_id == w.deal.id
    w.change_order(300)
    single = billing.build_client_invoice(session, SYSTEM, w.account.id, [w.pid], UP_TO)
    assert single.project_id == w.pid and single.deal_id == w.deal.id
    assert billing.line_sections(session, single, billing.lines_of(session, single.id)) == [""]


def test_projects_with_nothing_to_bill_are_skipped(two, session):
    web, app = two
    app.change_order(500)
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    # only the app had work: the invoice spans one project, so it points at it
    assert inv.project_id == app.pid and inv.deal_id == app.deal.id and inv.total_minor == 500


def test_the_projects_are_checked(two, session):
    web, app = two
    other_client = Account(name="Other Ltd")
    session.add(other_client)
    session.flush()
    foreign = web.another_project("Their project", account=other_client)
    dollars = web.another_project("US rollout", currency="USD")
    for proj in (web, app, foreign, dollars):
        proj.change_order(100)
    cases = [
        ([web.pid, foreign.pid], "project_ids", "Not a project of this client: Their project"),
        ([web.pid, dollars.pid], "project_ids", "different currencies (EUR, USD)"),
        ([web.pid, 999999], "project_id", "No project 999999"),
        ([], "project_ids", "at least one project"),
    ]
    for ids, field, message in cases:
        with pytest.raises(billing.BillingError, match=message.replace("(", r"\(").replace(")", r"\)")) as exc:
            billing.build_client_invoice(session, SYSTEM, web.account.id, ids, UP_TO)
        assert exc.value.field == field
    with pytest.raises(billing.BillingError, match="No account") as exc:
        billing.build_client_invoice(session, SYSTEM, 999999, [web.pid], UP_TO)
    assert exc.value.field == "account_id"
    assert session.exec(select(Invoice)).all() == []


def test_unticking_is_per_project_with_keys_unique_across_projects(two, session):
    web, app = two
    no_role_time(web, 60)
    no_role_time(app, 120)  # same raw key "time:bl:0:9500" in both projects
    per_project = billing.client_candidates(session, web.account.id, [web.pid, app.pid], UP_TO)
    keys = [billing.project_key(p.id, c.key) for p, cands in per_project for c in cands]
    assert len(keys) == len(set(keys)) == 2
    inv = billing.build_client_invoice(
        session,
        SYSTEM,
        web.account.id,
        [web.pid, app.pid],
        UP_TO,
        exclude_keys={billing.project_key(app.pid, "time:bl:0:9500")},
    )
    (line,) = billing.lines_of(session, inv.id)
    assert line.project_id == web.pid and line.amount_minor == 9500
    assert [c.amount_minor for c in billing.unbilled_candidates(session, app.pid, UP_TO)] == [19000]


def test_void_and_credit_release_every_project(two, session):
    web, app = two
    web.time(60)
    app.time(30)
    app.milestone(1000, kind="fixed")
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    billing.void_invoice(session, SYSTEM, inv.id, reason="wrong date")
    assert billing.unbilled_total(session, web.pid, UP_TO) == 9500
    assert billing.unbilled_total(session, app.pid, UP_TO) == 4750 + 1000
    again = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    billing.issue_invoice(session, SYSTEM, again.id, issue_date=date(2026, 4, 1))
    cn = billing.credit_note(session, SYSTEM, again.id, reason="cancelled")
    assert sorted({ln.project_id for ln in billing.lines_of(session, cn.id)}) == sorted([web.pid, app.pid])
    assert billing.invoice_deal_ids(session, cn) == sorted([web.deal.id, app.deal.id])
    assert billing.unbilled_total(session, web.pid, UP_TO) == 9500
    assert billing.unbilled_total(session, app.pid, UP_TO) == 5750
    live = session.exec(select(BilledSource).where(BilledSource.released_at.is_(None))).all()
    assert live == []


def test_each_project_deducts_its_own_deposit(two, session):
    web, app = two
    dep = billing.create_deposit_invoice(session, SYSTEM, web.pid, amount_minor=10000)
    billing.issue_invoice(session, SYSTEM, dep.id, issue_date=date(2026, 2, 1))
    web.change_order(50000)
    app.change_order(5000)  # smaller than the web deposit: the app's part cannot carry it
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    lines = billing.lines_of(session, inv.id)
    assert [(ln.project_id, ln.source_type, ln.amount_minor) for ln in lines] == [
        (app.pid, "change_order", 5000),
        (web.pid, "change_order", 50000),
        (web.pid, "deposit", -10000),
    ]
    assert inv.subtotal_minor == 45000 == billing.billed_sources_total(session, inv.id)


def test_every_reader_copes_with_a_client_invoice(two, session):
    web, app = two
    web.time(60)
    app.change_order(20000)
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    # project panels list it through the lines
    for proj in (web, app):
        panel = views.project_panel_data(session, proj.pid)
        assert [r["id"] for r in panel["invoices"]] == [str(inv.id)]
    # the invoice page: both projects named, lines under their project
    detail = views.invoice_detail(session, inv.id)
    assert detail["invoice"]["project"] == "" and detail["invoice"]["projects"] == "Mobile app, Website build"
    assert [ln["section"] for ln in detail["lines"]] == ["Mobile app", "Website build"]
    data = billing.invoice_json(session, inv)
    assert data["project_id"] is None and data["project_ids"] == sorted([web.pid, app.pid])
    assert {ln["project_id"] for ln in data["lines"]} == {web.pid, app.pid}
    assert render_invoice_pdf(session, inv, time_appendix=True).startswith(b"%PDF")
    # issue: an event on both deals; each deal panel counts its own part
    billing.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))
    total = inv.total_minor  # 95.00 + 19.00 tax + 200.00
    assert total == 9500 + 1900 + 20000
    for proj in (web, app):
        subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == proj.deal.id))]
        assert any(s.startswith(f"Invoice {inv.number} issued") for s in subjects)
    assert views.deal_panel_data(session, web.deal.id)["invoiced"] == "€114.00"
    assert views.deal_panel_data(session, app.deal.id)["invoiced"] == "€200.00"
    billing.record_manual_payment(session, SYSTEM, inv.id, amount_minor=total, method="bank_transfer")
    web_panel, app_panel = views.deal_panel_data(session, web.deal.id), views.deal_panel_data(session, app.deal.id)
    assert (web_panel["collected"], app_panel["collected"]) == ("€114.00", "€200.00")
    assert (web_panel["open"], app_panel["open"]) == ("€0.00", "€0.00")
    for proj in (web, app):
        subjects = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == proj.deal.id))]
        assert any(s.startswith(f"Invoice {inv.number} paid") for s in subjects)
    public = views.public_invoice(session, inv.public_token)
    assert [ln["section"] for ln in public["lines"]] == ["Mobile app", "Website build"]


def test_a_stripe_payment_on_a_client_invoice_reaches_every_deal(two, session):
    """The webhook's status step (Core row, no single deal) still tells each deal it billed."""
    web, app = two
    web.change_order(1000)
    app.change_order(2000)
    inv = billing.build_client_invoice(session, SYSTEM, web.account.id, [web.pid, app.pid], UP_TO)
    billing.issue_invoice(session, SYSTEM, inv.id, issue_date=date(2026, 4, 1))
    session.add(
        Payment(
            invoice_id=inv.id,
            account_id=inv.account_id,
            amount_minor=inv.total_minor,
            currency="EUR",
            method="stripe",
            status="succeeded",
            received_on=date(2026, 4, 2),
        )
    )
    session.flush()
    row = billing.lock_invoice_row(session, inv.id)
    assert row.deal_id is None
    assert billing.recompute_status_row(session, SYSTEM, row) == "paid"
    session.flush()
    for deal_id in (web.project.deal_id, app.project.deal_id):
        subjects = session.exec(select(Activity.subject).where(Activity.deal_id == deal_id)).all()
        assert any(s.startswith(f"Invoice {inv.number} paid") for s in subjects), subjects


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def client(db_url, world, session):
    from l2c_app.api.app import build_api

    _, raw = create_api_key(session, "client-invoice-tests")
    session.commit()
    with TestClient(build_api(), headers={"Authorization": f"Bearer {raw}"}) as c:
        yield c


def test_rest_builds_one_draft_for_the_client(client, world, session):
    app = world.another_project("Mobile app", new_deal=True)
    world.time(120)
    no_role_time(world, 60)
    no_role_time(app, 60)
    app.change_order(50000)
    session.commit()
    url = f"/api/v1/accounts/{world.account.id}/invoices"
    r = client.get(
        f"/api/v1/accounts/{world.account.id}/unbilled",
        params={"project_ids": f"{world.pid},{app.pid}", "up_to": "2026-03-31"},
    )
    assert r.status_code == 200, r.text
    keys = [i["key"] for i in r.json()["items"]]
    assert len(keys) == len(set(keys)) == 4
    r = client.post(
        url,
        json={"project_ids": [world.pid, app.pid], "up_to": "2026-03-31", "exclude": [f"p{app.pid}:time:bl:0:9500"]},
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["project_id"] is None
    assert draft["project_ids"] == sorted([world.pid, app.pid])
    assert [ln["project_id"] for ln in draft["lines"]] == [app.pid, world.pid, world.pid]
    assert draft["total_minor"] == 50000 + 19000 + 3800 + 9500
    listed = client.get("/api/v1/invoices", params={"project_id": app.pid}).json()["items"]
    assert [i["id"] for i in listed] == [draft["id"]]
    # errors: unknown account or project 404, bad input and nothing to bill 422, no key 401
    assert client.post("/api/v1/accounts/999999/invoices", json={"project_ids": [world.pid]}).status_code == 404
    assert client.post(url, json={"project_ids": [999999]}).status_code == 404
    for body in ({}, {"project_ids": []}, {"project_ids": ["x"]}, {"project_ids": [world.pid], "up_to": "soon"}):
        r = client.post(url, json=body)
        assert r.status_code == 422, body
    r = client.post(url, json={"project_ids": [world.pid], "up_to": "2026-03-31"})
    assert r.status_code == 422 and r.json()["detail"].startswith("up_to: Nothing to bill")
    from l2c_app.api.app import build_api

    with TestClient(build_api()) as anon:
        assert anon.post(url, json={"project_ids": [world.pid]}).status_code == 401


def test_rest_refuses_another_clients_project(client, world, session):
    other = Account(name="Other Ltd")
    session.add(other)
    session.flush()
    theirs = world.another_project("Theirs", account=other)
    theirs.change_order(100)
    session.commit()
    r = client.post(f"/api/v1/accounts/{world.account.id}/invoices", json={"project_ids": [theirs.pid]})
    assert r.status_code == 422 and "Not a project of this client" in r.json()["detail"]


# --- property ----------------------------------------------------------------------------------

time_st = st.tuples(
    st.integers(1, 600), st.integers(0, 40), st.booleans(), st.booleans(), st.sampled_from([0, 8000, 9500, 333])
)
project_st = st.tuples(
    st.lists(time_st, max_size=6),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(["fixed", "milestone"]), st.booleans(), st.booleans()),
        max_size=2,
    ),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["approved", "sent"])), max_size=2),
    st.booleans(),
)


def test_client_invoice_total_is_its_sources_and_leaves_nothing(db_url):
    @settings(max_examples=examples_for(db_url, 20, 5), deadline=None)
    @given(projects=st.lists(project_st, min_size=1, max_size=3), itemise=st.booleans())
    def prop(projects, itemise):
        from l2c_app.core.db import engine_for

        with Session(engine_for(db_url), expire_on_commit=False) as s:
            w = World(s, itemise_time=itemise)
            worlds = [w] + [w.another_project(f"Project {i}", new_deal=i % 2 == 0) for i in range(1, len(projects))]
            for pw, (times, milestones, changes, no_role) in zip(worlds, projects, strict=True):
                for minutes, day_offset, approved, use_design, rate in times:
                    day = date(2026, 3, 1 + day_offset) if day_offset < 31 else date(2026, 4, 1 + day_offset - 31)
                    pw.time(minutes, day=day, approved=approved, line=pw.design if use_design else pw.dev, rate=rate)
                if no_role:
                    no_role_time(pw, 45)
                for amount, kind, reached, inclusive in milestones:
                    pw.milestone(amount, kind=kind, reached=reached, tax=pw.vat_incl if inclusive else pw.vat)
                for amount, status in changes:
                    pw.change_order(amount, status=status)
            pids = [pw.pid for pw in worlds]
            expected = {pid: sum(c.amount_minor for c in billing.unbilled_candidates(s, pid, UP_TO)) for pid in pids}
            if not any(billing.unbilled_candidates(s, pid, UP_TO) for pid in pids):
                with pytest.raises(billing.BillingError):
                    billing.build_client_invoice(s, SYSTEM, w.account.id, pids, UP_TO)
                s.rollback()
                return
            inv = billing.build_client_invoice(s, SYSTEM, w.account.id, pids, UP_TO)
            lines = billing.lines_of(s, inv.id)
            assert inv.subtotal_minor == sum(ln.amount_minor for ln in lines) == sum(expected.values())
            assert inv.total_minor == inv.subtotal_minor + sum(ln.tax_minor for ln in lines if not ln.tax_inclusive)
            assert all(ln.tax_minor == line_tax(ln.amount_minor, ln.tax_percent, ln.tax_inclusive) for ln in lines)
            assert billing.billed_sources_total(s, inv.id) == inv.subtotal_minor
            for pid in pids:  # each project's part is what it had to bill, and nothing is left in any
                part = sum(ln.amount_minor for ln in lines if ln.project_id == pid)
                assert part == expected[pid]
                assert billing.unbilled_candidates(s, pid, UP_TO) == []
            # the lines come grouped: a project's lines are contiguous
            order = [ln.project_id for ln in lines]
            assert all(order.index(p) + order.count(p) - 1 == len(order) - 1 - order[::-1].index(p) for p in set(order))
            assert (
                s.exec(
                    select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id, InvoiceLine.project_id.is_(None))
                ).all()
                == []
            )
            s.rollback()

    prop()
