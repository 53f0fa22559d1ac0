"""Reflex configuration. Settings come from the environment or `.env` (l2c_app/core/config.py);
REDIS_URL is handed to Reflex so several workers can share UI state."""

import os

import reflex as rx

os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")


def _redis_url() -> str | None:
    # The same reader as the app, so REDIS_URL in `.env` counts too (os.environ wins).
    from l2c_app.core.config import PROJECT_DIR, _load_dotenv

    return os.environ.get("REDIS_URL") or _load_dotenv(PROJECT_DIR / ".env").get("REDIS_URL") or None


_redis = _redis_url()

config = rx.Config(
    app_name="l2c_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=_redis,
    # One theme for the whole app; light or dark follows the user (toggle in the user menu).
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium", has_background=True
            )
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
