"""A public request without credentials costs no session and no thread in the dependencies.

`optional_principal` used to depend on the request's session (a sync generator): every
public post to the lead form built a Session and entered and left it in the thread pool,
before the route even read its body. Now the unit of work opens on first use: only a
request that names a caller (Authorization header, session cookie) or a route that takes
the session pays for it.
"""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.sales_fixtures import api_key, team  # noqa: F401  (fixtures)


@pytest.fixture
def spies(monkeypatch):
    """Count Sessions built by the API dependencies and calls into anyio's thread pool."""
    from l2c_app.api import deps

    counts = {"sessions": 0, "threads": 0}
    real_session, real_run_sync = deps.Session, anyio.to_thread.run_sync

    class CountingSession(real_session):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            counts["sessions"] += 1
            super().__init__(*args, **kwargs)

    async def counting_run_sync(*args, **kwargs):
        counts["threads"] += 1
        return await real_run_sync(*args, **kwargs)

    monkeypatch.setattr(deps, "Session", CountingSession)
    monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)
    return counts


def test_a_public_post_without_credentials_opens_no_session_and_no_thread(db_url, spies):
    from l2c_app.api.app import build_api

    client = TestClient(build_api())
    spies.update(sessions=0, threads=0)
    r = client.post("/api/v1/leads", content=b"[1]", headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text  # the bare lead request: refused before any DB work
    assert spies == {"sessions": 0, "threads": 0}

    r = client.post("/api/v1/leads", json={"name": "Ada Public", "email": "ada.public@example.com"})
    assert r.status_code == 201, r.text
    assert spies["sessions"] == 0  # the route's own work runs in core/db.run_db, not in a dependency


def test_a_caller_with_a_key_is_still_looked_up_in_the_request_unit_of_work(session, db_url, api_key, spies):  # noqa: F811
    from l2c_app.api.app import build_api
    from l2c_app.core.models import ApiKey

    client = TestClient(build_api())
    spies.update(sessions=0, threads=0)
    r = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 200, r.text
    assert spies["sessions"] == 1  # one unit of work, shared by the principal and the route
    session.expire_all()
    assert session.exec(select(ApiKey)).one().last_used_at is not None  # committed with the route's work

    r = client.post(
        "/api/v1/leads", json={"name": "X", "email": "x@example.com"}, headers={"Authorization": "Bearer bad"}
    )
    assert r.status_code == 401
    r = client.get("/api/v1/leads", cookies={"l2c_session": "not-a-session"})
    assert r.status_code == 401
