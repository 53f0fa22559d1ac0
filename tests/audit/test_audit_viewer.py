"""Settings > Audit: names for actors, filters in the organisation's days, pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlmodel import select

from l2c_app.audit import service as svc
from l2c_app.core.auth import SESSION_COOKIE, create_session, set_role, user_actor_of
from l2c_app.core.models import AuditLog
from l2c_app.leads.service import capture

F = svc.AuditFilters


def _role_change(session, team):
    set_role(session, user_actor_of(team.owner), team.sam.id, "admin")
    session.commit()


def test_rows_name_people_and_keep_the_stored_label(session, team):
    _role_change(session, team)
    rows = svc.list_audit(session, F(entity="user", action="update"))["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert row["who"] == "Olivia Owner" and row["actor"] == f"user:{team.owner.id}"
    assert row["changes"] == "role: sales → admin"
    assert row["entity_id"] == str(team.sam.id)
    # stored as written: the label, not the name
    stored = session.exec(select(AuditLog).where(AuditLog.action == "update")).one()
    assert stored.actor == f"user:{team.owner.id}"


def test_other_actors_read_as_words(session, team):
    names = svc.actor_names(session, {"system", "api:website backend", "webhook:stripe", "user:99999", "web:x"})
    assert names == {
        "system": "System",
        "api:website backend": "API key: website backend",
        "webhook:stripe": "Webhook: stripe",
        "user:99999": "user:99999",
        "web:x": "web:x",
    }


def test_filters_by_entity_action_and_actor(session, team):
    _role_change(session, team)
    everything = svc.list_audit(session, F())["total"]
    assert everything >= 4  # the organisation, three users, the role change
    assert svc.list_audit(session, F(entity="organisation"))["total"] == 1
    by_owner = svc.list_audit(session, F(actor=f"user:{team.owner.id}"))["rows"]
    assert by_owner and all(r["who"] == "Olivia Owner" for r in by_owner)
    options = svc.filter_options(session)
    assert "user" in options["entities"] and "update" in options["actions"]
    assert {"value": f"user:{team.owner.id}", "label": "Olivia Owner"} in options["actors"]


def test_date_range_is_the_organisations_days(session, team):
    """23:30 UTC on 1 March is 00:30 on 2 March in Paris (the organisation's zone)."""
    _role_change(session, team)
    row = session.exec(select(AuditLog).where(AuditLog.action == "update")).one()
    row.at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    session.add(row)
    session.commit()
    on_second = svc.list_audit(session, F(action="update", date_from="2026-03-02", date_to="2026-03-02"))
    assert on_second["total"] == 1 and on_second["rows"][0]["when"] == "2026-03-02 00:30"
    assert svc.list_audit(session, F(action="update", date_to="2026-03-01"))["total"] == 0
    assert svc.list_audit(session, F(action="update", date_from="2026-03-03"))["total"] == 0


def test_bad_dates_are_a_clear_error(session, team):
    import pytest

    from l2c_app.core.errors import DomainError

    with pytest.raises(DomainError) as bad:
        svc.list_audit(session, F(date_from="yesterday"))
    assert bad.value.field == "date_from"
    with pytest.raises(DomainError) as reversed_range:
        svc.list_audit(session, F(date_from="2026-03-05", date_to="2026-03-01"))
    assert reversed_range.value.field == "date_to"


def test_pages_newest_first(session, team):
    for role in ("admin", "billing", "delivery", "sales", "admin"):
        set_role(session, user_actor_of(team.owner), team.sofia.id, role)
        session.commit()
    first = svc.list_audit(session, F(action="update"), page=1, per_page=2)
    assert (first["total"], first["pages"], len(first["rows"])) == (5, 3, 2)
    assert first["rows"][0]["changes"] == "role: sales → admin"  # the last change first
    last = svc.list_audit(session, F(action="update"), page=3, per_page=2)
    assert len(last["rows"]) == 1 and last["rows"][0]["changes"] == "role: sales → admin"
    assert svc.list_audit(session, F(action="update"), page=99, per_page=2)["page"] == 3
    ids = [r["id"] for p in (1, 2, 3) for r in svc.list_audit(session, F(action="update"), page=p, per_page=2)["rows"]]
    assert len(set(ids)) == 5


def test_csv_names_people_and_cannot_run_a_formula(session, team):
    capture(
        session, {"name": '=HYPERLINK("http://evil")', "email": "eve@evil.test", "company": "＝1+1", "message": "hi"}
    )
    _role_change(session, team)
    rows = list(csv.reader(io.StringIO(svc.audit_csv(session, F()))))
    assert rows[0] == svc.CSV_HEADER
    who = {r[2] for r in rows[1:]}
    assert "Olivia Owner" in who
    cells = [c for r in rows[1:] for c in r]
    assert '\'=HYPERLINK("http://evil")' in cells and "'＝1+1" in cells
    assert not any(c[:1] in "=+-@" for c in cells if c)
    role = [r for r in rows if r[4] == "update" and r[7] == "role"]
    assert role and role[0][8:10] == ["sales", "admin"] and role[0][1] == "Europe/Paris"


def test_csv_route_is_for_owners_and_admins(session, team, client):
    _role_change(session, team)
    owner = {"Cookie": f"{SESSION_COOKIE}={create_session(session, team.owner)}"}
    seller = {"Cookie": f"{SESSION_COOKIE}={create_session(session, team.sofia)}"}
    session.commit()
    ok = client.get("/api/v1/audit.csv", params={"entity": "user", "action": "update"}, headers=owner)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/csv")
    lines = ok.text.strip().splitlines()
    assert len(lines) == 2 and "Olivia Owner" in lines[1]
    assert client.get("/api/v1/audit.csv", headers=seller).status_code == 403
    assert client.get("/api/v1/audit.csv").status_code == 401
    assert client.get("/api/v1/audit.csv", params={"date_from": "nope"}, headers=owner).status_code == 422
