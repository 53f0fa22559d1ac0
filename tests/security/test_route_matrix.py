"""Every route of the OpenAPI document x every kind of caller: the verdict `core.auth` says.

Routes are listed from the document itself (a new route cannot be forgotten) and each
route's section is read from its `require(section)` dependency, not from a hand list. A
route with no `require` must be in `PUBLIC` (reviewed on purpose), or this test fails.

Callers: no credentials, a bad API key, a valid API key, and a signed-in user of each
role (session cookie). Verdicts: no credentials or a bad key -> 401; a role that may not
open the section -> 403; a valid key or an allowed role -> neither 401 nor 403.
"""

from __future__ import annotations

import inspect

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from l2c_app.api.app import build_api
from l2c_app.core.auth import ROLES, SECTION_ROLES, SESSION_COOKIE, create_session, create_user

# Reachable without credentials by design: health, sign-in, the public lead form, public
# document links (their token is the credential), and signed webhooks.
PUBLIC = {
    ("GET", "/api/health"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/setup-signin"),
    # the second step of a two-factor sign-in: the pending-login cookie or challenge is its credential
    ("POST", "/api/auth/login/code"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/v1/leads"),
    ("GET", "/api/public/quotes/{token}/pdf"),
    ("GET", "/api/sign/{token}/pdf"),
    ("POST", "/api/webhooks/docusign"),
    # the client's answer to a quote and the signer's link, as JSON (the token is the credential)
    ("GET", "/api/public/quotes/{token}"),
    ("POST", "/api/public/quotes/{token}/accept"),
    ("POST", "/api/public/quotes/{token}/decline"),
    ("GET", "/api/public/sign/{token}"),
    ("POST", "/api/public/sign/{token}"),
    ("POST", "/api/public/sign/{token}/decline"),
}

APP = build_api()


def _section_of(route: APIRoute) -> tuple[str, ...] | None:
    """The sections closed over by the route's `require(section)` dependency (or
    `contracts.api.require_any(*sections)`: any of them opens the route), if any."""
    found = []
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        stack.extend(dep.dependencies)
        qualname = getattr(dep.call, "__qualname__", "")
        if qualname.startswith("require.<locals>"):
            found.append((inspect.getclosurevars(dep.call).nonlocals["section"],))
        elif qualname.startswith("require_any.<locals>"):
            found.append(tuple(inspect.getclosurevars(dep.call).nonlocals["sections"]))
    assert len(found) <= 1, f"{route.path}: more than one access dependency {found}"
    return found[0] if found else None


def _api_routes(routes, prefix: str = ""):
    """APIRoutes with their full path; FastAPI 0.13x keeps an included router as a wrapper."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = route.include_context
            assert not context.dependencies, "router-level dependencies: read them here too"
            yield from _api_routes(route.original_router.routes, prefix + context.prefix)


def _operations() -> list[tuple[str, str, tuple[str, ...] | None]]:
    routes = {(m, path): r for path, r in _api_routes(APP.routes) for m in r.methods}
    ops = []
    for path, methods in APP.openapi()["paths"].items():
        for method in methods:
            route = routes[(method.upper(), path)]
            ops.append((method.upper(), path, _section_of(route)))
    return ops


OPERATIONS = _operations()


def test_every_route_needs_a_section_or_is_declared_public():
    open_routes = {(m, p) for m, p, section in OPERATIONS if section is None}
    assert open_routes == PUBLIC
    assert all(s in SECTION_ROLES for _, _, sections in OPERATIONS for s in sections or ()), "unknown section"
    assert len(OPERATIONS) > 40  # the document was read, not an empty list


def _url(path: str) -> str:
    # Path parameters: 1 for ids, a token-looking string for tokens (the verdict comes first).
    import re

    # key_id: not the callers' own key (a signed-in owner revoking it would 401 the routes after it).
    ids = {"key_id": "999999"}
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "1") if m.group(1).endswith("_id") else "x" * 24, path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_route_by_caller_verdicts(session, team, api_key):
    callers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "bad key": {"Authorization": "Bearer l2c_not-a-real-key-0000000000"},
        "api key": {"Authorization": f"Bearer {api_key}"},
    }
    for role in ROLES:
        user = create_user(
            session, name=f"{role.title()} Person", email=f"{role}@matrix.test", role=role, password="long-password-9"
        )
        session.flush()
        callers[role] = {"Cookie": f"{SESSION_COOKIE}={create_session(session, user)}"}
    session.commit()

    client = TestClient(APP, raise_server_exceptions=False)
    wrong = []
    count = 0
    for method, path, sections in OPERATIONS:
        if sections is None:
            continue
        for caller, headers in callers.items():
            kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            status = client.request(method, _url(path), headers=headers, **kwargs).status_code
            count += 1
            if caller in ("anonymous", "bad key"):
                expected = "401"
                ok = status == 401
            elif caller == "api key" or any(caller in SECTION_ROLES[s] for s in sections):
                expected = "not 401/403 (and not 5xx)"
                ok = status not in (401, 403) and status < 500
            else:
                expected = "403"
                ok = status == 403
            if not ok:
                wrong.append(f"{method} {path} {sections} as {caller}: {status}, expected {expected}")
    assert not wrong, f"{len(wrong)} wrong verdicts of {count}:\n" + "\n".join(wrong)
    assert count >= 8 * 40
