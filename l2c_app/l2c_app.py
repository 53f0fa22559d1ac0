"""The Reflex app: one theme, every stage's pages, and the HTTP API on the same port."""

import reflex as rx

# Importing a stage's pages module registers its pages (ui.layout.app_page).
from l2c_app import models  # noqa: F401
from l2c_app.accounting import pages as _accounting  # noqa: F401
from l2c_app.api.app import api_first, build_api
from l2c_app.audit import pages as _audit  # noqa: F401
from l2c_app.billing import pages as _billing  # noqa: F401
from l2c_app.clients import pages as _clients  # noqa: F401
from l2c_app.contracts import pages as _contracts  # noqa: F401
from l2c_app.insights import cash_page as _insights_cash  # noqa: F401
from l2c_app.insights import cycle_page as _cycle_times  # noqa: F401
from l2c_app.insights import margin_page as _insights_margin  # noqa: F401
from l2c_app.insights import pages as _insights  # noqa: F401
from l2c_app.leads import pages as _leads  # noqa: F401
from l2c_app.outbox import pages as _outbox  # noqa: F401
from l2c_app.outbox.worker import lifespan as outbox_worker
from l2c_app.payments import pages as _payments  # noqa: F401
from l2c_app.pipeline import pages as _pipeline  # noqa: F401
from l2c_app.projects import pages as _projects  # noqa: F401
from l2c_app.quotes import pages as _quotes  # noqa: F401
from l2c_app.team import account_pages as _account  # noqa: F401
from l2c_app.team import pages as _team  # noqa: F401
from l2c_app.ui import admin_pages as _admin  # noqa: F401
from l2c_app.ui.layout import PAGES
from l2c_app.webhooks_out import pages as _webhooks_out  # noqa: F401


class App(rx.App):
    """Reflex's app, with the API requests served without Reflex's outer layer (api/app.api_first)."""

    def __call__(self):
        from starlette.applications import Starlette

        top = super().__call__()
        if not isinstance(top, Starlette):  # wrapped (OpenTelemetry): keep Reflex's chain whole
            return top
        return api_first(top, self.api_transformer, self._set_contexts_internal)


app = App(
    api_transformer=build_api(),
    # assets/a11y.js: names and keyboard access no component prop reaches (issue 22).
    head_components=[rx.el.meta(name="description", content="l2c: lead to cash"), rx.script(src="/a11y.js")],
    # Width and scrolling rules for phones (assets/responsive.css); the theme stays Radix's;
    # the shared toast's text colours at WCAG AA contrast (assets/toast.css).
    stylesheets=["/responsive.css", "/toast.css"],
)

# The outbox worker: delivers e-mail, Stripe and DocuSign effects right after each commit.
app.register_lifespan_task(outbox_worker)

for spec in PAGES:
    app.add_page(spec.component, route=spec.route, title=f"{spec.title} · l2c", on_load=spec.on_load)
