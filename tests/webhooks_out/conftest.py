from __future__ import annotations

import pytest

from tests.sales_fixtures import Team, api_key, client, team  # noqa: F401
from tests.webhooks_out.receiver import Receiver


@pytest.fixture
def allow_private(db_url, monkeypatch):
    """WEBHOOKS_ALLOW_PRIVATE=1: the receiver is on 127.0.0.1."""
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()
