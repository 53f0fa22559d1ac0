"""Login and logout as plain HTTP routes, so the session cookie can be HttpOnly.

The login form posts here (form-encoded); a JSON body gets JSON answers instead of
redirects (scripts, tests). Errors never say which half of the credentials was wrong.

Two-factor: for a user with TOTP on, a correct password does NOT set the session cookie.
It answers with a second step instead: a short-lived challenge token (an HttpOnly cookie
for the form, also in the JSON answer for scripts) that `/api/auth/login/code` trades,
with a right code, for the session cookie (core.twofactor has the threat model).
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
from l2c_app.core.twofactor import (
    CHALLENGE_COOKIE,
    CHALLENGE_MINUTES,
    ChallengeExpired,
    finish_challenge,
    has_two_factor,
    must_enrol,
    start_challenge,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


def safe_next(value: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


ENROL_PATH = "/account?two_factor=required"


def _login(session, email: str, password: str, ip: str | None, ua: str | None) -> tuple[str, str, bool]:
    """("session", token, must_enrol) or ("code", challenge token, False)."""
    user = authenticate(session, email, password, ip)
    if has_two_factor(session, user.id):
        return "code", start_challenge(session, user, ip, ua), False
    return "session", create_session(session, user, ip, ua), must_enrol(session, user)


async def _body(request: Request, keys: tuple[str, ...]) -> tuple[bool, dict | None]:
    is_json = request.headers.get("content-type", "").startswith("application/json")
    try:
        data = await request.json() if is_json else dict(await request.form())
    except ValueError:  # empty or not JSON (malformed JSON is refused earlier, by api/edge)
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(k, ""), str) for k in keys):
        return is_json, None
    return is_json, data


@router.post("/login")
async def login(request: Request) -> Response:
    is_json, data = await _body(request, ("email", "password"))
    if data is None:
        return JSONResponse({"detail": 'body: send a JSON object {"email": ..., "password": ...}'}, 422)
    email, password = data.get("email", ""), data.get("password", "")
    next_path = safe_next(str(data.get("next") or "/"))
    try:
        kind, token, enrol = await run_db(
            _login, email, password, client_ip(request), request.headers.get("user-agent")
        )
    except Throttled as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": str(exc.retry_after)})
        query = urlencode({"error": "throttled", "wait": exc.retry_after, "email": email, "next": next_path})
        return RedirectResponse(f"/login?{query}", 303)
    except AuthError as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 401)
        return RedirectResponse(f"/login?{urlencode({'error': 'invalid', 'email': email, 'next': next_path})}", 303)
    if kind == "code":
        response = (
            JSONResponse({"status": "code_required", "challenge": token})
            if is_json
            else RedirectResponse(f"/login?{urlencode({'step': 'code', 'next': next_path})}", 303)
        )
        _set_challenge_cookie(response, token)
        return response
    if enrol:  # the organisation requires two-factor for this role: set-up comes first
        next_path = ENROL_PATH
    response = (
        JSONResponse({"status": "ok", "two_factor_setup_required": enrol})
        if is_json
        else RedirectResponse(next_path, 303)
    )
    _set_session_cookie(response, token)
    return response


@router.post("/login/code")
async def login_code(request: Request) -> Response:
    """The second step: a code from the authenticator app (or a recovery code) for the
    challenge the password step gave (cookie, or "challenge" in a JSON body)."""
    is_json, data = await _body(request, ("code", "challenge"))
    if data is None:
        return JSONResponse({"detail": 'body: send a JSON object {"challenge": ..., "code": ...}'}, 422)
    challenge = data.get("challenge") or request.cookies.get(CHALLENGE_COOKIE) or ""
    next_path = safe_next(str(data.get("next") or "/"))
    try:
        token = await run_db(
            finish_challenge, challenge, data.get("code", ""), client_ip(request), request.headers.get("user-agent")
        )
    except Throttled as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": str(exc.retry_after)})
        query = urlencode({"step": "code", "error": "throttled", "wait": exc.retry_after, "next": next_path})
        return RedirectResponse(f"/login?{query}", 303)
    except ChallengeExpired as exc:
        response = (
            JSONResponse({"detail": str(exc)}, 401)
            if is_json
            else RedirectResponse(f"/login?{urlencode({'error': 'expired', 'next': next_path})}", 303)
        )
        response.delete_cookie(CHALLENGE_COOKIE, path="/api/auth")
        return response
    except AuthError as exc:
        if is_json:
            return JSONResponse({"detail": str(exc)}, 401)
        return RedirectResponse(f"/login?{urlencode({'step': 'code', 'error': 'code', 'next': next_path})}", 303)
    response = JSONResponse({"status": "ok"}) if is_json else RedirectResponse(next_path, 303)
    response.delete_cookie(CHALLENGE_COOKIE, path="/api/auth")
    _set_session_cookie(response, token)
    return response


def _set_challenge_cookie(response: Response, token: str) -> None:
    # Path /api/auth: only the two login routes ever see it.
    response.set_cookie(
        CHALLENGE_COOKIE,
        token,
        max_age=CHALLENGE_MINUTES * 60,
        httponly=True,
        samesite="lax",
        secure=get_settings().app_base_url.startswith("https://"),
        path="/api/auth",
    )


def _set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.app_base_url.startswith("https://"),
        path="/",
    )


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
