"""TOTP two-factor sign-in, recovery codes and the organisation's "required" policy. No Reflex.

Threat model:
- A database leak must not give a usable second factor: the TOTP secret is encrypted with
  Fernet under a key derived from SECRET_KEY (kept outside the database), and recovery
  codes are stored as an HMAC keyed the same way (50 random bits each: a plain hash could be
  searched offline).
- Someone who knows the password must not guess the code: the second step is its own
  throttle (per user and per IP, failures kept in `LoginAttempt` under the key
  `code:<user id>`), a challenge dies after CHALLENGE_MAX_FAILURES wrong codes or
  CHALLENGE_MINUTES, and a code is accepted once (the step of the last accepted code is
  stored; the previous and the next 30-second step are accepted for clock drift).
- A recovery code is spent by one conditional UPDATE, so two concurrent uses cannot both win.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time
from datetime import timedelta

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from l2c_app.core.audit import Actor, record_action, record_update, snapshot
from l2c_app.core.auth import FAILURE_WINDOW, AuthError, Throttled, _wait_after, create_session, get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.models import LoginAttempt, LoginChallenge, Organisation, RecoveryCode, TwoFactor, User
from l2c_app.core.timeutil import utcnow

REQUIRED_ROLES = ("owner", "admin", "billing")
POLICY_KEY = "require_two_factor"
RECOVERY_CODES = 10
STEP_SECONDS = 30
CHALLENGE_MINUTES = 5
CHALLENGE_MAX_FAILURES = 5
CODE_FREE_FAILURES = 5  # per user in auth.FAILURE_WINDOW, then 2, 4 ... CODE_MAX_WAIT seconds
CODE_MAX_WAIT = 300
CODE_IP_FREE_FAILURES = 50
CHALLENGE_COOKIE = "l2c_2fa"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are typed from paper


class ChallengeExpired(AuthError):
    """The second step cannot go on: sign in with the password again."""

    def __init__(self):
        super().__init__(
            "Your sign-in timed out or had too many wrong codes. Enter your e-mail and password again.",
            kind="forbidden",
        )


# --- secrets at rest ---------------------------------------------------------------------


def _derived(purpose: str) -> bytes:
    return hmac.new(get_settings().secret_key.encode(), f"l2c:{purpose}:v1".encode(), hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived("totp-secret")))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the user must set two-factor up again
        raise AuthError(
            "Your two-factor secret cannot be read: the server's SECRET_KEY changed. "
            "Ask your administrator to restore it.",
            kind="conflict",
        ) from None


def _code_hash(code: str) -> str:
    return hmac.new(_derived("recovery-code"), _normal_recovery(code).encode(), hashlib.sha256).hexdigest()


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


# --- codes ----------------------------------------------------------------------------


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The 30-second step `code` belongs to (previous, current or next), if newer than `last_step`."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(_now(now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _enabled_row(session: Session, user_id: int) -> TwoFactor | None:
    row = session.exec(select(TwoFactor).where(col(TwoFactor.user_id) == user_id)).first()
    return row if row is not None and row.enabled_at is not None else None


def has_two_factor(session: Session, user_id: int) -> bool:
    return _enabled_row(session, user_id) is not None


def _use_recovery_code(session: Session, user_id: int, code: str) -> bool:
    if len(_normal_recovery(code)) != 10:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.code_hash) == _code_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's CursorResult


def check_second_factor(session: Session, user_id: int, code: str, now: float | None = None) -> str | None:
    """'totp' or 'recovery' when `code` is a fresh authenticator code or an unused recovery
    code of the user (which is then spent), else None."""
    row = _enabled_row(session, user_id)
    if row is None:
        return None
    step = matching_step(decrypt_secret(row.secret_enc), code, row.last_step, now)
    if step is not None:
        row.last_step = step
        session.add(row)
        return "totp"
    return "recovery" if _use_recovery_code(session, user_id, code) else None


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user_id, code_hash=_code_hash(raw)))
    return codes


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
        ).all()
    )


# --- turning it on and off ---------------------------------------------------------------


def qr_svg_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (an <img> of it runs no script)."""
    import qrcode  # type: ignore[import-untyped]
    import qrcode.image.svg  # type: ignore[import-untyped]

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def begin_setup(session: Session, user_id: int) -> dict:
    """A new secret waiting for its first code: {secret, uri, qr}. Replaces an unconfirmed one."""
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("No such user.", kind="not_found")
    if has_two_factor(session, user_id):
        raise AuthError("Two-factor sign-in is already on.", kind="conflict")
    secret = pyotp.random_base32()
    row = session.exec(select(TwoFactor).where(col(TwoFactor.user_id) == user_id)).first() or TwoFactor(
        user_id=user_id, secret_enc=""
    )
    row.secret_enc, row.enabled_at, row.last_step = encrypt_secret(secret), None, 0
    session.add(row)
    org = get_organisation(session)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=org.name if org else "l2c")
    return {"secret": secret, "uri": uri, "qr": qr_svg_data_uri(uri)}


def confirm_setup(session: Session, user_id: int, code: str, now: float | None = None) -> list[str]:
    """Turn two-factor on with a first valid code; returns the recovery codes (shown once)."""
    row = session.exec(select(TwoFactor).where(col(TwoFactor.user_id) == user_id)).first()
    if row is None or row.enabled_at is not None:
        raise AuthError("Start the set-up again: no two-factor set-up is waiting.", kind="conflict")
    step = matching_step(decrypt_secret(row.secret_enc), code, 0, now)
    if step is None:
        raise AuthError("That code is not right. Enter the 6 digits your app shows now.", "code")
    row.enabled_at, row.last_step = utcnow(), step
    session.add(row)
    codes = _new_recovery_codes(session, user_id)
    record_action(session, Actor("user", user_id), "user", user_id, "two_factor_on")
    return codes


def _proven(session: Session, user_id: int, code: str, now: float | None) -> None:
    """A signed-in user proves the second factor again (turning it off, new codes). Throttled
    like the login's second step: a borrowed session must not guess its way to turning it off."""
    wait = _code_retry_after(session, user_id, None)
    if wait:
        raise Throttled(wait)
    if check_second_factor(session, user_id, code, now) is None:
        session.add(LoginAttempt(email=f"code:{user_id}"))
        session.commit()  # kept although the error rolls the caller back
        raise AuthError("That code is not right. Enter a code from your app or a recovery code.", "code")


def disable(session: Session, user_id: int, code: str, now: float | None = None) -> None:
    """Turn two-factor off; needs a current code or an unused recovery code."""
    if not has_two_factor(session, user_id):
        raise AuthError("Two-factor sign-in is not on.", kind="conflict")
    _proven(session, user_id, code, now)
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    session.exec(delete(TwoFactor).where(col(TwoFactor.user_id) == user_id))
    record_action(session, Actor("user", user_id), "user", user_id, "two_factor_off")


def regenerate_recovery_codes(session: Session, user_id: int, code: str, now: float | None = None) -> list[str]:
    if not has_two_factor(session, user_id):
        raise AuthError("Two-factor sign-in is not on.", kind="conflict")
    _proven(session, user_id, code, now)
    record_action(session, Actor("user", user_id), "user", user_id, "recovery_codes_new")
    return _new_recovery_codes(session, user_id)


def status(session: Session, user_id: int) -> dict:
    row = _enabled_row(session, user_id)
    return {
        "enabled": row is not None,
        "since": row.enabled_at.strftime("%Y-%m-%d") if row and row.enabled_at else "",
        "recovery_left": recovery_codes_left(session, user_id) if row else 0,
    }


# --- the organisation's policy ----------------------------------------------------------


def policy_required(session: Session, org: Organisation | None = None) -> bool:
    org = org or get_organisation(session)
    return bool(org and (org.settings or {}).get(POLICY_KEY))


def set_policy(session: Session, actor: Actor, required: bool) -> bool:
    org = get_organisation(session)
    if org is None:
        raise AuthError("Set the organisation up first.", kind="conflict")
    before = snapshot(org)
    org.settings = {**(org.settings or {}), POLICY_KEY: bool(required)}  # a new dict: JSON change tracked
    session.add(org)
    record_update(session, actor, org, before)
    return bool(required)


def must_enrol(session: Session, user: User, org: Organisation | None = None) -> bool:
    """The user's role needs two-factor under the organisation's policy and it is not on.
    (`org`, when the caller has it: every page load asks, one query less.)"""
    return (
        user.role in REQUIRED_ROLES
        and policy_required(session, org)
        and (user.id is None or not has_two_factor(session, user.id))
    )


# --- the second step of the login -------------------------------------------------------


def start_challenge(session: Session, user: User, ip: str | None = None, user_agent: str | None = None) -> str:
    assert user.id is not None  # a stored user
    token = secrets.token_urlsafe(32)
    session.add(
        LoginChallenge(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            user_id=user.id,
            expires_at=utcnow() + timedelta(minutes=CHALLENGE_MINUTES),
            ip=ip,
            user_agent=(user_agent or "")[:400],
        )
    )
    return token


def _code_retry_after(session: Session, user_id: int, ip: str | None) -> int:
    since = utcnow() - FAILURE_WINDOW
    failures, last = session.exec(
        select(func.count(), func.max(LoginAttempt.at)).where(
            col(LoginAttempt.at) >= since, col(LoginAttempt.email) == f"code:{user_id}"
        )
    ).one()
    wait = _wait_after(failures, last, CODE_FREE_FAILURES, CODE_MAX_WAIT)
    if ip:
        failures, last = session.exec(
            select(func.count(), func.max(LoginAttempt.at)).where(
                col(LoginAttempt.at) >= since, col(LoginAttempt.ip) == ip
            )
        ).one()
        wait = max(wait, _wait_after(failures, last, CODE_IP_FREE_FAILURES, CODE_MAX_WAIT))
    return wait


def finish_challenge(
    session: Session,
    token: str | None,
    code: str,
    ip: str | None = None,
    user_agent: str | None = None,
    now: float | None = None,
) -> str:
    """A session token once the challenge's user gives a right code; AuthError otherwise."""
    row = session.exec(
        select(LoginChallenge).where(
            col(LoginChallenge.token_hash) == hashlib.sha256((token or "").encode()).hexdigest()
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or row.failures >= CHALLENGE_MAX_FAILURES:
        raise ChallengeExpired()
    user = session.get(User, row.user_id)
    if user is None or user.id is None or not user.is_active:
        raise ChallengeExpired()
    wait = _code_retry_after(session, user.id, ip)
    if wait:
        raise Throttled(wait)
    if check_second_factor(session, user.id, code, now) is None:
        row.failures += 1
        session.add(row)
        session.add(LoginAttempt(email=f"code:{user.id}", ip=ip))
        record_action(session, Actor("user", user.id), "user", user.id, "two_factor_failed", {"ip": ip})
        # Committed here: the error below rolls the caller's unit of work back, and a lost
        # failure would make guessing free.
        session.commit()
        raise AuthError("That code is not right. Enter the 6 digits your app shows now, or a recovery code.", "code")
    row.used_at = utcnow()
    session.add(row)
    return create_session(session, user, ip, user_agent)
