from tests.sales_fixtures import Team, api_key, client, team  # noqa: F401
