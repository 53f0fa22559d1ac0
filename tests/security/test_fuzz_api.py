"""Schemathesis over the whole OpenAPI document: no input a caller can send is a 5xx.

Runs in CI (the default `make test`), in-process through the ASGI app (no server, no
network), on SQLite, signed with an API key. The database holds a small world (a lead, a
won client with a contact, a deal, a project with a budget line and approved hours), and
small integer path ids are folded onto 1..3 so most requests reach a real record instead
of a 404; ids far out of range stay as generated (they test the edge's bounds). Examples
are bounded (`EXAMPLES` per operation) so the whole run stays within ~3 minutes on a
2-core machine; a failure prints the request to reproduce it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from l2c_app.api.app import build_api
from tests.delivered import a_delivered_project, a_won_client

APP = build_api()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)

EXAMPLES = 20  # per operation; 56 operations: ~2.5 minutes on a busy 2-core machine


@pytest.fixture
def fuzz_headers(session, team, api_key):
    """An organisation with its owner and sellers (tests/sales_fixtures.py), some records,
    and the API key every generated request is signed with."""
    from l2c_app.leads.service import capture

    capture(session, {"name": "Lena Lead", "email": "lena@lead.test", "company": "Lead Co",
                      "message": "We need a website"})
    client = a_won_client(session, "Fuzz Client", contact=("Carl Client", "carl@client.test"))
    a_delivered_project(session, client, "Website build", role="Developer", rate_minor=9500, entries=3)
    from sqlmodel import select

    from l2c_app.core.models import ApiKey

    for key in session.exec(select(ApiKey)):  # thousands of requests a minute: past the default rate limit
        key.rate_limit_per_minute = 10**6
    session.commit()
    return {"Authorization": f"Bearer {api_key}"}


def _onto_records(case) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name.endswith("_id") and isinstance(value, int) and abs(value) < 1000:
            case.path_parameters[name] = abs(value) % 3 + 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_is_a_server_error(case, fuzz_headers, db_url):
    _onto_records(case)
    response = case.call(headers=fuzz_headers)
    case.validate_response(response, checks=(not_a_server_error,))
