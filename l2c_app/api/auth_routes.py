"""Login and logout as plain HTTP routes, so the session cookie can be HttpOnly.

The login form posts here (form-encoded); a JSON body gets JSON answers instead of
redirects (scripts, tests). Errors never say which half of the credentials was wrong.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from l2c_app.api.deps import client_ip
from l2c_app.core.auth import (
    SESSION_COOKIE,
    AuthError,
    Throttled,
    authenticate,
    create_session,
    redeem_setup_ticket,
    revoke_session,
)
from l2c_app.core.config import get_settings
from l2c_app.core.db import run_db

router = APIRouter(prefix="/api/auth", tags=["auth"])


def safe_next(value: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login(session, email: str, password: str, ip: str | None, ua: str | None) -> str:
    user = authenticate(session, email, password, ip)
    return create_session(session, user, ip, ua)


@router.post("/login")
async def login(request: Request) -> Response:
    is_json = request.headers.get("content-type", "").startswith("application/json")
    try:
        data = await request.json() if is_json else dict(await request.form())
    except ValueError:  # empty or not JSON (malformed JSON is refused earlier, by api/edge)
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(k, ""), str) for k in ("email", "password")):
        return JSONResponse({"detail": "body: send a JSON object {\"email\": ..., \"password\": ...}"}, 422)
    email, password = data.get("email", ""), data.get("password", "")
    next_path = safe_next(str(data.get("next") or "/"))
    try:
        token = await run_db(_login, email, password, client_ip(request), request.headers.get("user-agent"))
    except Throttled as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": str(exc.retry_after)})
        query = urlencode({"error": "throttled", "wait": exc.retry_after, "email": email, "next": next_path})
        return RedirectResponse(f"/login?{query}", 303)
    except AuthError as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 401)
        return RedirectResponse(f"/login?{urlencode({'error': 'invalid', 'email': email, 'next': next_path})}", 303)
    response: Response = JSONResponse({"status": "ok"}) if is_json else RedirectResponse(next_path, 303)
    _set_session_cookie(response, token)
    return response


def _set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.app_base_url.startswith("https://"), path="/")


@router.get("/setup-signin")
async def setup_signin(request: Request, ticket: str = "") -> Response:
    """Right after setup: the ticket the setup form got becomes the owner's session cookie
    (core.auth.redeem_setup_ticket says why it is safe in a URL). A full page load follows,
    so Reflex's websocket connects with the cookie."""
    try:
        token = await run_db(redeem_setup_ticket, ticket, client_ip(request), request.headers.get("user-agent"))
    except AuthError:
        return RedirectResponse("/login", 303)
    response = RedirectResponse("/", 303)
    _set_session_cookie(response, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await run_db(revoke_session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login?signed_out=1", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
