"""DocuSign adapter: the official `docusign-esign` SDK with the JWT grant.

It implements the signature provider port (ports/signatures.py, `PROVIDER`): stages reach it
through `ports.signatures.provider("docusign")`, with plain data (an EnvelopeRequest) in and
envelope ids, statuses and PDF bytes out; it imports only core and ports.

Settings (core.config): integration key, user id, account id, RSA private key (a file, or the
`DOCUSIGN_PRIVATE_KEY` variable), REST base path and OAuth host (both configurable so tests
drive this exact code against a local stand-in), Connect HMAC keys, optional CA bundle.

Envelopes carry the contract PDF as document 1; each signer gets a sign-here tab on the
anchor `/sigN/` and a date-signed tab on `/dateN/` (N = position in routing order, the same
numbering contracts/pdf.py prints in white); the contract id travels in a text custom field;
`eventNotification` asks for JSON SIM Connect messages signed with HMAC, without documents
(DocuSign, "Connect: best practices for building your listener": do not send documents on
every request, most of the time only the final document is needed); on completion the
signed PDF is downloaded once, combined with DocuSign's Certificate of Completion.

Errors (DocuSign's `errorCode` and message, or OAuth's `error`) reach the team member with
what to do: `consent_required` comes with the consent URL ("Obtain consent" / "JWT Grant
implementation and best practices": the impersonated user grants consent once, at
`https://<oauth host>/oauth/auth?response_type=code&scope=signature%20impersonation...`).
A 401 on an API call means the cached token was revoked or expired early: it is evicted and
the call tried once more with a new token.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections.abc import Iterable
from typing import Any

from docusign_esign import (
    ApiClient,
    CarbonCopy,
    ConnectEventData,
    CustomFields,
    DateSigned,
    Document,
    EnvelopeDefinition,
    EnvelopesApi,
    EventNotification,
    Recipients,
    Signer,
    SignHere,
    Tabs,
    TextCustomField,
)
from docusign_esign.client.api_exception import ApiException
from docusign_esign.client.api_response import RESTClientObject
from docusign_esign.client.configuration import Configuration

from l2c_app.core.config import Settings, get_settings
from l2c_app.integrations import docusign_connect
from l2c_app.ports.signatures import EnvelopeRequest, SignatureRefused, StatusMessage

CONTRACT_FIELD = "l2c_contract_id"
CHANGE_ORDER_FIELD = "l2c_change_order_id"
CONNECT_EVENTS = ["envelope-sent", "envelope-delivered", "envelope-completed", "envelope-declined", "envelope-voided"]
TOKEN_SECONDS = 3600
# DocuSign envelope status -> contract status (the ones l2c tracks).
STATUS_MAP = {
    "sent": "sent",
    "delivered": "delivered",
    "completed": "completed",
    "declined": "declined",
    "voided": "voided",
    "signed": "delivered",
}


class DocuSignError(SignatureRefused):
    """DocuSign refused or could not be reached; the message is safe to show to a team member.

    `code` is DocuSign's error code (errorCode, or OAuth's `error`), `hint` what to do about it,
    `consent_url` the page where the user grants consent (consent_required only)."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        hint: str | None = None,
        consent_url: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.code, self.hint, self.consent_url, self.status = code, hint, consent_url, status

    @property
    def needs_a_person(self) -> bool:
        """A refusal retrying cannot fix (consent, keys, a missing anchor, another 4xx): the
        outbox fails it at once with DocuSign's hint; limits (429, the hourly cap) and outages
        are retried with backoff."""
        if self.code == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED":
            return False
        return self.code in HINTS or (self.status is not None and 400 <= self.status < 500 and self.status != 429)


# What to do about the error codes a team member can fix (DocuSign's errorCode / OAuth error).
HINTS = {
    "consent_required": "Grant consent once, signed in as the DocuSign user l2c impersonates: open {consent_url}",
    "invalid_grant": "Check DOCUSIGN_INTEGRATION_KEY, DOCUSIGN_USER_ID (the user's GUID), the RSA key pair uploaded "
    "to the integration key, and DOCUSIGN_OAUTH_HOST (account-d.docusign.com for the developer "
    "account, account.docusign.com in production).",
    "issuer_not_found": "DOCUSIGN_INTEGRATION_KEY is not known to this OAuth host (developer vs production).",
    "no_valid_keys_or_signatures": "The RSA private key does not match the public key of the integration key.",
    "AUTHORIZATION_INVALID_TOKEN": "The access token was revoked or expired; l2c asked for a new one. If this "
    "persists, the consent was withdrawn: grant it again.",
    "USER_AUTHENTICATION_FAILED": "The access token was refused; check the user and account ids.",
    "INVALID_ACCOUNT_ID": "DOCUSIGN_ACCOUNT_ID is wrong for this user; read it (and base_uri) from /oauth/userinfo.",
    "PARTNER_AUTHENTICATION_FAILED": "DOCUSIGN_INTEGRATION_KEY or DOCUSIGN_BASE_PATH is wrong for this "
    "environment (base_uri from /oauth/userinfo + /restapi).",
    "ANCHOR_TAB_STRING_NOT_FOUND": "The PDF lacks a signature anchor; regenerate the contract PDF.",
    "HOURLY_APIINVOCATION_LIMIT_EXCEEDED": "DocuSign's hourly API limit is reached; try again after the hour.",
    "Hourly_Envelope_Polling_Limit_Exceeded": "This envelope was polled too often; l2c waits 15 minutes between polls.",
    "ENVELOPE_DOES_NOT_EXIST": "DocuSign does not know this envelope (another account or environment?).",
}


def consent_url(settings: Settings) -> str:
    from urllib.parse import quote, urlencode

    query = urlencode(
        {
            "response_type": "code",
            "scope": "signature impersonation",
            "client_id": settings.docusign_integration_key or "",
            "redirect_uri": f"{settings.app_base_url}/settings",
        },
        quote_via=quote,
    )
    return f"https://{settings.docusign_oauth_host}/oauth/auth?{query}"


def provider_error(exc: ApiException, what: str, settings: Settings | None = None) -> DocuSignError:
    """A DocuSignError naming DocuSign's own error code and message, and what to do."""
    settings = settings or get_settings()
    code = message = None
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if isinstance(data, dict):
        code = data.get("errorCode") or data.get("error")
        message = data.get("message") or data.get("error_description")
    url = consent_url(settings) if code == "consent_required" else None
    hint = HINTS.get(str(code), "").format(consent_url=url or "") or None
    parts = [f"{what}: {exc.status} {exc.reason}"]
    if code:
        parts.append(f"{code}" + (f" ({message})" if message and message != code else ""))
    if hint:
        parts.append(hint)
    return DocuSignError(
        " - ".join(parts), code=str(code) if code else None, hint=hint, consent_url=url, status=exc.status
    )


_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def _private_key(settings: Settings) -> bytes:
    if settings.docusign_private_key_file:
        with open(settings.docusign_private_key_file, "rb") as fh:
            return fh.read()
    if settings.docusign_private_key:
        return settings.docusign_private_key.replace("\\n", "\n").encode()
    raise DocuSignError("DocuSign private key missing: set DOCUSIGN_PRIVATE_KEY_FILE or DOCUSIGN_PRIVATE_KEY")


class DocuSignClient:
    def __init__(self, settings: Settings):
        if not settings.docusign_enabled:
            raise DocuSignError("DocuSign is not configured (integration key, user id and account id).")
        self.settings = settings
        self.account_id = settings.docusign_account_id

    @classmethod
    def from_settings(cls) -> DocuSignClient:
        return cls(get_settings())

    # --- auth ----------------------------------------------------------------------------

    def _api_client(self) -> ApiClient:
        s = self.settings
        client = ApiClient(host=s.docusign_base_path, oauth_host_name=s.docusign_oauth_host)
        if s.docusign_ca_bundle:
            # The SDK's Configuration is a process-wide singleton: copy it, never mutate it.
            cfg = copy.copy(Configuration())
            cfg.ssl_ca_cert = s.docusign_ca_bundle
            client.rest_client = RESTClientObject(configuration=cfg)
        key = (s.docusign_integration_key, s.docusign_user_id, s.docusign_oauth_host)
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and cached[1] > time.monotonic() + 60:
            client.set_default_header("Authorization", f"Bearer {cached[0]}")
            return client
        try:
            token = client.request_jwt_user_token(
                client_id=s.docusign_integration_key,
                user_id=s.docusign_user_id,
                oauth_host_name=s.docusign_oauth_host,
                private_key_bytes=_private_key(s),
                expires_in=TOKEN_SECONDS,
                scopes=["signature", "impersonation"],
            )
        except ApiException as exc:
            raise provider_error(exc, "DocuSign login (JWT grant) failed", s) from exc
        lifetime = int(getattr(token, "expires_in", None) or TOKEN_SECONDS)
        with _tokens_lock:
            _tokens[key] = (token.access_token, time.monotonic() + lifetime)
        return client

    def _envelopes(self) -> EnvelopesApi:
        return EnvelopesApi(self._api_client())

    def _evict_token(self) -> None:
        s = self.settings
        with _tokens_lock:
            _tokens.pop((s.docusign_integration_key, s.docusign_user_id, s.docusign_oauth_host), None)

    def _call(self, what: str, fn):
        """fn(EnvelopesApi); a 401 evicts the cached token and tries once more with a new one."""
        try:
            return fn(self._envelopes())
        except ApiException as exc:
            if exc.status != 401:
                raise provider_error(exc, what, self.settings) from exc
        self._evict_token()
        try:
            return fn(self._envelopes())
        except ApiException as exc:
            if exc.status == 401:
                self._evict_token()
            raise provider_error(exc, what, self.settings) from exc

    def user_info(self) -> dict:
        """GET /oauth/userinfo: the user's accounts with each one's base_uri (the "Test connection")."""
        client = self._api_client()
        try:
            info = client.get_user_info(client.default_headers["Authorization"].split(" ", 1)[1])
        except ApiException as exc:
            raise provider_error(exc, "DocuSign /oauth/userinfo", self.settings) from exc
        data = info.to_dict() if hasattr(info, "to_dict") else dict(info)
        # The SDK's OAuthUserInfo.to_dict leaves its Account objects as they are: make them data.
        data["accounts"] = [
            a
            if isinstance(a, dict)
            else {k: getattr(a, k, None) for k in ("account_id", "account_name", "base_uri", "is_default")}
            for a in (data.get("accounts") or [])
        ]
        return data

    # --- envelopes -------------------------------------------------------------------------

    def envelope_definition(self, request: EnvelopeRequest) -> EnvelopeDefinition:
        """Document 1 is the PDF; signer N gets a sign-here tab on `/sigN/` and a date-signed tab
        on `/dateN/`; the l2c record's id travels in a text custom field."""
        doc = Document(
            document_base64=base64.b64encode(request.pdf).decode(),
            name=request.document_name[:100],
            file_extension="pdf",
            document_id="1",
        )
        ds_signers = []
        for index, s in enumerate(request.signers, start=1):
            tabs = Tabs(
                sign_here_tabs=[
                    SignHere(
                        anchor_string=f"/sig{index}/",
                        anchor_units="pixels",
                        anchor_x_offset="0",
                        anchor_y_offset="0",
                        anchor_ignore_if_not_present="false",
                    )
                ],
                date_signed_tabs=[
                    DateSigned(
                        anchor_string=f"/date{index}/", anchor_units="pixels", anchor_x_offset="0", anchor_y_offset="0"
                    )
                ],
            )
            ds_signers.append(
                Signer(
                    email=s.email,
                    name=s.name,
                    recipient_id=s.recipient_id,
                    routing_order=str(s.routing_order),
                    tabs=tabs,
                )
            )
        ds_ccs = [
            CarbonCopy(email=c.email, name=c.name, recipient_id=c.recipient_id, routing_order=str(c.routing_order))
            for c in request.ccs
        ]
        kind, record_id = request.reference
        field = CHANGE_ORDER_FIELD if kind == "change_order" else CONTRACT_FIELD
        return EnvelopeDefinition(
            email_subject=request.subject[:100],
            documents=[doc],
            # A contract's envelope lists its copies (even none); a change order's has no such list.
            recipients=Recipients(signers=ds_signers, carbon_copies=ds_ccs if kind == "contract" else None),
            status="sent",
            custom_fields=CustomFields(
                text_custom_fields=[TextCustomField(name=field, value=str(record_id), show="false", required="false")]
            ),
            event_notification=_notification(),
        )

    def send_envelope(self, request: EnvelopeRequest) -> str:
        return self._create(self.envelope_definition(request))

    def _create(self, definition: EnvelopeDefinition) -> str:
        summary = self._call(
            "DocuSign refused the envelope",
            lambda api: api.create_envelope(self.account_id, envelope_definition=definition),
        )
        if not summary.envelope_id:
            raise DocuSignError("DocuSign returned no envelope id")
        return summary.envelope_id

    def envelope_status(self, envelope_id: str) -> str:
        envelope = self._call(
            f"DocuSign envelope {envelope_id}", lambda api: api.get_envelope(self.account_id, envelope_id)
        )
        return STATUS_MAP.get((envelope.status or "").lower(), "sent")

    def download_combined(self, envelope_id: str) -> bytes:
        """The signed PDF: every document of the envelope combined, with DocuSign's Certificate of
        Completion (EnvelopeDocuments: get, documentId `combined`, `certificate=true`; the
        certificate is only included when asked for)."""
        data = self._call(
            f"DocuSign download of {envelope_id}",
            lambda api: api.get_document(self.account_id, "combined", envelope_id, certificate="true"),
        )
        if isinstance(data, str):  # an SDK that hands back a temporary file's path
            with open(data, "rb") as fh:
                data = fh.read()
        return bytes(data)

    def void_envelope(self, envelope_id: str, reason: str) -> None:
        from docusign_esign import Envelope

        self._call(
            f"DocuSign void of {envelope_id}",
            lambda api: api.update(
                self.account_id, envelope_id, envelope=Envelope(status="voided", voided_reason=reason[:200])
            ),
        )


def _notification() -> EventNotification:
    """Connect for this envelope: JSON SIM messages signed with HMAC, to our webhook."""
    return EventNotification(
        url=f"{get_settings().app_base_url}/api/webhooks/docusign",
        delivery_mode="SIM",
        require_acknowledgment="true",
        logging_enabled="true",
        include_hmac="true",
        include_envelope_void_reason="true",
        events=CONNECT_EVENTS,
        event_data=ConnectEventData(format="json", version="restv2.1", include_data=["custom_fields", "recipients"]),
    )


def reset_token_cache() -> None:
    with _tokens_lock:
        _tokens.clear()


class DocuSignProvider:
    """The signature provider port on DocuSign: a client from the current settings per call."""

    name = "docusign"
    label = "DocuSign"
    is_external = True

    def send_envelope(self, request: EnvelopeRequest) -> str:
        return DocuSignClient.from_settings().send_envelope(request)

    def status(self, envelope_id: str) -> str:
        return DocuSignClient.from_settings().envelope_status(envelope_id)

    def void(self, envelope_id: str, reason: str) -> None:
        DocuSignClient.from_settings().void_envelope(envelope_id, reason)

    def download(self, envelope_id: str) -> bytes:
        return DocuSignClient.from_settings().download_combined(envelope_id)

    def verify_message(self, raw: bytes, headers: Iterable[tuple[str, str]]) -> bool:
        """Connect's HMAC on the raw body, with any of the configured keys (none: nothing is trusted)."""
        return docusign_connect.verify(raw, headers, get_settings().docusign_connect_hmac_keys)

    def read_message(self, payload: dict[str, Any]) -> StatusMessage:
        return docusign_connect.parse(payload)


PROVIDER = DocuSignProvider()
