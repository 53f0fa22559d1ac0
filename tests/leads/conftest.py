"""Fixtures of the leads tests (shared with the pipeline tests)."""

from tests.sales_fixtures import Team, api_key, client, team  # noqa: F401
