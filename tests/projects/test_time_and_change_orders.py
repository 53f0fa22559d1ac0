"""Time cells (24 h rule, locks, approval), budget burn and change orders."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from l2c_app.billing.models import BilledSource, Invoice, InvoiceLine
from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.models import OutboxMessage
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine, ChangeOrder, TimeEntry

MONDAY = date(2026, 11, 23)
MON = (MONDAY - formats.week_start(MONDAY)).days  # the grid's column of Monday (en-US weeks start on Sunday)


@pytest.fixture
def project(session, world):
    p = svc.create_project_from_contract(session, world.actor, world.contract.id)
    session.commit()
    return p


@pytest.fixture
def line(session, project):
    return session.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).one()


def log(session, world, project, line, day, minutes, **kw):
    return svc.upsert_time(
        session,
        Actor("user", world.dev.id),
        user_id=world.dev.id,
        project_id=project.id,
        budget_line_id=line.id if line else None,
        day=day,
        minutes=minutes,
        **kw,
    )


def test_cell_upsert_update_and_clear(session, world, project, line):
    res = log(session, world, project, line, MONDAY, "1:30", note="kick-off")
    assert (res.entry.minutes, res.entry.rate_minor, res.entry.billable, res.entry.note) == (
        90,
        12000,
        True,
        "kick-off",
    )
    res = log(session, world, project, line, MONDAY, "2h", billable=False)
    assert session.exec(select(TimeEntry)).one().minutes == 120 and res.entry.billable is False
    assert log(session, world, project, line, MONDAY, "").entry is None
    assert session.exec(select(TimeEntry)).all() == []


def test_a_day_holds_at_most_24_hours_per_person(session, world, project, line):
    log(session, world, project, line, MONDAY, "20")
    log(session, world, project, None, MONDAY, "3")
    with pytest.raises(svc.DeliveryError, match="at most 24 h") as exc:
        log(session, world, project, None, MONDAY, "4:01")
    assert exc.value.field == "minutes"
    log(session, world, project, None, MONDAY, "4")  # exactly 24 h is fine
    assert svc.day_total(session, world.dev.id, MONDAY) == 1440
    # another person's day is their own
    svc.upsert_time(session, world.actor, user_id=world.owner.id, project_id=project.id, day=MONDAY, minutes=600)


def test_rate_at_the_time_is_kept(session, world, project, line):
    first = log(session, world, project, line, MONDAY, 60).entry
    svc.add_member(session, world.actor, project.id, world.dev.id, line.id, rate_minor=15000)
    second = log(session, world, project, line, MONDAY + timedelta(days=1), 60).entry
    assert (first.rate_minor, second.rate_minor) == (12000, 15000)


def test_approved_or_billed_time_is_locked(session, world, project, line):
    log(session, world, project, line, MONDAY, 60)
    log(session, world, project, line, MONDAY + timedelta(days=1), 120)
    with pytest.raises(svc.DeliveryError, match="project lead or the billing role"):
        svc.approve_week(session, world.actor, world.dev.id, user_id=world.dev.id, project_id=project.id, monday=MONDAY)
    assert svc.pending_approvals(session, world.biller.id)[0]["minutes"] == 180
    assert svc.pending_approvals(session, world.dev.id) == []  # not the lead
    assert (
        svc.approve_week(
            session,
            world.actor,
            world.biller.id,
            user_id=world.dev.id,
            project_id=project.id,
            monday=MONDAY + timedelta(days=3),
        )
        == 2
    )
    entry = session.exec(select(TimeEntry).where(TimeEntry.day == MONDAY)).one()
    assert entry.approved_by_id == world.biller.id and entry.approved_at is not None
    approved = svc.week_grid(session, world.dev.id, MONDAY)["rows"][0]
    assert approved["approved_text"] == f"Approved by {world.biller.name} on {formats.day(entry.approved_at)}"
    assert approved["cells"][MON]["locked"] == "approved"
    with pytest.raises(svc.DeliveryError, match="approved") as exc:
        log(session, world, project, line, MONDAY, 30)
    assert exc.value.status == 409
    with pytest.raises(svc.DeliveryError, match="Nothing left"):
        svc.approve_week(
            session, world.actor, world.owner.id, user_id=world.dev.id, project_id=project.id, monday=MONDAY
        )
    # billed time is locked too, and shows as billed in the grid
    log(session, world, project, line, MONDAY + timedelta(days=7), 45)
    next_entry = session.exec(select(TimeEntry).where(TimeEntry.day == MONDAY + timedelta(days=7))).one()
    inv = Invoice(public_token="t1")
    session.add(inv)
    session.flush()
    il = InvoiceLine(invoice_id=inv.id, description="time")
    session.add(il)
    session.flush()
    session.add(BilledSource(invoice_line_id=il.id, source_type="time", source_id=next_entry.id))
    session.flush()
    with pytest.raises(svc.DeliveryError, match="billed"):
        log(session, world, project, line, MONDAY + timedelta(days=7), 60)
    grid = svc.week_grid(session, world.dev.id, MONDAY + timedelta(days=7))
    assert grid["rows"][0]["cells"][MON]["locked"] == "billed"


def test_only_approved_billable_time_is_billable_when_approval_is_required(session, world, project, line):
    log(session, world, project, line, MONDAY, 60)
    log(session, world, project, line, MONDAY + timedelta(days=1), 60, billable=False)
    assert svc.billable_time(session, project.id) == []
    svc.save_delivery_settings(session, world.actor, time_approval_required=False, auto_project_on_signature=False)
    assert [e.day for e in svc.billable_time(session, project.id)] == [MONDAY]
    svc.save_delivery_settings(session, world.actor, time_approval_required=True, auto_project_on_signature=False)
    svc.approve_week(session, world.actor, world.owner.id, user_id=world.dev.id, project_id=project.id, monday=MONDAY)
    assert len(svc.billable_time(session, project.id)) == 1


def test_week_grid_rows_totals_and_copy_last_week(session, world, project, line):
    formats.save_formats(session, world.actor, locale="en-GB", hours_format="hm")  # weeks Monday..Sunday
    for i, text in enumerate(["8", "7:30", "", "6", "1.5"]):
        log(session, world, project, line, MONDAY + timedelta(days=i), text)
    log(session, world, project, None, MONDAY, "30m")
    grid = svc.week_grid(session, world.dev.id, MONDAY + timedelta(days=2))  # any day of the week
    assert grid["monday"] == MONDAY.isoformat() and len(grid["rows"]) == 2
    dev_row = next(r for r in grid["rows"] if r["budget_line_id"] == line.id)
    assert [c["text"] for c in dev_row["cells"]] == ["8:00", "7:30", "", "6:00", "1:30", "", ""]
    assert dev_row["total_minutes"] == 23 * 60
    assert grid["day_totals"][0] == 510 and grid["total_minutes"] == 23 * 60 + 30
    next_monday = MONDAY + timedelta(days=7)
    keys = svc.last_week_rows(session, world.dev.id, next_monday)
    assert sorted(keys) == sorted([svc.row_key(project.id, line.id), svc.row_key(project.id, None)])
    copied = svc.week_grid(session, world.dev.id, next_monday, extra_rows=keys)
    assert len(copied["rows"]) == 2 and copied["total_minutes"] == 0
    assert (
        svc.set_row_billable(
            session,
            world.actor,
            user_id=world.dev.id,
            project_id=project.id,
            budget_line_id=line.id,
            monday=MONDAY,
            billable=False,
        )
        == 4
    )


def test_budget_burn_warns_at_80_and_100_percent(session, world, project, line):
    # budget: 40 h x 120.00 = 4,800.00
    for i in range(4):
        log(session, world, project, line, MONDAY + timedelta(days=i), "8")
    rep = svc.budget_report(session, project.id)
    assert rep["lines"][0]["burn"] == 80 and rep["lines"][0]["level"] == "warning"
    assert rep["lines"][0]["actual_minor"] == 384000 and rep["total"]["actual_minutes"] == 32 * 60
    assert any("80%" in w["text"] and w["level"] == "warning" for w in rep["warnings"])
    log(session, world, project, line, MONDAY + timedelta(days=4), "8")
    rep = svc.budget_report(session, project.id)
    assert (rep["lines"][0]["burn"], rep["lines"][0]["level"], rep["total"]["level"]) == (100, "over", "over")
    assert "over budget" in rep["warnings"][0]["text"]
    log(session, world, project, None, MONDAY + timedelta(days=5), "2")  # time outside any budget line
    assert svc.budget_report(session, project.id)["unplanned_minutes"] == 120


def test_change_orders_raise_the_budget_only_once_approved(session, world, project, line):
    before = svc.planned_total(session, project.id, include_change_orders=True)
    fixed = svc.create_change_order(
        session, world.actor, project.id, description="Extra landing page", amount_minor=150000
    )
    hours = svc.create_change_order(
        session,
        world.actor,
        project.id,
        description="Data migration",
        kind="hours",
        minutes="10h",
        rate_minor=11000,
        role="Data engineer",
    )
    assert (fixed.number, hours.number, hours.amount_minor) == (1, 2, 110000)
    assert svc.billable_change_orders(session, project.id) == []
    assert svc.planned_total(session, project.id, include_change_orders=True) == before
    svc.send_change_order(session, world.actor, fixed.id)
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.related_entity == "changeorder")).one()
    assert mail.to == "carla@globex.test" and mail.link.endswith(f"/co/{fixed.public_token}")
    with pytest.raises(svc.DeliveryError, match="full name"):
        svc.approve_change_order_by_token(session, fixed.public_token, " ")
    svc.approve_change_order_by_token(session, fixed.public_token, "Carla Client", ip="203.0.113.9")
    assert (fixed.status, fixed.approved_name, fixed.approved_ip) == ("approved", "Carla Client", "203.0.113.9")
    assert [c.id for c in svc.billable_change_orders(session, project.id)] == [fixed.id]
    with pytest.raises(svc.DeliveryError, match="already approved"):
        svc.approve_change_order_by_token(session, fixed.public_token, "Carla Client")
    svc.approve_change_order(session, world.actor, hours.id, "Carla Client")
    extra = session.exec(select(BudgetLine).where(BudgetLine.change_order_id == hours.id)).one()
    assert (extra.role, extra.budget_minutes, extra.amount_minor) == ("Data engineer", 600, 110000)
    assert svc.planned_total(session, project.id, include_change_orders=True) == before + 150000 + 110000
    assert [c.id for c in svc.billable_change_orders(session, project.id)] == [fixed.id]  # hours bill via time
    declined = svc.create_change_order(session, world.actor, project.id, description="Nope", amount_minor=1)
    svc.decline_change_order_by_token(session, declined.public_token, "too expensive")
    assert declined.status == "declined" and declined not in svc.billable_change_orders(session, project.id)
    assert svc.change_order_by_token(session, "x" * 100) is None


@pytest.mark.parametrize(
    "kw,field",
    [
        (dict(description="", amount_minor=1), "description"),
        (dict(description="X", amount_minor=0), "amount_minor"),
        (dict(description="X", kind="hours", minutes=0, rate_minor=1, role="R"), "minutes"),
        (dict(description="X", kind="hours", minutes=60, rate_minor=None, role="R"), "rate_minor"),
        (dict(description="X", kind="hours", minutes=60, rate_minor=1, role=""), "role"),
        (dict(description="X", kind="other"), "kind"),
    ],
)
def test_change_order_input_errors_name_the_field(session, world, project, kw, field):
    with pytest.raises(svc.DeliveryError) as exc:
        svc.create_change_order(session, world.actor, project.id, **kw)
    assert exc.value.field == field
    assert session.exec(select(ChangeOrder)).all() == []


def test_project_detail_shows_team_plan_and_signed_pdf(session, world, project):
    world.contract.signed_document_id = None
    detail = svc.project_detail(session, project.id)
    assert detail["signed_pdf_url"] is None and detail["team"][0]["is_lead"]
    assert detail["planned_minor"] == 1248800 and len(detail["milestones"]) == 2
    assert svc.list_projects(session)[0]["name"] == "Website relaunch"
    assert svc.projects_of_deal(session, world.deal.id)[0]["id"] == project.id
    assert svc.project_for_contract(session, world.contract.id)["project_id"] == project.id
    assert svc.project_timeline(session, project.id)
    opts = svc.team_options(session, project.id)
    assert len(opts["users"]) == 4 and opts["lines"][0]["role"] == "Senior developer"


def test_timer_adds_its_minutes_to_todays_cell(session, world, project, line):
    assert svc.user_projects_for_timer(session, world.dev.id) == [{"id": str(project.id), "name": project.name}]
    svc.upsert_time(session, world.actor, user_id=world.dev.id, project_id=project.id, day=MONDAY, minutes=30)
    svc.add_timer_minutes(session, world.actor, world.dev.id, project.id, 45, MONDAY)
    svc.add_timer_minutes(session, world.actor, world.dev.id, project.id, 0, MONDAY)  # a click is one minute
    entry = session.exec(select(TimeEntry).where(TimeEntry.budget_line_id.is_(None))).one()
    assert entry.minutes == 76
    assert svc.user_projects_for_timer(session, world.dev.id)[0]["name"] == project.name  # now a member


def test_racing_saves_of_one_person_stay_within_24_hours(db_url, session, world, project, line):
    """Two requests save 13 h on two rows of the same day at once: one must be refused."""
    import threading

    from sqlmodel import Session

    from l2c_app.core.db import engine_for

    barrier, outcomes = threading.Barrier(2), []

    def save(bl_id):
        with Session(engine_for(db_url), expire_on_commit=False) as s:
            try:
                barrier.wait()
                svc.upsert_time(
                    s,
                    world.actor,
                    user_id=world.dev.id,
                    project_id=project.id,
                    budget_line_id=bl_id,
                    day=MONDAY,
                    minutes=13 * 60,
                )
                s.commit()
                outcomes.append("saved")
            except Exception as exc:  # refused by the rule, or by SQLite's single writer
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=save, args=(b,)) for b in (line.id, None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1, outcomes
    assert svc.day_total(session, world.dev.id, MONDAY) == 13 * 60


def test_racing_saves_of_one_cell_leave_one_row(db_url, session, world, project, line):
    import threading

    from sqlmodel import Session

    from l2c_app.core.db import engine_for

    barrier = threading.Barrier(2)

    def save(minutes):
        with Session(engine_for(db_url), expire_on_commit=False) as s:
            try:
                barrier.wait()
                svc.upsert_time(
                    s,
                    world.actor,
                    user_id=world.dev.id,
                    project_id=project.id,
                    budget_line_id=line.id,
                    day=MONDAY,
                    minutes=minutes,
                )
                s.commit()
            except Exception:  # the loser of the race is refused, never duplicated
                s.rollback()

    threads = [threading.Thread(target=save, args=(m,)) for m in (60, 120)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = session.exec(select(TimeEntry)).all()
    assert len(rows) == 1 and rows[0].minutes in (60, 120)


def test_a_done_project_takes_no_more_time(session, world, project, line):
    svc.set_project_status(session, world.actor, project.id, "done")
    with pytest.raises(svc.DeliveryError, match="is done"):
        log(session, world, project, line, MONDAY, 60)
    with pytest.raises(svc.DeliveryError) as exc:
        svc.set_project_status(session, world.actor, project.id, "finished")
    assert exc.value.field == "status"
    assert svc.searchable_rows(session, "Website") == []
    svc.set_project_status(session, world.actor, project.id, "active")
    assert log(session, world, project, line, MONDAY, 60).entry.minutes == 60
