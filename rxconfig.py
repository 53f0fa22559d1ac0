"""Reflex configuration. Settings come from the environment (see l2c_app/core/config.py);
REDIS_URL is handed to Reflex so several workers can share UI state."""

import os

import reflex as rx

os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

_redis = os.environ.get("REDIS_URL") or None

config = rx.Config(
    app_name="l2c_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=_redis,
    # One theme for the whole app; light or dark follows the user (toggle in the user menu).
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="inherit", accent_color="indigo",
                                                         gray_color="slate", radius="medium", has_background=True))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
