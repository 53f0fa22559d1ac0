"""The served app sends API requests straight to the FastAPI app (api/app.api_first).

Reflex's outer Starlette app (error middleware, CORS, context middleware, a router with one
mount) only repeated, on the API path, what the FastAPI app does itself. Pages, the event
websocket and the lifespan still go through Reflex's app; a path under /api/ that no route
takes still falls through to Reflex (mounted inside the FastAPI app).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import run_async


def _recorder(name, seen):
    async def app(scope, receive, send):
        seen.append((name, scope["type"], scope.get("path")))
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": name.encode()})

    return app


def test_api_requests_skip_reflex_and_everything_else_does_not():
    from l2c_app.api.app import api_first

    seen: list = []
    contexts: list = []
    app = api_first(_recorder("top", seen), _recorder("api", seen), lambda: contexts.append(1))

    async def call(scope):
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(_message):
            return None

        await app(scope, receive, send)

    for scope in (
        {"type": "http", "path": "/api/v1/leads"},
        {"type": "http", "path": "/api"},
        {"type": "http", "path": "/leads"},
        {"type": "websocket", "path": "/api/socket"},
        {"type": "websocket", "path": "/_event"},
        {"type": "lifespan"},
    ):
        run_async(call(scope))
    assert seen == [
        ("api", "http", "/api/v1/leads"),
        ("top", "http", "/api"),
        ("top", "http", "/leads"),
        ("top", "websocket", "/api/socket"),
        ("top", "websocket", "/_event"),
        ("top", "lifespan", None),
    ]
    assert contexts == [1]  # Reflex's contexts are still set for an API request


def test_the_fast_path_still_answers_cors_and_falls_through_to_reflex(db_url):
    """One CORS layer is left on the API path (Reflex adds it to the FastAPI app), and an
    unknown /api/ path is Reflex's, as when Reflex's outer app sat in front."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from l2c_app.api.app import api_first, build_api

    api = build_api()
    reflex_inner = Starlette(routes=[Route("/{path:path}", lambda _r: PlainTextResponse("reflex 404", 404))])
    from reflex.app import App as ReflexApp

    ReflexApp._add_cors(api)  # what Reflex does to an api_transformer ...
    api.mount("", reflex_inner)  # ... and where it mounts itself
    client = TestClient(api_first(reflex_inner, api, lambda: None))

    r = client.options(
        "/api/v1/leads",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "https://example.com")
    r = client.post("/api/v1/leads", content=b"[1]", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.get("/api/no-such-route")
    assert (r.status_code, r.text) == (404, "reflex 404")
