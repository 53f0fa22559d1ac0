import pytest

from tests.billing.factory import World


@pytest.fixture
def world(session):
    w = World(session)
    session.commit()
    return w
