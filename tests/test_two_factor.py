"""Two-factor sign-in (TOTP + recovery codes), the organisation's policy, and sessions."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from l2c_app.api.app import build_api
from l2c_app.core import sessions as sess
from l2c_app.core import twofactor as tf
from l2c_app.core.audit import Actor
from l2c_app.core.auth import AuthError, Throttled, authenticate, create_session, create_user, setup_organisation
from l2c_app.core.db import engine_for
from l2c_app.core.models import LoginAttempt, RecoveryCode, TwoFactor, User, UserSession
from l2c_app.ui.session import _lookup

T0 = 1_800_000_000.0  # a fixed clock (2027-01-15), the start of a 30-second step
OWNER = ("olivia@acme.test", "long-password-1")


def make_org(session: Session) -> dict[str, int]:
    _, owner = setup_organisation(
        session,
        org_name="Acme",
        currency="EUR",
        timezone="UTC",
        owner_name="Olivia",
        owner_email=OWNER[0],
        password=OWNER[1],
    )
    sam = create_user(session, name="Sam", email="sam@acme.test", role="sales", password="long-password-2")
    bea = create_user(session, name="Bea", email="bea@acme.test", role="billing", password="long-password-3")
    session.commit()
    return {"owner": owner.id, "sales": sam.id, "billing": bea.id}


def turn_on(session: Session, user_id: int, now: float = T0) -> tuple[str, list[str]]:
    """What the account page does: begin, scan, confirm with the code the app shows at `now`."""
    setup = tf.begin_setup(session, user_id)
    session.commit()
    codes = tf.confirm_setup(session, user_id, pyotp.TOTP(setup["secret"]).at(now), now=now)
    session.commit()
    return setup["secret"], codes


@pytest.fixture
def org(session):
    return make_org(session)


def test_codes_of_the_previous_current_and_next_step_pass_and_no_other(session, org):
    secret, _ = turn_on(session, org["owner"], now=T0 - 300)  # confirmed ten steps earlier
    totp = pyotp.TOTP(secret)
    assert tf.matching_step(secret, totp.at(T0 - 30), 0, now=T0 + 5) == T0 // 30 - 1
    assert tf.matching_step(secret, totp.at(T0 + 30), 0, now=T0 + 5) == T0 // 30 + 1
    assert tf.matching_step(secret, totp.at(T0 - 60), 0, now=T0 + 5) is None
    assert tf.matching_step(secret, totp.at(T0 + 60), 0, now=T0 + 5) is None
    assert tf.matching_step(secret, "12345", 0, now=T0) is None  # not 6 digits
    # one code signs in once: the same code again (a replay, a shoulder-surfer) is refused
    assert tf.check_second_factor(session, org["owner"], totp.at(T0), now=T0) == "totp"
    session.commit()
    assert tf.check_second_factor(session, org["owner"], totp.at(T0), now=T0 + 10) is None
    # and so is an older one still inside the window
    assert tf.check_second_factor(session, org["owner"], totp.at(T0 - 30), now=T0 + 10) is None


def test_set_up_needs_a_right_code_and_gives_ten_recovery_codes(session, org):
    setup = tf.begin_setup(session, org["owner"])
    assert setup["uri"].startswith("otpauth://totp/Acme:olivia%40acme.test?secret=")
    assert setup["qr"].startswith("data:image/svg+xml;base64,")
    session.commit()
    with pytest.raises(AuthError):
        tf.confirm_setup(
            session, org["owner"], "000000" if pyotp.TOTP(setup["secret"]).at(T0) != "000000" else "111111", now=T0
        )
    session.rollback()
    assert not tf.has_two_factor(session, org["owner"])
    codes = tf.confirm_setup(session, org["owner"], pyotp.TOTP(setup["secret"]).at(T0), now=T0)
    session.commit()
    assert len(codes) == len(set(codes)) == 10 and tf.status(session, org["owner"])["recovery_left"] == 10
    with pytest.raises(AuthError):  # on already
        tf.begin_setup(session, org["owner"])


def test_the_secret_and_the_recovery_codes_are_not_readable_in_the_database(session, org):
    secret, codes = turn_on(session, org["owner"])
    stored = session.execute(text("SELECT secret_enc FROM twofactor")).scalar_one()
    assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token
    with pytest.raises(InvalidToken):  # without the key derived from SECRET_KEY it is noise
        Fernet(Fernet.generate_key()).decrypt(stored.encode())
    assert tf.decrypt_secret(stored) == secret
    hashes = session.execute(text("SELECT code_hash FROM recoverycode")).scalars().all()
    assert len(hashes) == 10
    plain = {c.replace("-", "") for c in codes}
    assert not plain & set(hashes) and not any(p in h for p in plain for h in hashes)


def test_a_recovery_code_signs_in_once_and_never_again(session, org):
    _, codes = turn_on(session, org["owner"])
    user = authenticate(session, *OWNER)
    challenge = tf.start_challenge(session, user)
    session.commit()
    token = tf.finish_challenge(session, challenge, codes[0].upper(), now=T0 + 3600)  # typed in capitals
    session.commit()
    assert token and tf.status(session, org["owner"])["recovery_left"] == 9
    challenge = tf.start_challenge(session, user)
    session.commit()
    with pytest.raises(AuthError, match="not right"):
        tf.finish_challenge(session, challenge, codes[0], now=T0 + 3600)
    # an unknown challenge is refused whatever the code
    with pytest.raises(tf.ChallengeExpired):
        tf.finish_challenge(session, "not-a-challenge", codes[1])


def test_two_concurrent_uses_of_one_recovery_code_cannot_both_win(db_url, session, org):
    _, codes = turn_on(session, org["owner"])
    with Session(engine_for(db_url)) as a, Session(engine_for(db_url)) as b:
        first = tf.check_second_factor(a, org["owner"], codes[3])
        a.commit()
        second = tf.check_second_factor(b, org["owner"], codes[3])
        b.commit()
    assert (first, second) == ("recovery", None)


def test_the_second_step_has_its_own_throttle(session, org):
    secret, _ = turn_on(session, org["owner"], now=T0 - 300)
    user = authenticate(session, *OWNER, ip="10.0.0.1")
    session.commit()
    challenge = tf.start_challenge(session, user, "10.0.0.1")
    session.commit()
    for _ in range(tf.CHALLENGE_MAX_FAILURES):
        with pytest.raises(AuthError, match="not right"):
            tf.finish_challenge(session, challenge, "000000", ip="10.0.0.1", now=T0)
    # this challenge is dead even with the right code: the password is asked for again
    with pytest.raises(tf.ChallengeExpired):
        tf.finish_challenge(session, challenge, pyotp.TOTP(secret).at(T0), ip="10.0.0.1", now=T0)
    # a fresh challenge (the attacker knows the password) is throttled per user, from any IP
    challenge = tf.start_challenge(session, user, "10.0.0.9")
    session.commit()
    with pytest.raises(Throttled) as exc:
        tf.finish_challenge(session, challenge, pyotp.TOTP(secret).at(T0), ip="10.0.0.9", now=T0)
    assert 1 <= exc.value.retry_after <= tf.CODE_MAX_WAIT
    # the failed codes do not touch the password throttle of a colleague behind the same IP
    assert authenticate(session, "sam@acme.test", "long-password-2", ip="10.0.0.1").role == "sales"
    # once the wait is over, the right code gets in
    for row in session.exec(select(LoginAttempt)):
        row.at = row.at - timedelta(seconds=tf.CODE_MAX_WAIT + 1)
    session.commit()
    assert tf.finish_challenge(session, challenge, pyotp.TOTP(secret).at(T0), ip="10.0.0.9", now=T0)


def test_turning_off_needs_a_current_code_or_a_recovery_code(session, org):
    secret, codes = turn_on(session, org["owner"], now=T0 - 300)
    with pytest.raises(AuthError):
        tf.disable(session, org["owner"], "000000" if pyotp.TOTP(secret).at(T0) != "000000" else "111111", now=T0)
    session.rollback()
    assert tf.has_two_factor(session, org["owner"])
    tf.disable(session, org["owner"], codes[5], now=T0)
    session.commit()
    assert not tf.has_two_factor(session, org["owner"])
    assert session.exec(select(RecoveryCode)).all() == [] and session.exec(select(TwoFactor)).all() == []


def test_the_policy_sends_owners_admins_and_billing_without_it_to_set_it_up(session, org):
    owner, sales, billing = (session.get(User, org[k]) for k in ("owner", "sales", "billing"))
    assert not any(tf.must_enrol(session, u) for u in (owner, sales, billing))  # off by default
    tf.set_policy(session, Actor("user", owner.id), True)
    session.commit()
    assert tf.must_enrol(session, owner) and tf.must_enrol(session, billing)
    assert not tf.must_enrol(session, sales)
    turn_on(session, owner.id)
    assert not tf.must_enrol(session, owner)
    # what every page's on_load reads: the billing user's session is flagged for set-up
    token = create_session(session, billing)
    session.commit()
    *_, enrol = _lookup(session, token)
    assert enrol is True


def test_sessions_are_listed_and_signed_out_one_or_all(session, org):
    owner, sam = session.get(User, org["owner"]), session.get(User, org["sales"])
    mine = create_session(session, owner, "10.0.0.1", "Firefox")
    create_session(session, owner, "10.0.0.2", "Phone")
    theirs = create_session(session, sam, "10.0.0.3", "Chrome")
    session.commit()
    listed = sess.list_sessions(session, owner.id, mine)
    assert {s["ip"] for s in listed} == {"10.0.0.1", "10.0.0.2"}
    assert [s["current"] for s in listed if s["ip"] == "10.0.0.1"] == [True]
    other_id = next(s["id"] for s in listed if s["ip"] == "10.0.0.2")
    sam_session = session.exec(select(UserSession).where(UserSession.user_id == sam.id)).one()
    with pytest.raises(AuthError):  # nobody signs out a session of another user by id
        sess.sign_out_session(session, Actor("user", owner.id), sam_session.id)
    sess.sign_out_session(session, Actor("user", owner.id), other_id)
    session.commit()
    assert [s["ip"] for s in sess.list_sessions(session, owner.id)] == ["10.0.0.1"]
    with pytest.raises(AuthError) as exc:  # a sales user cannot sign the owner out
        sess.sign_out_everywhere(session, Actor("user", sam.id), owner.id)
    assert exc.value.kind == "forbidden"
    assert sess.sign_out_everywhere(session, Actor("user", owner.id), sam.id) == 1  # an owner can
    session.commit()
    from l2c_app.core.auth import user_for_token

    assert user_for_token(session, theirs) is None and user_for_token(session, mine) is not None
    assert sess.sign_out_everywhere(session, Actor("user", owner.id), owner.id) == 1
    session.commit()
    assert user_for_token(session, mine) is None


# --- the two-step login over HTTP ----------------------------------------------------------


@pytest.fixture
def client(db_url):
    with TestClient(build_api()) as c:
        yield c


@pytest.fixture
def owner_secret(db_url):
    with Session(engine_for(db_url)) as s:
        ids = make_org(s)
        secret, codes = turn_on(s, ids["owner"], now=time.time() - 300)  # steps before now
    return secret, codes


def test_a_right_password_answers_with_a_second_step_and_no_session(client, owner_secret):
    secret, _ = owner_secret
    r = client.post("/api/auth/login", json={"email": OWNER[0], "password": OWNER[1]})
    assert r.status_code == 200 and r.json()["status"] == "code_required"
    assert "l2c_session" not in r.headers.get("set-cookie", "")
    assert client.get("/api/v1/deals").status_code == 401  # not signed in yet
    challenge = r.json()["challenge"]
    r = client.post("/api/auth/login/code", json={"challenge": challenge, "code": "abc"})
    assert r.status_code == 401
    r = client.post("/api/auth/login/code", json={"challenge": challenge, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200 and "l2c_session=" in r.headers["set-cookie"]
    assert client.get("/api/v1/deals").status_code == 200
    # the used challenge cannot sign in a second browser
    r = client.post("/api/auth/login/code", json={"challenge": challenge, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 401 and "again" in r.json()["detail"]


def test_the_form_login_goes_through_the_code_step_with_a_cookie(client, owner_secret):
    _, codes = owner_secret
    r = client.post(
        "/api/auth/login", data={"email": OWNER[0], "password": OWNER[1], "next": "/invoices"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?step=code&next=%2Finvoices"
    assert "l2c_2fa=" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert "l2c_session" not in r.headers["set-cookie"]
    r = client.post("/api/auth/login/code", data={"code": "000000", "next": "/invoices"}, follow_redirects=False)
    assert r.status_code == 303 and "step=code" in r.headers["location"] and "error=code" in r.headers["location"]
    r = client.post("/api/auth/login/code", data={"code": codes[0], "next": "/invoices"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/invoices"
    assert "l2c_session=" in r.headers["set-cookie"]


def test_the_second_step_throttle_answers_429(client, owner_secret):
    secret, _ = owner_secret
    for wrong in (3, 2):  # two challenges, 5 wrong codes in all
        challenge = client.post("/api/auth/login", json={"email": OWNER[0], "password": OWNER[1]}).json()["challenge"]
        for _ in range(wrong):
            r = client.post("/api/auth/login/code", json={"challenge": challenge, "code": "00000a"})
            assert r.status_code == 401
    r = client.post("/api/auth/login/code", json={"challenge": challenge, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_bad_second_step_bodies_are_422_not_500(client, owner_secret):
    for body in ([1], "x", {"code": 5}, {"challenge": ["x"], "code": "1"}):
        assert client.post("/api/auth/login/code", json=body).status_code == 422
    assert client.post("/api/auth/login/code", json={"code": "123456"}).status_code == 401


def test_a_required_role_without_two_factor_is_sent_to_set_it_up(client, db_url):
    with Session(engine_for(db_url)) as s:
        ids = make_org(s)
        tf.set_policy(s, Actor("user", ids["owner"]), True)
        s.commit()
    r = client.post(
        "/api/auth/login", data={"email": OWNER[0], "password": OWNER[1], "next": "/deals"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/account?two_factor=required"
    r = client.post("/api/auth/login", json={"email": "sam@acme.test", "password": "long-password-2"})
    assert r.json() == {"status": "ok", "two_factor_setup_required": False}
