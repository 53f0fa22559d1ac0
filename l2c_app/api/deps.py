"""FastAPI dependencies shared by every route: a database session and the principal.

Threat model: every request is untrusted. A route that needs a caller asks for
`require(section)`: the caller is an API key (`Authorization: Bearer l2c_...`, acting
as the system with the key's name in the audit log) or a signed-in user (the HttpOnly
session cookie) whose role may open `section`. Anything else answers 401/403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from anyio import CancelScope
from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from l2c_app.api import scopes
from l2c_app.core.audit import Actor
from l2c_app.core.auth import SESSION_COOKIE, Principal, api_key_for, can, user_for_token
from l2c_app.core.db import get_engine
from l2c_app.core.errors import Conflict

log = logging.getLogger("l2c.api")


class _Work:
    """The request's unit of work, opened on first use: a public request without credentials
    (the lead form, a webhook) never builds a session, and nothing of it runs in a thread."""

    __slots__ = ("session",)

    def __init__(self) -> None:
        self.session: Session | None = None

    def get(self) -> Session:
        if self.session is None:
            self.session = Session(get_engine(), expire_on_commit=False)
        return self.session

    async def __call__(self, exc_type, exc, tb) -> bool:
        """The exit of the unit of work (an AsyncExitStack exit callback): roll back after a
        failure, else commit; shielded, so a client that goes away cannot leave it half done."""
        if self.session is not None:
            session, self.session = self.session, None
            with CancelScope(shield=True):
                await run_in_threadpool(_close, session, exc_type is not None)
        return False  # an exception in flight goes on


def _close(session: Session, failed: bool) -> None:
    """End the unit of work: roll back after a failure, else commit (errors become answers)."""
    with session:
        if failed:
            session.rollback()
            return
        try:
            session.commit()
        except IntegrityError as exc:  # a concurrent write took the row or the number first
            session.rollback()
            raise Conflict(
                "The change conflicts with another one saved at the same time; nothing was saved. "
                "Reload and try again.",
                code="commit.conflict",
            ) from exc
        except Exception as exc:
            session.rollback()
            log.exception("commit failed")
            raise HTTPException(503, "The change could not be saved; nothing was saved. Try again.") from exc


_SCOPE_KEY = "l2c.unit_of_work"


def _unit_of_work(request: Request) -> _Work:
    """One transaction per request, committed BEFORE the response is sent.

    FastAPI 0.165 runs the exit of a yield dependency of the default "request" scope after
    the response went out: a client could be told 2xx for a write a second connection does
    not see yet, or that then fails to commit. The unit of work exits with FastAPI's
    function-scoped exit stack instead (`request.scope["fastapi_function_astack"]`, where
    FastAPI itself puts the exits of `scope="function"` dependencies): when the path function
    returns, before the response is built and sent, and an error raised there becomes the
    answer: a failed commit is never a success.

    Not a yield dependency on purpose: FastAPI's generator machinery (a context manager, a
    shielded cancel scope, an exit per request) is a good share of a public request's cost,
    and a public request without credentials needs no unit of work at all. The session is
    opened by `_Work.get` when a route or the principal first needs it; only a session that
    was opened is ended, in a worker thread.
    """
    work = request.scope.get(_SCOPE_KEY)
    if work is None:
        work = request.scope[_SCOPE_KEY] = _Work()
        request.scope["fastapi_function_astack"].push_async_exit(work)
    return work


async def db(request: Request) -> Session:
    """The request's session. Routes and `require()` share it: one transaction per request."""
    return _unit_of_work(request).get()


def client_ip(request: Request) -> str | None:
    """The caller's address. X-Forwarded-For is read only when the direct peer is one of
    TRUSTED_PROXIES (anyone else could write any address there, and dodge or aim the login
    throttle): the rightmost address that is not a trusted proxy is the client."""
    from l2c_app.core.config import get_settings

    peer = _peer(request)
    proxies = get_settings().trusted_proxies
    if not peer or not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _is_ip(hop) else peer
    return hops[0] if hops and _is_ip(hops[0]) else peer


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _trusted(address: str, proxies) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def credentials(request: Request) -> tuple[str, str | None]:
    """(Authorization header, session cookie): what may name a caller; ("", None) for none."""
    return request.headers.get("authorization", ""), request.cookies.get(SESSION_COOKIE)


def principal_for(session: Session, auth: str, token: str | None) -> Principal | None:
    """The caller named by an Authorization header or a session cookie (sync: runs in a thread)."""
    if auth:
        scheme, _, presented = auth.partition(" ")
        key = api_key_for(session, presented.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise HTTPException(401, "Invalid API key", headers={"WWW-Authenticate": "Bearer"})
        # Counted by the key's hash, not its row id: ids repeat across databases that share a
        # Redis (or one test process), a hash never does.
        wait = scopes.hit(key.key_hash[:32], key.rate_limit_per_minute)
        if wait:
            raise HTTPException(
                429, f"Rate limit of this API key reached; retry in {wait} s.", headers={"Retry-After": str(wait)}
            )
        return Principal(actor=Actor("api", None, key.name), api_key=key)
    user = user_for_token(session, token)
    if user is not None:
        return Principal(actor=Actor("user", user.id), user=user)
    return None


async def optional_principal(request: Request) -> Principal | None:
    """The caller, or None. Without an Authorization header and a session cookie (the public
    lead form) this opens no session and hops to no thread; otherwise the caller is looked up
    in the request's own unit of work (its "last used" marks commit with the route's work)."""
    auth, token = credentials(request)
    if not auth and not token:
        return None
    return await run_in_threadpool(principal_for, _unit_of_work(request).get(), auth, token)


def require(section: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: an API key, or a signed-in user whose role may open `section`."""

    async def dependency(request: Request, principal: Principal | None = Depends(optional_principal)) -> Principal:
        if principal is None:
            raise HTTPException(
                401,
                "Authentication required: send 'Authorization: Bearer <API key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.user is not None and not can(principal.user.role, section):
            raise HTTPException(403, f"The role '{principal.user.role}' may not use {section}")
        check_scope(principal, (section,), request.method)
        return principal

    return dependency


def check_scope(principal: Principal, sections: tuple[str, ...], method: str) -> None:
    """An API key with scopes may read (GET) or write (anything else) only its sections."""
    key = principal.api_key
    if key is None:
        return
    write = method.upper() not in scopes.READ_METHODS
    if not scopes.allows(key.scopes, sections, write):
        needed = " or ".join(f"{s}:{'write' if write else 'read'}" for s in sections)
        raise HTTPException(403, f"This API key lacks the scope {needed}")
