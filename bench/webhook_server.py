"""The production backend for `bench/webhook_bench.py`, with one more route: the bare endpoint.

`python -m bench.webhook_server PORT` runs what `reflex run --env prod --backend-only` runs
(granian, the Reflex app with the l2c API, its middlewares, GRANIAN_WORKERS workers) with
`POST /bench/bare-stripe` added to the same FastAPI app: a route that only verifies the
Stripe signature (as the webhook does first) and answers 200. Both routes are measured on
the same server in the same run, so the ratio says what l2c's work costs, whatever else the
shared machine is doing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fastapi import Request  # at module level: the route's annotation is resolved from these globals
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parents[1]
BARE_PATH = "/bench/bare-stripe"


def app():  # granian's factory: the Reflex app's ASGI callable, the bare route added first
    from l2c_app.core.config import get_settings
    from l2c_app.l2c_app import app as reflex_app
    from l2c_app.payments.webhooks import BadSignature, verify

    api = reflex_app.api_transformer

    @api.post(BARE_PATH, include_in_schema=False)
    async def bare_stripe(request: Request) -> JSONResponse:
        try:
            event = verify(
                await request.body(), request.headers.get("stripe-signature"), get_settings().stripe_webhook_secret
            )
        except BadSignature as exc:
            return JSONResponse({"detail": str(exc)}, 400)
        return JSONResponse({"received": True, "id": event["id"]})

    return reflex_app()


def main(port: int) -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from reflex.environment import environment
    from reflex.utils import exec as rx_exec
    from reflex_base.constants import Env, LogLevel

    environment.REFLEX_ENV_MODE.set(Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    rx_exec.run_granian_backend_prod("127.0.0.1", port, LogLevel.WARNING, app_target="bench.webhook_server:app")


if __name__ == "__main__":
    main(int(sys.argv[1]))
