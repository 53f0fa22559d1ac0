"""Auth rules on SQLite and PostgreSQL: setup once, login, throttling, sessions, API keys."""

from datetime import timedelta

import pytest
from sqlmodel import select

from l2c_app.core.auth import (
    AuthError,
    Throttled,
    api_key_for,
    authenticate,
    create_api_key,
    create_session,
    create_user,
    revoke_session,
    set_role,
    setup_needed,
    setup_organisation,
    user_for_token,
)
from l2c_app.core.models import AuditLog, User, UserSession
from l2c_app.core.timeutil import utcnow


def make_org(session):
    org, owner = setup_organisation(
        session,
        org_name="Acme",
        currency="eur",
        timezone="Europe/Paris",
        owner_name="Olivia",
        owner_email="Olivia@Acme.test",
        password="long-password-1",
    )
    session.commit()
    return org, owner


def test_setup_creates_org_and_owner_once(session):
    assert setup_needed(session)
    org, owner = make_org(session)
    assert (org.currency, owner.role, owner.email) == ("EUR", "owner", "olivia@acme.test")
    assert owner.password_hash.startswith("$argon2id$")
    with pytest.raises(AuthError, match="already set up"):
        setup_organisation(
            session,
            org_name="Other",
            currency="EUR",
            timezone="UTC",
            owner_name="X",
            owner_email="x@x.test",
            password="long-password-1",
        )


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("currency", "EURO", "ISO currency"),
        ("timezone", "Mars/Base", "time zone"),
        ("password", "short", "at least 10"),
        ("owner_email", "not-an-email", "valid e-mail"),
    ],
)
def test_setup_rejects_bad_input_and_stores_nothing(session, field, value, message):
    args = dict(
        org_name="Acme",
        currency="EUR",
        timezone="UTC",
        owner_name="O",
        owner_email="o@a.test",
        password="long-password-1",
    )
    args[field] = value
    with pytest.raises(AuthError, match=message):
        setup_organisation(session, **args)
    session.rollback()
    assert setup_needed(session)


def test_login_does_not_say_which_half_was_wrong(session):
    make_org(session)
    with pytest.raises(AuthError) as unknown:
        authenticate(session, "nobody@acme.test", "long-password-1")
    with pytest.raises(AuthError) as wrong:
        authenticate(session, "olivia@acme.test", "wrong-password")
    assert str(unknown.value) == str(wrong.value) == "Wrong e-mail or password."
    assert authenticate(session, " OLIVIA@acme.test ", "long-password-1").email == "olivia@acme.test"


def test_repeated_failures_are_slowed_down(session):
    make_org(session)
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(session, "olivia@acme.test", "wrong", ip="10.0.0.9")
        session.commit()
    with pytest.raises(Throttled) as exc:
        authenticate(session, "olivia@acme.test", "long-password-1", ip="10.0.0.9")
    assert exc.value.retry_after >= 1
    # Another IP guessing a different account is not blocked by this one.
    create_user(session, name="Sam", email="sam@acme.test", role="sales", password="long-password-2")
    assert authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.10").role == "sales"


def test_session_token_expires_and_logout_revokes(session):
    _, owner = make_org(session)
    token = create_session(session, owner)
    session.commit()
    assert user_for_token(session, token).id == owner.id
    assert user_for_token(session, token + "x") is None
    row = session.exec(select(UserSession)).one()
    assert row.token_hash != token  # only the hash is stored
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert user_for_token(session, token) is None
    token2 = create_session(session, owner)
    revoke_session(session, token2)
    session.commit()
    assert user_for_token(session, token2) is None


def test_deactivated_user_cannot_log_in(session):
    make_org(session)
    sam = create_user(session, name="Sam", email="sam@acme.test", role="sales", password="long-password-2")
    sam.is_active = False
    session.commit()
    with pytest.raises(AuthError):
        authenticate(session, "sam@acme.test", "long-password-2")


def test_last_owner_cannot_be_demoted_and_changes_are_audited(session):
    _, owner = make_org(session)
    from l2c_app.core.audit import Actor

    with pytest.raises(AuthError, match="at least one owner"):
        set_role(session, Actor("user", owner.id), owner.id, "sales")
    sam = create_user(session, name="Sam", email="sam@acme.test", role="sales", password="long-password-2")
    set_role(session, Actor("user", owner.id), sam.id, "billing")
    session.commit()
    audit = session.exec(
        select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == sam.id, AuditLog.action == "update")
    ).one()
    assert audit.before == {"role": "sales"} and audit.after == {"role": "billing"}
    assert (
        "password_hash"
        not in session.exec(select(AuditLog).where(AuditLog.action == "create", AuditLog.entity == "user"))
        .first()
        .after
    )


def test_api_key_shown_once_and_stored_hashed(session):
    row, secret = create_api_key(session, "website")
    session.commit()
    assert secret.startswith("l2c_") and row.key_hash != secret
    assert api_key_for(session, secret).id == row.id
    assert api_key_for(session, secret[:-1] + "x") is None
    assert api_key_for(session, None) is None


def test_users_emails_are_unique_case_insensitively(session):
    make_org(session)
    with pytest.raises(AuthError, match="already exists"):
        create_user(session, name="Dup", email="OLIVIA@acme.test", role="sales", password="long-password-3")
    assert len(session.exec(select(User)).all()) == 1


def test_invitation_lets_the_member_choose_a_password_once(session):
    from l2c_app.core.auth import accept_invitation, invite_user
    from l2c_app.core.models import OutboxMessage

    make_org(session)
    user, token = invite_user(session, name="Ivy", email="ivy@acme.test", role="billing")
    session.commit()
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.to == "ivy@acme.test")).one()
    assert mail.status == "outbox" and mail.link.endswith(f"/invite/{token}") and token in mail.body
    with pytest.raises(AuthError):  # no password yet: cannot sign in
        authenticate(session, "ivy@acme.test", "")
    session.rollback()
    with pytest.raises(AuthError, match="at least 10"):
        accept_invitation(session, token, "short")
    accept_invitation(session, token, "ivy-password-1")
    session.commit()
    assert authenticate(session, "ivy@acme.test", "ivy-password-1").id == user.id
    with pytest.raises(AuthError, match="not valid any more"):
        accept_invitation(session, token, "another-password")


# --- signed in after setup: the one-time ticket --------------------------------------------------


def test_setup_ticket_signs_the_new_owner_in_once(session):
    from l2c_app.core.auth import redeem_setup_ticket, setup_signin_ticket

    _, owner = make_org(session)
    ticket = setup_signin_ticket(owner)
    token = redeem_setup_ticket(session, ticket)
    session.commit()
    assert user_for_token(session, token).id == owner.id
    # The first use made a session: the same link (history, a proxy log) signs nobody in again.
    with pytest.raises(AuthError, match="not valid any more"):
        redeem_setup_ticket(session, ticket)


def test_setup_ticket_refuses_forged_and_expired(session):
    from l2c_app.core.auth import SETUP_TICKET_SECONDS, redeem_setup_ticket, setup_signin_ticket
    from l2c_app.core.timeutil import utcnow

    _, owner = make_org(session)
    good = setup_signin_ticket(owner)
    uid, issued, mac = good.split(".")
    old = setup_signin_ticket(owner, now=int(utcnow().timestamp()) - SETUP_TICKET_SECONDS - 5)
    for bad in (f"{uid}.{issued}.{'0' * len(mac)}", f"{int(uid) + 1}.{issued}.{mac}", old, "", "a.b.c", "1.2"):
        with pytest.raises(AuthError) as err:
            redeem_setup_ticket(session, bad)
        assert err.value.kind == "forbidden"
    assert redeem_setup_ticket(session, good)  # the genuine one still works


def test_the_app_hashes_passwords_with_argon2id_at_its_full_cost():
    """The suite swaps in a cheap hasher (tests/conftest.py); the app's own is argon2's default
    cost or more, and a hash it makes verifies with the suite's (the parameters live in the hash)."""
    from argon2 import PasswordHasher

    from l2c_app.core import auth
    from tests.conftest import PRODUCTION_HASHER

    default = PasswordHasher()
    assert PRODUCTION_HASHER.time_cost >= default.time_cost >= 3
    assert PRODUCTION_HASHER.memory_cost >= default.memory_cost >= 65536
    strong = PRODUCTION_HASHER.hash("long-password-1")
    assert strong.startswith("$argon2id$") and "m=65536" in strong
    assert auth.verify_password(strong, "long-password-1") and not auth.verify_password(strong, "long-password-2")
