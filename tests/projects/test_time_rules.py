"""Time rules: future days locked unless allowed; nobody approves their own week unless they
are the project's only approver (and the organisation allows it). Service and API refuse."""

from datetime import timedelta

import pytest
from sqlmodel import select

from l2c_app.core import formats
from l2c_app.core.audit import Actor
from l2c_app.core.auth import set_active
from l2c_app.core.timeutil import org_today
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine


@pytest.fixture
def project(session, world):
    p = svc.create_project_from_contract(session, world.actor, world.contract.id)
    session.commit()
    return p


def log(session, user, project, day, minutes):
    line = session.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).one()
    return svc.upsert_time(
        session,
        Actor("user", user.id),
        user_id=user.id,
        project_id=project.id,
        budget_line_id=line.id,
        day=day,
        minutes=minutes,
    )


def test_future_days_are_refused_by_default_naming_the_day(session, world, project):
    today = org_today(session)
    tomorrow = today + timedelta(days=1)
    assert log(session, world.dev, project, today, 60).entry.minutes == 60  # today is fine
    with pytest.raises(svc.DeliveryError) as err:
        log(session, world.dev, project, tomorrow, 60)
    assert err.value.field == "date" and err.value.code == "future_day"
    assert formats.day(tomorrow) in err.value.message
    grid = svc.week_grid(session, world.dev.id, tomorrow, [svc.row_key(project.id, None)])
    cells = {c["day"]: c["locked"] for r in grid["rows"] for c in r["cells"]}
    assert cells[tomorrow.isoformat()] == svc.FUTURE_LOCK
    if today.isoformat() in cells:
        assert cells[today.isoformat()] == ""

    svc.save_time_rules(session, world.actor, allow_future_time=True, sole_approver_self_approval=True)
    assert log(session, world.dev, project, tomorrow, 60).entry.minutes == 60
    svc.save_time_rules(session, world.actor, allow_future_time=False, sole_approver_self_approval=True)
    assert log(session, world.dev, project, tomorrow, 0).entry is None  # clearing a future cell stays possible


def test_nobody_approves_their_own_week_while_another_approver_exists(session, world, project):
    monday = org_today(session) - timedelta(days=14)
    log(session, world.biller, project, monday, 120)
    [week] = [w for w in svc.pending_approvals(session, world.biller.id) if w["user_id"] == world.biller.id]
    assert "your own week" in week["blocked"]
    with pytest.raises(svc.DeliveryError) as err:
        svc.approve_week(
            session, world.actor, world.biller.id, user_id=world.biller.id, project_id=project.id, monday=monday
        )
    assert err.value.kind == "forbidden" and err.value.code == "own_week"
    # another approver does it, and the grid says who and when
    assert (
        svc.approve_week(
            session, world.actor, world.owner.id, user_id=world.biller.id, project_id=project.id, monday=monday
        )
        == 1
    )
    row = svc.week_grid(session, world.biller.id, monday)["rows"][0]
    assert row["approved_text"].startswith(f"Approved by {world.owner.name} on ")


def test_the_only_approver_may_approve_their_own_week_when_allowed(session, world, project):
    monday = org_today(session) - timedelta(days=14)
    for user in (world.biller, world.sales, world.dev):
        if user.role in svc.APPROVER_ROLES:
            set_active(session, world.actor, user.id, False)
    project.lead_user_id = world.owner.id if project.lead_user_id else None
    session.add(project)
    assert svc.approvers_of(session, project) == {world.owner.id}
    log(session, world.owner, project, monday, 60)
    svc.save_time_rules(session, world.actor, allow_future_time=False, sole_approver_self_approval=False)
    with pytest.raises(svc.DeliveryError, match="requires another approver"):
        svc.approve_week(
            session, world.actor, world.owner.id, user_id=world.owner.id, project_id=project.id, monday=monday
        )
    svc.save_time_rules(session, world.actor, allow_future_time=False, sole_approver_self_approval=True)
    assert (
        svc.approve_week(
            session, world.actor, world.owner.id, user_id=world.owner.id, project_id=project.id, monday=monday
        )
        == 1
    )


def test_week_keys_follow_the_locale_and_storage_stays_per_day(session, world, project):
    saturday = org_today(session) - timedelta(days=14)
    saturday -= timedelta(days=(saturday.weekday() - 5) % 7)
    sunday = saturday + timedelta(days=1)
    log(session, world.dev, project, saturday, 60)
    log(session, world.dev, project, sunday, 30)
    us = svc.week_grid(session, world.dev.id, sunday)  # en-US: Sunday opens a new week
    assert us["monday"] == sunday.isoformat() and us["total_minutes"] == 30
    formats.save_formats(session, world.actor, locale="de-DE", hours_format="hm")
    de = svc.week_grid(session, world.dev.id, sunday)  # de-DE: Sunday closes the week that began on Monday
    assert de["monday"] == (saturday - timedelta(days=5)).isoformat() and de["total_minutes"] == 90
    assert de["days"][-1] == sunday.isoformat()
    assert (
        svc.approve_week(
            session, world.actor, world.owner.id, user_id=world.dev.id, project_id=project.id, monday=sunday
        )
        == 2
    )  # the de-DE week: both days


def test_api_refuses_a_future_day_and_an_own_week(session, world, project):
    from fastapi.testclient import TestClient

    from l2c_app.api.app import build_api
    from l2c_app.core.auth import create_session

    tokens = {u: create_session(session, getattr(world, u)) for u in ("dev", "biller")}
    session.commit()
    client = TestClient(build_api())
    line = session.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).one()
    tomorrow = org_today(session) + timedelta(days=1)
    client.cookies.set("l2c_session", tokens["dev"])
    r = client.post(
        "/api/v1/time-entries",
        json={"project_id": project.id, "budget_line_id": line.id, "date": tomorrow.isoformat(), "minutes": "1:00"},
    )
    detail = r.json()["detail"]
    assert r.status_code == 422 and detail.startswith("date:") and formats.day(tomorrow) in detail
    client.cookies.clear()
    client.cookies.set("l2c_session", tokens["biller"])
    past = org_today(session) - timedelta(days=14)
    assert (
        client.post(
            "/api/v1/time-entries",
            json={"project_id": project.id, "budget_line_id": line.id, "date": past.isoformat(), "minutes": "1:00"},
        ).status_code
        == 201
    )
    r = client.post(
        f"/api/v1/projects/{project.id}/weeks/approve", json={"user_id": world.biller.id, "week": past.isoformat()}
    )
    assert r.status_code == 403 and "own week" in str(r.json()["detail"])
