"""`l2c demo load`: the delivery part turns signed contracts into projects with time."""

from sqlmodel import select

from l2c_app.projects import demo
from l2c_app.projects.models import ChangeOrder, Project, TimeEntry


def test_demo_makes_projects_from_signed_contracts(session, world):
    ctx = {"users": {"dan@northwind.test": world.dev.id, "ada@northwind.test": world.owner.id}}
    demo.load(session, ctx)
    project = session.exec(select(Project)).one()
    assert ctx["project_ids"] == [project.id] and project.contract_id == world.contract.id
    entries = session.exec(select(TimeEntry)).all()
    assert len(entries) == 8 and sum(1 for e in entries if e.approved_at) == 5
    assert session.exec(select(ChangeOrder)).one().status == "sent"
    demo.load(session, ctx)  # idempotent: nothing new on a second run
    assert len(session.exec(select(Project)).all()) == 1
