"""Connecting and disconnecting an accounting system (OAuth 2.0 authorization code flow).

`start_connect` stores a one-time `state` and returns the provider's consent URL (Intuit's or
Xero's); `finish_connect` checks the state, exchanges the code (HTTP, no transaction open) and
keeps the tokens encrypted (see qbo.py's threat model). One connection row per provider; one
organisation is connected to one of them at a time (connecting the other is refused until the
first is disconnected). Every change goes through core.audit.
"""

from __future__ import annotations

import hmac

from sqlmodel import Session

from l2c_app.accounting.sync import qbo
from l2c_app.accounting.sync.engine import SYSTEMS, active_provider, connection
from l2c_app.accounting.sync.port import RemoteError
from l2c_app.core.audit import Actor, record_action
from l2c_app.core.db import with_session
from l2c_app.core.errors import DomainError
from l2c_app.core.timeutil import utcnow
from l2c_app.core.twofactor import encrypt_secret

ENV = {"qbo": "QBO_CLIENT_ID and QBO_CLIENT_SECRET", "xero": "XERO_CLIENT_ID and XERO_CLIENT_SECRET"}


def _module(provider: str):
    if provider not in SYSTEMS:
        raise DomainError(f"Unknown accounting system {provider!r}", field="provider", kind="not_found")
    return SYSTEMS[provider][0]


def _cfg(provider: str = qbo.PROVIDER):
    mod = _module(provider)
    cfg = mod.config()
    if cfg is None:
        raise DomainError(f"{mod.LABEL} is not configured on this server ({ENV[provider]})", kind="conflict")
    return cfg


def start_connect(session: Session, actor: Actor, provider: str = qbo.PROVIDER) -> str:
    """Note a fresh state; the URL of the provider's consent page. The caller commits, then redirects."""
    mod, cfg = _module(provider), _cfg(provider)
    other = active_provider(session)
    if other != provider and connection(session, other).status in ("connected", "reconnect"):
        raise DomainError(
            f"This organisation is connected to {SYSTEMS[other][0].LABEL}: disconnect it first", kind="conflict"
        )
    row = connection(session, provider)
    state = mod.new_state()
    row.oauth_state = state
    if row.status != "connected":
        row.status = "pending"
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_action(session, actor, "accounting_connection", row.id, "connect_started", {"provider": row.provider})
    return mod.authorization_url(cfg, state)


def finish_connect(actor: Actor, code: str, state: str, realm_id: str = "", provider: str = qbo.PROVIDER) -> None:
    """The OAuth callback: own sessions, the token exchange between them. Xero's tenant comes from
    its connections endpoint, not from the callback."""
    mod, cfg = _module(provider), _cfg(provider)

    def check(s: Session) -> None:
        row = connection(s, provider)
        if not row.oauth_state or not state or not hmac.compare_digest(row.oauth_state, state):
            raise DomainError(
                f"This {mod.LABEL} connection was not started here (or was already used): press Connect again",
                kind="forbidden",
            )
        row.oauth_state = None  # once
        s.add(row)

    with_session(check)
    try:
        tokens = mod.exchange_code(cfg, code, realm_id)
    except RemoteError as exc:
        raise DomainError(str(exc), kind="upstream") from None

    def save(s: Session) -> None:
        row = connection(s, provider)
        row.status, row.realm_id = "connected", tokens.realm_id
        row.refresh_token_enc = encrypt_secret(tokens.refresh_token)
        row.access_token_enc = encrypt_secret(tokens.access_token or "")
        row.connected_at = row.updated_at = utcnow()
        row.last_error = None
        s.add(row)
        s.flush()
        record_action(
            s,
            actor,
            "accounting_connection",
            row.id,
            "connected",
            {"provider": row.provider, "realm_id": tokens.realm_id},
        )

    with_session(save)


def disconnect(session: Session, actor: Actor, provider: str | None = None) -> None:
    """Forget the tokens (the mapping stays: reconnecting the same company creates nothing again)."""
    row = connection(session, provider)
    if row.id is None:
        return
    row.status, row.refresh_token_enc, row.access_token_enc, row.oauth_state = "disconnected", None, None, None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_action(session, actor, "accounting_connection", row.id, "disconnected", {"provider": row.provider})


def status(session: Session) -> dict:
    """What Settings shows: configured?, status, company, last sync, failures."""
    from l2c_app.accounting.sync.engine import sync_log

    row = connection(session)
    failed = sync_log(session, "failed", limit=50, provider=row.provider)
    mod = SYSTEMS[row.provider][0]
    return {
        "configured": mod.config() is not None,
        "status": row.status,
        "realm_id": row.realm_id or "",
        "provider": row.provider,
        "label": mod.LABEL,
        **{f"{p}_configured": m.config() is not None for p, (m, _) in SYSTEMS.items()},
        "last_sync_at": row.last_sync_at.strftime("%Y-%m-%d %H:%M") if row.last_sync_at else "",
        "last_error": row.last_error or "",
        "failed": [
            {
                "label": f.label,
                "error": f.error or "",
                "attempts": str(f.attempts),
                "when": f.updated_at.strftime("%Y-%m-%d %H:%M"),
            }
            for f in failed
        ],
    }


def note_error(session: Session, message: str, provider: str = qbo.PROVIDER) -> None:
    """A failed connect, shown on Settings."""
    row = connection(session, provider)
    row.last_error, row.oauth_state, row.updated_at = message[:1000], None, utcnow()
    if row.status == "pending":
        row.status = "disconnected"
    session.add(row)
