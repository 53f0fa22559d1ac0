"""Users, passwords, sessions, API keys and roles. No Reflex imports.

Threat model: the login form and the API are reachable by anyone. Passwords are
hashed with argon2id; session tokens and API keys are random 256-bit values of which
only the SHA-256 is stored, so a database leak does not leak a usable credential.
A wrong login never says which half was wrong, and repeated failures for one e-mail
(short delays, at most a minute) or, at a much higher count, one IP are refused for a
growing delay.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from l2c_app.core.audit import SYSTEM, Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError
from l2c_app.core.mailer import send_mail
from l2c_app.core.models import ROLES, ApiKey, Invitation, LoginAttempt, Organisation, User, UserSession
from l2c_app.core.timeutil import is_valid_timezone, utcnow

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

SESSION_COOKIE = "l2c_session"
MIN_PASSWORD = 10
FAILURE_WINDOW = timedelta(minutes=15)
FREE_FAILURES = 5  # per account, in FAILURE_WINDOW
ACCOUNT_MAX_WAIT = 60  # seconds: an attacker cannot lock a named user out for longer
IP_FREE_FAILURES = 50  # per IP: many users may share one address (an office, a proxy)
IP_MAX_WAIT = 300
SEEN_EVERY = timedelta(minutes=1)

# Which roles may open which section (and call its event handlers / API routes).
SECTION_ROLES: dict[str, tuple[str, ...]] = {
    "home": ROLES,
    "leads": ("owner", "admin", "sales"),
    "pipeline": ("owner", "admin", "sales"),
    # The client record (/clients, its statement): sellers and the billing role both work from it.
    "clients": ("owner", "admin", "sales", "billing"),
    "quotes": ("owner", "admin", "sales"),
    "contracts": ("owner", "admin", "sales"),
    "projects": ("owner", "admin", "delivery", "billing"),
    "time": ROLES,
    "approve_time": ("owner", "admin", "delivery", "billing"),
    "invoices": ("owner", "admin", "billing"),
    "payments": ("owner", "admin", "billing"),
    "accounting": ("owner", "admin", "billing"),  # the journal, its export and the accounts it posts to
    "insights": ("owner", "admin", "sales", "billing"),
    "margin": ("owner", "admin", "billing"),  # Insights > Margin: revenue, cost rates, utilisation
    "settings": ("owner", "admin"),
    "team": ("owner", "admin"),
    "outbox": ("owner", "admin", "sales", "billing", "delivery"),
}


class AuthError(DomainError):
    """A user-facing message: bad input, wrong credentials, not allowed."""


class Throttled(AuthError):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def can(role: str | None, section: str) -> bool:
    return role in SECTION_ROLES.get(section, ())


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalise_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        raise AuthError("Enter a valid e-mail address, like name@company.com.")
    return email


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Use a password of at least {MIN_PASSWORD} characters.")


# --- setup and users -------------------------------------------------------------------


def setup_needed(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() == 0


def get_organisation(session: Session) -> Organisation | None:
    return session.exec(select(Organisation).order_by(col(Organisation.id))).first()


def list_users(session: Session, *, active_only: bool = False) -> list[User]:
    """The organisation's people by name (deactivated ones too unless `active_only`)."""
    stmt = select(User).order_by(col(User.name))
    if active_only:
        stmt = stmt.where(col(User.is_active))
    return list(session.exec(stmt).all())


def create_user(
    session: Session, *, name: str, email: str, role: str, password: str | None, actor: Actor = SYSTEM
) -> User:
    name = name.strip()
    if not name:
        raise AuthError("Enter a name.")
    email = validate_email(email)
    if role not in ROLES:
        raise AuthError(f"Role must be one of: {', '.join(ROLES)}.")
    if password is not None:
        validate_password(password)
    if session.exec(select(User).where(col(User.email) == email)).first():
        raise AuthError(f"A user with the e-mail {email} already exists.", kind="conflict")
    user = User(name=name, email=email, role=role, password_hash=hash_password(password) if password else "")
    session.add(user)
    record_create(session, actor, user)
    return user


def setup_organisation(
    session: Session, *, org_name: str, currency: str, timezone: str, owner_name: str, owner_email: str, password: str
) -> tuple[Organisation, User]:
    """First run: the organisation and its owner. Refused once any user exists."""
    if not setup_needed(session):
        raise AuthError("l2c is already set up. Sign in instead.", kind="conflict")
    org_name = org_name.strip()
    if not org_name:
        raise AuthError("Enter the organisation's name.")
    currency = currency.strip().upper()
    from babel.numbers import list_currencies

    if currency not in list_currencies():
        raise AuthError(f"{currency or 'Currency'} is not an ISO currency code (e.g. EUR, USD, GBP).")
    if not is_valid_timezone(timezone):
        raise AuthError(f"{timezone or 'Time zone'} is not a known time zone (e.g. Europe/Paris).")
    user = create_user(session, name=owner_name, email=owner_email, role="owner", password=password)
    org = Organisation(name=org_name, currency=currency, timezone=timezone)
    session.add(org)
    record_create(session, user_actor_of(user), org)
    return org, user


def user_actor_of(user: User) -> Actor:
    return Actor("user", user.id)


def set_role(session: Session, actor: Actor, user_id: int, role: str) -> User:
    if role not in ROLES:
        raise AuthError(f"Role must be one of: {', '.join(ROLES)}.")
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("No such user.", kind="not_found")
    if user.role == "owner" and role != "owner":
        owners = session.exec(
            select(func.count()).select_from(User).where(col(User.role) == "owner", User.is_active)
        ).one()
        if owners <= 1:
            raise AuthError("The organisation needs at least one owner.")
    before = snapshot(user)
    user.role = role
    record_update(session, actor, user, before)
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("No such user.", kind="not_found")
    if actor.user_id == user_id and not active:
        raise AuthError("You cannot deactivate yourself.")
    before = snapshot(user)
    user.is_active = active
    if not active:
        for s in session.exec(
            select(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        ):
            s.revoked_at = utcnow()
    record_update(session, actor, user, before)
    return user


# --- invitations -----------------------------------------------------------------------

INVITATION_DAYS = 7


def invite_user(session: Session, *, name: str, email: str, role: str, actor: Actor = SYSTEM) -> tuple[User, str]:
    """Create the user without a password and e-mail a single-use link to choose one."""
    user = create_user(session, name=name, email=email, role=role, password=None, actor=actor)
    assert user.id is not None  # create_user flushes
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(user_id=user.id, token_hash=sha256_hex(token), expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
    )
    org = get_organisation(session)
    link = f"{get_settings().app_base_url}/invite/{token}"
    send_mail(
        session,
        to=user.email,
        subject=f"You are invited to {org.name if org else 'l2c'}",
        body=f"Hello {user.name},\n\nyou have been invited to l2c as {role}. Choose your password here "
        f"(the link works once, for {INVITATION_DAYS} days):\n\n{link}\n",
        link=link,
        related=("user", user.id),
    )
    return user, token


def _open_invitation(session: Session, token: str) -> Invitation:
    row = session.exec(select(Invitation).where(col(Invitation.token_hash) == sha256_hex(token or ""))).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise AuthError("This invitation link is not valid any more. Ask an administrator for a new one.")
    return row


def invitation_user(session: Session, token: str) -> User:
    user = session.get(User, _open_invitation(session, token).user_id)
    if user is None:  # the user row went away after the invitation was sent
        raise AuthError("This invitation link is not valid any more. Ask an administrator for a new one.")
    return user


def accept_invitation(session: Session, token: str, password: str) -> User:
    row = _open_invitation(session, token)
    validate_password(password)
    user = session.get(User, row.user_id)
    if user is None:
        raise AuthError("This invitation link is not valid any more. Ask an administrator for a new one.")
    user.password_hash = hash_password(password)
    row.used_at = utcnow()
    record_action(session, Actor("user", user.id), "user", user.id, "accept_invitation")
    return user


# --- login, throttling, sessions --------------------------------------------------------


def _wait_after(failures: int, last, free: int, cap: int) -> int:
    if failures < free or last is None:
        return 0
    delay = min(2 ** (failures - free + 1), cap)
    remaining = (last + timedelta(seconds=delay) - utcnow()).total_seconds()
    return max(0, int(remaining + 0.999))


def _retry_after(session: Session, email: str, ip: str | None) -> int:
    """Seconds to wait before the next attempt; the account and the IP are throttled apart.

    Threat model: counting both together let 5 failures for ANY e-mail from one IP lock out
    every user behind it (behind a TLS proxy: everyone), for up to 5 minutes; and an attacker
    could keep a named user locked out by failing on purpose. Now an account waits 2, 4 ... at
    most ACCOUNT_MAX_WAIT seconds (guessing stays slow, the owner of the password gets in
    within a minute), and an IP only after IP_FREE_FAILURES failures (a password sprayer)."""
    since = utcnow() - FAILURE_WINDOW
    failures, last = session.exec(
        select(func.count(), func.max(LoginAttempt.at)).where(
            col(LoginAttempt.at) >= since, col(LoginAttempt.email) == email
        )
    ).one()
    wait = _wait_after(failures, last, FREE_FAILURES, ACCOUNT_MAX_WAIT)
    if ip:
        failures, last = session.exec(
            select(func.count(), func.max(LoginAttempt.at)).where(
                col(LoginAttempt.at) >= since, col(LoginAttempt.ip) == ip
            )
        ).one()
        wait = max(wait, _wait_after(failures, last, IP_FREE_FAILURES, IP_MAX_WAIT))
    return wait


def authenticate(session: Session, email: str, password: str, ip: str | None = None) -> User:
    """The user for these credentials, or AuthError (never saying which half was wrong)."""
    email = normalise_email(email)
    wait = _retry_after(session, email, ip)
    if wait:
        raise Throttled(wait)
    user = session.exec(select(User).where(col(User.email) == email)).first()
    ok = verify_password(user.password_hash if user else "", password)
    if not ok or user is None or not user.is_active or not user.password_hash:
        session.add(LoginAttempt(email=email, ip=ip))
        # Committed here, not by the caller: the error below rolls the caller's unit of
        # work back, and a lost failure would make guessing free.
        session.commit()
        raise AuthError("Wrong e-mail or password.")
    user.last_login_at = utcnow()
    return user


def create_session(session: Session, user: User, ip: str | None = None, user_agent: str | None = None) -> str:
    """A new login session; returns the token for the cookie (shown only here)."""
    assert user.id is not None  # a stored user
    token = secrets.token_urlsafe(32)
    hours = get_settings().session_hours
    now = utcnow()
    session.add(
        UserSession(
            token_hash=sha256_hex(token),
            user_id=user.id,
            expires_at=now + timedelta(hours=hours),
            ip=ip,
            user_agent=(user_agent or "")[:400],
            last_seen_at=now,
        )
    )
    record_action(session, user_actor_of(user), "user", user.id, "login", {"ip": ip})
    return token


def user_for_token(session: Session, token: str | None) -> User | None:
    """The active user of a live session token, else None."""
    if not token:
        return None
    row = session.exec(select(UserSession).where(col(UserSession.token_hash) == sha256_hex(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # "Last seen" for the sessions list: page loads and API calls come here (the per-event
    # guard does not, it stays one read); written at most once a minute per session.
    if row.last_seen_at is None or row.last_seen_at <= now - SEEN_EVERY:
        row.last_seen_at = now
        session.add(row)
    return user


def session_viewer(session: Session, token: str | None) -> tuple[int, str, str, str] | None:
    """(id, name, e-mail, role) of the active user of a live session token, in ONE query.

    The guard of every UI event runs this; `user_for_token` gives the same answer in two."""
    if not token:
        return None
    row = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
            User.id, User.name, User.email, User.role, UserSession.revoked_at, UserSession.expires_at
        )
        .join(UserSession, col(UserSession.user_id) == User.id)
        .where(col(UserSession.token_hash) == sha256_hex(token), col(User.is_active) == True)  # noqa: E712
    ).first()
    # Expiry is compared here, like user_for_token does (stored datetimes differ per database).
    if row is None or row[4] is not None or row[5] <= utcnow():
        return None
    return row[0], row[1], row[2], row[3]


def revoke_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(select(UserSession).where(col(UserSession.token_hash) == sha256_hex(token))).first()
    if row and row.revoked_at is None:
        row.revoked_at = utcnow()
        record_action(session, Actor("user", row.user_id), "user", row.user_id, "logout")


# --- API keys ---------------------------------------------------------------------------

API_KEY_PREFIX = "l2c_"


def create_api_key(session: Session, name: str, actor: Actor = SYSTEM) -> tuple[ApiKey, str]:
    """Returns the row and the plain key; the key is never retrievable again."""
    name = name.strip()
    if not name:
        raise AuthError("Give the key a name (what will use it).")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=secret[:10], key_hash=sha256_hex(secret), created_by_id=actor.user_id)
    session.add(row)
    record_create(session, actor, row)
    return row, secret


def api_key_for(session: Session, presented: str | None) -> ApiKey | None:
    if not presented or not presented.startswith(API_KEY_PREFIX):
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == sha256_hex(presented))).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, sha256_hex(presented)):
        return None
    row.last_used_at = utcnow()
    return row


def revoke_api_key(session: Session, actor: Actor, key_id: int) -> None:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise AuthError("No such key.", kind="not_found")
    before = snapshot(row)
    row.revoked_at = utcnow()
    record_update(session, actor, row, before, action="revoke")


@dataclass(frozen=True)
class Principal:
    """Who an API request acts as."""

    actor: Actor
    user: User | None = None
    api_key: ApiKey | None = None


# --- signed in right after setup --------------------------------------------------------------
# The setup form runs in Reflex state, which cannot set an HttpOnly cookie. It hands the
# browser a short-lived ticket instead; a plain route trades it for a session cookie.
# Threat model: the ticket sits in a URL (history, proxy logs). It is an HMAC over the owner's
# id and the issue time with the server's secret, lives SETUP_TICKET_SECONDS, and only works
# while that owner has never had a session: the first use creates one, so it works once.
SETUP_TICKET_SECONDS = 120


def _ticket_mac(user_id: int, issued: int) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"setup-signin:{user_id}:{issued}".encode(), hashlib.sha256).hexdigest()


def setup_signin_ticket(user: User, now: int | None = None) -> str:
    issued = int(utcnow().timestamp()) if now is None else now
    return f"{user.id}.{issued}.{_ticket_mac(user.id, issued)}"  # type: ignore[arg-type]


def redeem_setup_ticket(session: Session, ticket: str, ip: str | None = None, user_agent: str | None = None) -> str:
    """A session token for the owner the ticket names, or AuthError (expired, forged, used)."""
    refused = AuthError("This sign-in link is not valid any more. Sign in with your password.", kind="forbidden")
    try:
        uid_text, issued_text, mac = ticket.split(".")
        user_id, issued = int(uid_text), int(issued_text)
    except ValueError:
        raise refused from None
    age = int(utcnow().timestamp()) - issued
    if not hmac.compare_digest(mac, _ticket_mac(user_id, issued)) or not 0 <= age <= SETUP_TICKET_SECONDS:
        raise refused
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role != "owner":
        raise refused
    if session.exec(select(UserSession.id).where(col(UserSession.user_id) == user_id)).first() is not None:
        raise refused
    return create_session(session, user, ip, user_agent)
