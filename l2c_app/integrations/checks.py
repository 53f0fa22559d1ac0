""" "Test connection" for Stripe and DocuSign: call the provider the way the app will, and say in
plain words what is wrong and what to do.

Plain functions (no Reflex, no database): Settings calls them off the event loop. Each
returns a `ConnectionCheck`: `ok` only when nothing in `problems`; `found` says what the
provider told us (the account, the webhook endpoint), `link` is a page to open (DocuSign's
consent URL when consent is missing).

Stripe (API reference "Retrieve account", "List all webhook endpoints"): the key is tried
with GET /v1/account (401: a bad key), then the webhook endpoints are read to check that one
points at this app's `/api/webhooks/stripe`, is enabled, is pinned to the API version the
SDK is generated for (stripe_client.API_VERSION) and subscribes to every event type l2c
handles (stripe_client.EVENT_TYPES). A restricted key may lack the webhook permission: said,
not failed.

DocuSign ("JWT Grant implementation and best practices", "GET /oauth/userinfo"): the JWT
token request (consent_required comes with the consent URL), then /oauth/userinfo, which
lists the user's accounts with each one's `base_uri`: DOCUSIGN_ACCOUNT_ID must be one of
them and DOCUSIGN_BASE_PATH must be that account's `base_uri` + `/restapi`.

Threat model: nothing here echoes a secret; a key is named, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from l2c_app.core.config import Settings, get_settings


@dataclass
class ConnectionCheck:
    provider: str
    ok: bool = False
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    link: str = ""

    def finish(self, good: str) -> ConnectionCheck:
        self.ok = not self.problems
        if self.ok:
            self.summary = good
        elif not self.summary:
            self.summary = f"{self.provider}: {len(self.problems)} thing(s) to fix"
        return self

    def as_dict(self) -> dict:
        return {
            "provider": self.provider,
            "ok": self.ok,
            "summary": self.summary,
            "problems": list(self.problems),
            "found": list(self.found),
            "link": self.link,
        }


def _webhook_url(settings: Settings, provider: str) -> str:
    return f"{settings.app_base_url.rstrip('/')}/api/webhooks/{provider}"


def _check_public_url(settings: Settings, out: ConnectionCheck, provider: str) -> None:
    """Webhooks come from the provider's servers: they need a public https address."""
    from urllib.parse import urlparse

    url = urlparse(settings.app_base_url)
    host = (url.hostname or "").lower()
    local = host in ("localhost", "") or host.startswith(("127.", "10.", "192.168.")) or host.endswith(".local")
    if url.scheme != "https" or local:
        out.problems.append(
            f"APP_BASE_URL is {settings.app_base_url}: {provider} cannot deliver webhooks there. "
            "Set it to the public https address of this l2c (a reverse proxy with a certificate)."
        )


# --- Stripe ----------------------------------------------------------------------------------


def check_stripe(settings: Settings | None = None) -> ConnectionCheck:
    import stripe

    from l2c_app.integrations import stripe_client

    settings = settings or get_settings()
    out = ConnectionCheck("Stripe")
    if not settings.stripe_api_key:
        out.summary = "Stripe is not configured."
        out.problems.append(
            "Set STRIPE_API_KEY to the secret key (sk_live_... or sk_test_...) from the Stripe "
            "Dashboard, Developers > API keys, and restart l2c. Until then invoices are paid by hand."
        )
        return out.finish("")
    client = stripe_client.get_client()
    try:
        account = stripe_client._plain(client.v1.accounts.retrieve_current())
    except stripe.AuthenticationError:
        out.summary = "Stripe refused the API key."
        out.problems.append(
            "STRIPE_API_KEY is not a valid key for any Stripe account (revoked, mistyped, or a "
            "publishable pk_ key). Copy the secret key again from Developers > API keys."
        )
        return out.finish("")
    except stripe.PermissionError:
        out.problems.append(
            "STRIPE_API_KEY is a restricted key without read access to the account; give it "
            "Read on Account, Write on Payment Links, Read on Events, Checkout and Balance."
        )
        account = None
    except stripe.APIConnectionError:
        out.summary = "Stripe cannot be reached."
        out.problems.append(
            f"Could not connect to {settings.stripe_api_base or 'api.stripe.com'}: check the "
            "server's internet access, proxy and firewall (outgoing HTTPS)."
        )
        return out.finish("")
    except stripe.StripeError as exc:
        out.summary = "Stripe answered with an error."
        out.problems.append(f"Stripe: {exc.user_message or exc}")
        return out.finish("")
    if account is not None:
        name = ((account.get("settings") or {}).get("dashboard") or {}).get("display_name") or account.get("id")
        mode = "test mode" if settings.stripe_api_key.startswith(("sk_test_", "rk_test_")) else "live mode"
        out.found.append(f"Account {name} ({account.get('id')}), {mode}.")
    if not settings.stripe_webhook_secret:
        out.problems.append(
            "STRIPE_WEBHOOK_SECRET is not set: every webhook is refused. Copy the endpoint's "
            "signing secret (whsec_...) from Developers > Webhooks."
        )
    _check_public_url(settings, out, "Stripe")
    _check_stripe_endpoint(client, settings, out, stripe_client.API_VERSION, stripe_client.EVENT_TYPES)
    return out.finish("Stripe is connected: the key works and the webhook endpoint is set up as l2c needs.")


def _check_stripe_endpoint(
    client, settings: Settings, out: ConnectionCheck, version: str, types: tuple[str, ...]
) -> None:
    import stripe

    from l2c_app.integrations.stripe_client import _plain

    url = _webhook_url(settings, "stripe")
    try:
        endpoints = [_plain(e) for e in client.v1.webhook_endpoints.list({"limit": 100}).data]
    except stripe.PermissionError:
        out.found.append(f"This key may not read webhook endpoints; check in the Dashboard that one points at {url}.")
        return
    except stripe.StripeError as exc:
        out.problems.append(f"Could not read the webhook endpoints: {exc.user_message or exc}")
        return
    ours = [e for e in endpoints if str(e.get("url") or "").rstrip("/") == url]
    if not ours:
        out.problems.append(
            f"No webhook endpoint points at {url}. Add one in Developers > Webhooks (see README, "
            "Connect Stripe) with API version " + version + "."
        )
        return
    ep = ours[0]
    out.found.append(f"Webhook endpoint {ep.get('id')} at {url}.")
    if ep.get("status") != "enabled":
        out.problems.append(f"The webhook endpoint {ep.get('id')} is {ep.get('status')}: enable it.")
    if ep.get("api_version") != version:
        out.problems.append(
            f"The webhook endpoint sends API version {ep.get('api_version') or 'of the account'}; "
            f"l2c reads {version}. Create the endpoint again with that version."
        )
    enabled = set(ep.get("enabled_events") or [])
    missing = [t for t in types if t not in enabled] if "*" not in enabled else []
    if missing:
        out.problems.append("The webhook endpoint does not send: " + ", ".join(missing) + ".")


# --- DocuSign --------------------------------------------------------------------------------


def check_docusign(settings: Settings | None = None) -> ConnectionCheck:
    from urllib3.exceptions import HTTPError as Urllib3Error

    from l2c_app.integrations.docusign_client import DocuSignClient, DocuSignError

    settings = settings or get_settings()
    out = ConnectionCheck("DocuSign")
    missing = [
        name
        for name, value in (
            ("DOCUSIGN_INTEGRATION_KEY", settings.docusign_integration_key),
            ("DOCUSIGN_USER_ID", settings.docusign_user_id),
            ("DOCUSIGN_ACCOUNT_ID", settings.docusign_account_id),
        )
        if not value
    ]
    if missing:
        out.summary = "DocuSign is not configured."
        out.problems.append(
            "Set " + ", ".join(missing) + " (README, Connect DocuSign) and restart l2c. Until then "
            "contracts are signed in l2c itself."
        )
        return out.finish("")
    try:
        info = DocuSignClient(settings).user_info()
    except DocuSignError as exc:
        if exc.code == "consent_required":
            out.summary = "DocuSign needs consent once."
            out.link = exc.consent_url or ""
            out.problems.append(
                "The DocuSign user l2c signs in as has not granted consent yet. Open the consent "
                "link signed in as that user, accept, then test again."
            )
        else:
            out.summary = "DocuSign refused to sign l2c in."
            out.problems.append(str(exc))
        return out.finish("")
    except (Urllib3Error, OSError) as exc:
        out.summary = "DocuSign cannot be reached."
        out.problems.append(
            f"Could not connect to {settings.docusign_oauth_host} ({type(exc).__name__}): check "
            "DOCUSIGN_OAUTH_HOST (account-d.docusign.com for a developer account, "
            "account.docusign.com in production) and the server's outgoing HTTPS."
        )
        return out.finish("")
    accounts = [a for a in (info.get("accounts") or []) if isinstance(a, dict)]
    mine = next((a for a in accounts if str(a.get("account_id")) == settings.docusign_account_id), None)
    who = info.get("email") or info.get("name") or settings.docusign_user_id
    out.found.append(f"Signed in as {who} through {settings.docusign_oauth_host}.")
    if mine is None:
        listed = ", ".join(f"{a.get('account_id')} ({a.get('account_name') or 'no name'})" for a in accounts) or "none"
        out.problems.append(
            f"DOCUSIGN_ACCOUNT_ID {settings.docusign_account_id} is not one of this user's "
            f"accounts. The user's accounts: {listed}."
        )
    else:
        out.found.append(
            f"Account {mine.get('account_name') or mine.get('account_id')} "
            f"({mine.get('account_id')}) at {mine.get('base_uri')}."
        )
        expected = f"{str(mine.get('base_uri') or '').rstrip('/')}/restapi"
        if settings.docusign_base_path.rstrip("/") != expected:
            out.problems.append(
                f"DOCUSIGN_BASE_PATH is {settings.docusign_base_path} but this account lives at "
                f"{expected}: set DOCUSIGN_BASE_PATH={expected}."
            )
    _check_public_url(settings, out, "DocuSign Connect")
    if not settings.docusign_connect_hmac_keys:
        out.problems.append(
            "DOCUSIGN_CONNECT_HMAC_KEY is not set: Connect messages cannot be verified and are "
            "refused. Add an HMAC key in DocuSign (Settings > Connect > Connect Keys)."
        )
    return out.finish("DocuSign is connected: l2c can sign in, and the account and base path match.")
