"""Fixtures of the pipeline tests (shared with the leads tests)."""

from tests.sales_fixtures import Team, api_key, client, team  # noqa: F401
