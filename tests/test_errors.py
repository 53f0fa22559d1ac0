"""One error type: the HTTP status follows from the kind, never from the message text."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from l2c_app.core.errors import Conflict, DomainError, NotFound, http_handler, ui_message


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (DomainError("Quantity must be 0 or more", "quantity"), 422),
        (NotFound("Is not there", "invoice_id"), 404),
        (Conflict("No invoice may take these items", "sources"), 409),  # "No " in the text changes nothing
        (DomainError("No such thing", kind="forbidden"), 403),
        (DomainError("Too long", "description", kind="too_large"), 413),
        (DomainError("DocuSign refused the envelope", "provider", kind="upstream"), 502),
    ],
)
def test_status_follows_kind_and_body_names_field(exc, status):
    api = FastAPI()
    api.add_exception_handler(DomainError, http_handler)

    @api.get("/x")
    def boom():
        raise exc

    res = TestClient(api).get("/x")
    assert res.status_code == status
    body = res.json()
    assert body["error"]["kind"] == exc.kind and body["error"]["field"] == exc.field
    assert body["detail"] == (f"{exc.field}: {exc.message}" if exc.field else exc.message)
    assert body["error"]["code"] == exc.code


def test_ui_message_hides_internal_errors():
    assert ui_message(DomainError("Pick a client", "account_id")) == "Pick a client"
    assert "nothing was saved" in ui_message(RuntimeError("psycopg.OperationalError: secret dsn"))
    assert "secret" not in ui_message(RuntimeError("psycopg.OperationalError: secret dsn"))


def test_org_today_is_the_organisations_date_not_the_servers(session):
    from datetime import UTC, date, datetime

    from l2c_app.core.auth import setup_organisation
    from l2c_app.core.timeutil import org_today, today_in

    # 2026-03-10 11:30 UTC is already 03-11 in Kiritimati (UTC+14) and still 03-10 in Honolulu.
    now = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
    assert today_in("Pacific/Kiritimati", now) == date(2026, 3, 11)
    assert today_in("Pacific/Honolulu", datetime(2026, 3, 10, 5, 0, tzinfo=UTC)) == date(2026, 3, 9)
    setup_organisation(
        session,
        org_name="East",
        currency="EUR",
        timezone="Pacific/Kiritimati",
        owner_name="O",
        owner_email="o@e.test",
        password="owner-password-1",
    )
    assert org_today(session, now) == date(2026, 3, 11)
