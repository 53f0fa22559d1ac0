"""The API commits before it answers: a 2xx means the write is in the database.

The probe sits between the app and the client: at the very moment the app starts its
2xx response (`http.response.start`), a SECOND database connection counts the rows. With
the old request-scoped dependency the commit ran after the response went out, so the
probe saw one row fewer than the client was told exist.
"""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, pool, select
from sqlalchemy.exc import IntegrityError, OperationalError

from l2c_app.pipeline.models import Deal
from tests.sales_fixtures import api_key, team  # noqa: F401  (fixtures)


def _second_connection_counter(db_url: str):
    engine = create_engine(db_url, poolclass=pool.NullPool)  # not the app's pool: another connection

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Deal)).scalar_one()

    return engine, count


class ProbeAtResponseStart:
    """ASGI wrapper: when a 2xx starts, record what another connection sees right then."""

    def __init__(self, app, count):
        self.app, self.count, self.seen = app, count, []

    async def __call__(self, scope, receive, send):
        async def probing_send(message):
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                self.seen.append(self.count())
            await send(message)

        await self.app(scope, receive, probing_send)


def test_every_api_write_is_visible_to_another_connection_when_the_2xx_arrives(session, db_url, api_key):  # noqa: F811
    from l2c_app.api.app import build_api

    engine, count = _second_connection_counter(db_url)
    try:
        start = count()
        probe = ProbeAtResponseStart(build_api(), count)
        client = TestClient(probe)
        headers = {"Authorization": f"Bearer {api_key}"}
        for i in range(100):
            r = client.post("/api/v1/deals", json={"title": f"Deal {i}", "value": 1000 + i}, headers=headers)
            assert r.status_code == 201, r.text
        assert probe.seen == [start + i + 1 for i in range(100)]  # 100 of 100 visible at the 2xx
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "error, status",
    [
        (OperationalError("COMMIT", {}, Exception("disk I/O error")), 503),
        (IntegrityError("COMMIT", {}, Exception("duplicate key")), 409),
    ],
)
def test_a_failed_commit_answers_an_error_and_saves_nothing(
    session,
    db_url,
    api_key,  # noqa: F811
    monkeypatch,
    error,  # noqa: F811
    status,
):
    from sqlmodel import Session

    from l2c_app.api.app import build_api

    engine, count = _second_connection_counter(db_url)
    try:
        before = count()

        def failing_commit(self):
            raise error

        monkeypatch.setattr(Session, "commit", failing_commit)
        client = TestClient(build_api(), raise_server_exceptions=False)
        r = client.post(
            "/api/v1/deals", json={"title": "Never saved", "value": 1}, headers={"Authorization": f"Bearer {api_key}"}
        )
        assert r.status_code == status, r.text
        assert "nothing was saved" in r.json()["detail"]
        monkeypatch.undo()
        assert count() == before
    finally:
        engine.dispose()


def test_every_route_gets_its_session_from_the_function_scoped_unit_of_work():
    """Guard: no route (nor `require()`) reaches a request-scoped generator, whose exit
    (a commit) FastAPI would run after the response is sent; their session comes from
    `deps._unit_of_work`, which exits with FastAPI's function-scoped exit stack."""
    from l2c_app.api import auth_routes, deps
    from l2c_app.api.app import STAGE_ROUTERS

    def walk(dependant):
        for sub in dependant.dependencies:
            yield sub
            yield from walk(sub)

    checked = 0
    routes = [r for m in [auth_routes, *STAGE_ROUTERS] for r in m.router.routes]
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        for sub in walk(dependant):
            if inspect.isgeneratorfunction(sub.call) or inspect.isasyncgenfunction(sub.call):
                assert sub.scope == "function", f"{route.path}: {sub.call.__name__} is request-scoped"
            if sub.call in (deps.db, deps.optional_principal):  # both end in deps._unit_of_work
                checked += 1
    assert checked > 30  # the stage routers' routes do reach it
