"""Schemathesis over the whole OpenAPI document: no input a caller can send is a 5xx.

Runs in CI (the default `make test`), in-process through the ASGI app (no server, no
network), on SQLite, signed with an API key. The database holds a small world (a lead, a
won client with a contact, a deal, a project with a budget line and approved hours), built
once through the services and copied for every operation (each starts from the same
records, whatever the operation before it wrote: building it per operation was half the run), and
small integer path ids are folded onto 1..3 so most requests reach a real record instead
of a 404; ids far out of range stay as generated (they test the edge's bounds). Examples
are bounded (`EXAMPLES` per operation) so the whole run stays within ~3 minutes on a
2-core machine; a failure prints the request to reproduce it.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from l2c_app.api.app import build_api
from tests.delivered import a_delivered_project, a_won_client

APP = build_api()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)

EXAMPLES = 20  # per operation; 56 operations: ~1 minute on a busy 2-core machine
SECRET_KEY = "test-secret-key-0123456789"  # as tests/conftest.db_url sets it


@pytest.fixture(scope="module")
def fuzz_world(_templates, tmp_path_factory) -> tuple[str, str]:
    """An organisation with its owner and sellers (tests/sales_fixtures.py), some records,
    and the API key every generated request is signed with: built once, in a file each
    operation copies (as `db_url` copies the migrated template). Returns (file, key)."""
    from sqlmodel import Session

    from l2c_app.core.config import reset_settings
    from l2c_app.core.db import engine_for
    from l2c_app.leads.service import capture
    from tests.sales_fixtures import make_api_key, make_team

    world = tmp_path_factory.mktemp("fuzz") / "world.db"
    shutil.copy(_templates["sqlite"], world)
    url = f"sqlite:///{world}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setenv("SECRET_KEY", SECRET_KEY)
        reset_settings()
        with Session(engine_for(url), expire_on_commit=False) as session:
            make_team(session)
            key = make_api_key(session)
            capture(
                session,
                {"name": "Lena Lead", "email": "lena@lead.test", "company": "Lead Co", "message": "We need a website"},
            )
            client = a_won_client(session, "Fuzz Client", contact=("Carl Client", "carl@client.test"))
            a_delivered_project(session, client, "Website build", role="Developer", rate_minor=9500, entries=3)
            from sqlmodel import select

            from l2c_app.core.models import ApiKey

            for row in session.exec(select(ApiKey)):  # thousands of requests a minute: past the default rate limit
                row.rate_limit_per_minute = 10**6
            session.commit()
        engine_for(url).dispose()
    reset_settings()
    return str(world), key


@pytest.fixture
def fuzz_headers(fuzz_world, tmp_path, monkeypatch):
    """A fresh copy of the world made the app's database for one operation; the signed headers."""
    from l2c_app.core.config import reset_settings
    from l2c_app.core.db import engine_for

    world, key = fuzz_world
    target = tmp_path / "l2c.db"
    shutil.copy(world, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    reset_settings()
    yield {"Authorization": f"Bearer {key}"}
    engine_for(url).dispose()
    reset_settings()


def _onto_records(case) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name.endswith("_id") and isinstance(value, int) and abs(value) < 1000:
            case.path_parameters[name] = abs(value) % 3 + 1


# The one backend it runs on, as a parameter: under pytest 9 schemathesis puts the operation
# in the test id ("[GET /api/v1/deals][sqlite]") only for items that have a parameter.
@pytest.mark.parametrize("backend", ["sqlite"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_no_input_is_a_server_error(case, fuzz_headers, backend):
    _onto_records(case)
    response = case.call(headers=fuzz_headers)
    case.validate_response(response, checks=(not_a_server_error,))
