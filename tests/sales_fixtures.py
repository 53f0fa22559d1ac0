"""Fixtures shared by the leads and pipeline tests: an organisation with an owner and two sellers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from l2c_app.core.auth import create_api_key, create_user, setup_organisation
from l2c_app.core.models import User


@dataclass
class Team:
    owner: User
    sam: User
    sofia: User


def make_team(session) -> Team:
    """The organisation and its three people, committed (for fixtures that build a world once)."""
    _, owner = setup_organisation(
        session,
        org_name="Acme Studio",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia Owner",
        owner_email="olivia@acme.test",
        password="long-password-1",
    )
    sam = create_user(session, name="Sam Seller", email="sam@acme.test", role="sales", password="long-password-2")
    sofia = create_user(session, name="Sofia Sales", email="sofia@acme.test", role="sales", password="long-password-3")
    session.commit()
    return Team(owner, sam, sofia)


@pytest.fixture
def team(session) -> Team:
    return make_team(session)


def make_api_key(session) -> str:
    _, secret = create_api_key(session, "website backend")
    session.commit()
    return secret


@pytest.fixture
def api_key(session, team) -> str:
    return make_api_key(session)


@pytest.fixture
def client(db_url) -> TestClient:
    from l2c_app.api.app import build_api

    return TestClient(build_api())
