"""The Reflex app: one theme, every stage's pages, and the HTTP API on the same port."""

import reflex as rx

# Importing a stage's pages module registers its pages (ui.layout.app_page).
from l2c_app import models  # noqa: F401
from l2c_app.accounting import pages as _accounting  # noqa: F401
from l2c_app.api.app import build_api
from l2c_app.audit import pages as _audit  # noqa: F401
from l2c_app.billing import pages as _billing  # noqa: F401
from l2c_app.contracts import pages as _contracts  # noqa: F401
from l2c_app.insights import pages as _insights  # noqa: F401
from l2c_app.leads import pages as _leads  # noqa: F401
from l2c_app.payments import pages as _payments  # noqa: F401
from l2c_app.pipeline import pages as _pipeline  # noqa: F401
from l2c_app.projects import pages as _projects  # noqa: F401
from l2c_app.quotes import pages as _quotes  # noqa: F401
from l2c_app.team import account_pages as _account  # noqa: F401
from l2c_app.team import pages as _team  # noqa: F401
from l2c_app.ui import admin_pages as _admin  # noqa: F401
from l2c_app.ui.layout import PAGES

app = rx.App(
    api_transformer=build_api(),
    head_components=[rx.el.meta(name="description", content="l2c: lead to cash")],
    # Width and scrolling rules for phones (assets/responsive.css); the theme stays Radix's.
    stylesheets=["/responsive.css"],
)

for spec in PAGES:
    app.add_page(spec.component, route=spec.route, title=f"{spec.title} · l2c", on_load=spec.on_load)
