"""Settings > Integrations' "Test connection": the checks there are, by provider (wiring).

A check (integrations/checks.py) reads the provider's settings and calls the provider with
them: it is the adapter's own business, and it must say *why* a provider is not connected
(no STRIPE_API_KEY, a webhook secret missing), which a port cannot: `ports.payments.gateway()`
is manual payments then. So the checks stay with the adapters and pages reach them here, an
app-level module like jobs.py and cli.py: ui/ imports no adapter (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Callable

from l2c_app.integrations.checks import ConnectionCheck, check_docusign, check_stripe

__all__ = ["CHECKS", "ConnectionCheck", "failed"]

CHECKS: dict[str, Callable[[], ConnectionCheck]] = {"stripe": check_stripe, "docusign": check_docusign}


def failed(provider: str) -> ConnectionCheck:
    """The result shown when the check itself raised (the server log has the traceback)."""
    return ConnectionCheck(provider.title(), summary="The test itself failed; the server log has the details.").finish(
        ""
    )
