"""The per-event guard: one query, refuses before the handler runs, names the viewer; and the
one way a state calls a service turns errors into what a person may read."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from l2c_app.core.auth import create_session, create_user, setup_organisation
from l2c_app.core.errors import Conflict
from l2c_app.ui.guard import call_service, current_access, guard
from l2c_app.ui.session import Access, Viewer, _lookup, _viewer_row
from tests.conftest import run_async


@contextmanager
def counted(session):
    """Every SQL statement the session's engine runs inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _world(session):
    _, owner = setup_organisation(
        session,
        org_name="Guarded",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olga Owner",
        owner_email="olga@g.test",
        password="owner-password-1",
    )
    dev = create_user(session, name="Dev", email="dev@g.test", role="sales", password="sales-password-1")
    session.commit()
    return owner, dev


def test_a_guard_check_costs_one_query(session):
    owner, _ = _world(session)
    token = create_session(session, owner)
    session.commit()
    session.expunge_all()  # as in run_db: a fresh session, nothing cached
    with counted(session) as before:
        viewer, *_ = _lookup(session, token)  # what every event ran until the guard
    session.rollback()
    session.expunge_all()
    with counted(session) as after:
        guarded = _viewer_row(session, token)
    assert guarded == viewer == Viewer(owner.id, "Olga Owner", "olga@g.test", "owner")
    assert len(before) == 4 and len(after) == 1


def test_the_guard_query_refuses_dead_sessions(session):
    from l2c_app.core.auth import revoke_session

    owner, dev = _world(session)
    token, dev_token = create_session(session, owner), create_session(session, dev)
    session.commit()
    assert _viewer_row(session, None) is None and _viewer_row(session, token + "x") is None
    revoke_session(session, token)
    dev.is_active = False  # directly: set_active would also revoke the session, hiding this check
    session.add(dev)
    session.commit()
    assert _viewer_row(session, token) is None and _viewer_row(session, dev_token) is None


class _Stub:
    """Stands in for a state: `_access` answers what the test says."""

    def __init__(self, viewer):
        self.viewer, self.ran = viewer, []

    async def _access(self, section):
        return Access(self.viewer, section, "/invoices")

    @guard("invoices")
    async def issue(self, invoice_id: int):
        self.ran.append((invoice_id, current_access().viewer.id))
        return "issued"

    @guard("invoices")
    async def stream(self):
        yield "busy"
        self.ran.append(current_access().viewer.id)
        yield "done"


def test_guard_refuses_before_the_handler_runs_and_names_the_viewer():
    billing = _Stub(Viewer(7, "B", "b@x.test", "billing"))
    assert run_async(billing.issue(3)) == "issued" and billing.ran == [(3, 7)]
    assert current_access() is None  # nothing leaks past the event

    member = _Stub(Viewer(8, "S", "s@x.test", "sales"))  # sales may not use invoices
    refused = run_async(member.issue(3))
    assert member.ran == [] and "may not" in str(refused)
    nobody = _Stub(None)
    assert "/login" in str(run_async(nobody.issue(3))) and nobody.ran == []

    async def collect(stub):
        return [e async for e in stub.stream()]

    assert run_async(collect(billing))[::2] == ["busy"] and billing.ran[-1] == 7
    refused_stream = run_async(collect(member))
    assert len(refused_stream) == 1 and member.ran == []


def test_call_shows_domain_messages_and_hides_internal_text(session):
    def conflict(_s):
        raise Conflict("This invoice was just issued", "status")

    def crash(_s):
        raise RuntimeError("psycopg.OperationalError: password=secret host=db")

    ok = run_async(call_service(lambda s, x: x * 2, 21))
    assert ok.ok and ok.value == 42 and ok.toast() is None
    bad = run_async(call_service(conflict))
    assert not bad.ok and bad.error == "This invoice was just issued" and bad.field == "status"
    hidden = run_async(call_service(crash))
    assert not hidden.ok and "secret" not in hidden.error and "nothing was saved" in hidden.error
