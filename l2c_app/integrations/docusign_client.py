"""DocuSign adapter: the official `docusign-esign` SDK with the JWT grant.

Settings (core.config): integration key, user id, account id, RSA private key (a file, or the
`DOCUSIGN_PRIVATE_KEY` variable), REST base path and OAuth host (both configurable so tests
drive this exact code against a local stand-in), Connect HMAC keys, optional CA bundle.

Envelopes carry the contract PDF as document 1; each signer gets a sign-here tab on the
anchor `/sigN/` and a date-signed tab on `/dateN/` (N = position in routing order, the same
numbering contracts/pdf.py prints in white); the contract id travels in a text custom field;
`eventNotification` asks for JSON SIM Connect messages signed with HMAC.
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from typing import TYPE_CHECKING

from docusign_esign import (
    ApiClient, CarbonCopy, ConnectEventData, CustomFields, DateSigned, Document, EnvelopeDefinition, EnvelopesApi,
    EventNotification, Recipients, Signer, SignHere, Tabs, TextCustomField,
)
from docusign_esign.client.api_exception import ApiException
from docusign_esign.client.api_response import RESTClientObject
from docusign_esign.client.configuration import Configuration

from l2c_app.core.config import Settings, get_settings

if TYPE_CHECKING:
    from l2c_app.contracts.models import Contract, ContractSigner

CONTRACT_FIELD = "l2c_contract_id"
CHANGE_ORDER_FIELD = "l2c_change_order_id"
CONNECT_EVENTS = ["envelope-sent", "envelope-delivered", "envelope-completed", "envelope-declined", "envelope-voided"]
TOKEN_SECONDS = 3600
# DocuSign envelope status -> contract status (the ones l2c tracks).
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "completed": "completed", "declined": "declined",
              "voided": "voided", "signed": "delivered"}


class DocuSignError(RuntimeError):
    """DocuSign refused or could not be reached; the message is safe to show to a team member."""


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
                client_id=s.docusign_integration_key, user_id=s.docusign_user_id,
                oauth_host_name=s.docusign_oauth_host, private_key_bytes=_private_key(s),
                expires_in=TOKEN_SECONDS, scopes=["signature", "impersonation"])
        except ApiException as exc:
            raise DocuSignError(f"DocuSign login (JWT grant) failed: {exc.status} {exc.reason}") from exc
        lifetime = int(getattr(token, "expires_in", None) or TOKEN_SECONDS)
        with _tokens_lock:
            _tokens[key] = (token.access_token, time.monotonic() + lifetime)
        return client

    def _envelopes(self) -> EnvelopesApi:
        return EnvelopesApi(self._api_client())

    # --- envelopes -------------------------------------------------------------------------

    def envelope_definition(self, contract: Contract, signers: list[ContractSigner], ccs: list[ContractSigner],
                            pdf: bytes) -> EnvelopeDefinition:
        doc = Document(document_base64=base64.b64encode(pdf).decode(), name=f"{contract.title}.pdf"[:100],
                       file_extension="pdf", document_id="1")
        ds_signers = []
        for index, s in enumerate(signers, start=1):
            tabs = Tabs(
                sign_here_tabs=[SignHere(anchor_string=f"/sig{index}/", anchor_units="pixels", anchor_x_offset="0",
                                         anchor_y_offset="0", anchor_ignore_if_not_present="false")],
                date_signed_tabs=[DateSigned(anchor_string=f"/date{index}/", anchor_units="pixels",
                                             anchor_x_offset="0", anchor_y_offset="0")])
            ds_signers.append(Signer(email=s.email, name=s.name, recipient_id=str(s.id),
                                     routing_order=str(s.routing_order), tabs=tabs))
        ds_ccs = [CarbonCopy(email=c.email, name=c.name, recipient_id=str(c.id), routing_order=str(c.routing_order))
                  for c in ccs]
        return EnvelopeDefinition(
            email_subject=f"Please sign: {contract.title}"[:100], documents=[doc],
            recipients=Recipients(signers=ds_signers, carbon_copies=ds_ccs), status="sent",
            custom_fields=CustomFields(text_custom_fields=[
                TextCustomField(name=CONTRACT_FIELD, value=str(contract.id), show="false", required="false")]),
            event_notification=_notification())

    def create_envelope(self, contract: Contract, signers: list[ContractSigner], ccs: list[ContractSigner],
                        pdf: bytes) -> str:
        return self._create(self.envelope_definition(contract, signers, ccs, pdf))

    def create_change_order_envelope(self, change_order_id: int, subject: str, document_name: str, pdf: bytes,
                                     signer_name: str, signer_email: str) -> str:
        """One signer (the client) on the anchors `/sig1/` and `/date1/` of a change-order PDF; the
        change order id travels in the `l2c_change_order_id` custom field."""
        doc = Document(document_base64=base64.b64encode(pdf).decode(), name=document_name[:100],
                       file_extension="pdf", document_id="1")
        tabs = Tabs(
            sign_here_tabs=[SignHere(anchor_string="/sig1/", anchor_units="pixels", anchor_x_offset="0",
                                     anchor_y_offset="0", anchor_ignore_if_not_present="false")],
            date_signed_tabs=[DateSigned(anchor_string="/date1/", anchor_units="pixels", anchor_x_offset="0",
                                         anchor_y_offset="0")])
        signer = Signer(email=signer_email, name=signer_name, recipient_id="1", routing_order="1", tabs=tabs)
        return self._create(EnvelopeDefinition(
            email_subject=subject[:100], documents=[doc], recipients=Recipients(signers=[signer]), status="sent",
            custom_fields=CustomFields(text_custom_fields=[
                TextCustomField(name=CHANGE_ORDER_FIELD, value=str(change_order_id), show="false",
                                required="false")]),
            event_notification=_notification()))

    def _create(self, definition: EnvelopeDefinition) -> str:
        try:
            summary = self._envelopes().create_envelope(self.account_id, envelope_definition=definition)
        except ApiException as exc:
            raise DocuSignError(f"DocuSign refused the envelope: {exc.status} {exc.reason}") from exc
        if not summary.envelope_id:
            raise DocuSignError("DocuSign returned no envelope id")
        return summary.envelope_id

    def envelope_status(self, envelope_id: str) -> str:
        try:
            envelope = self._envelopes().get_envelope(self.account_id, envelope_id)
        except ApiException as exc:
            raise DocuSignError(f"DocuSign envelope {envelope_id}: {exc.status} {exc.reason}") from exc
        return STATUS_MAP.get((envelope.status or "").lower(), "sent")

    def download_combined(self, envelope_id: str) -> bytes:
        """The signed PDF: every document of the envelope combined (with DocuSign's certificate)."""
        try:
            data = self._envelopes().get_document(self.account_id, "combined", envelope_id)
        except ApiException as exc:
            raise DocuSignError(f"DocuSign download of {envelope_id}: {exc.status} {exc.reason}") from exc
        if isinstance(data, str):  # an SDK that hands back a temporary file's path
            with open(data, "rb") as fh:
                data = fh.read()
        return bytes(data)

    def void_envelope(self, envelope_id: str, reason: str) -> None:
        from docusign_esign import Envelope

        try:
            self._envelopes().update(self.account_id, envelope_id,
                                     envelope=Envelope(status="voided", voided_reason=reason[:200]))
        except ApiException as exc:
            raise DocuSignError(f"DocuSign void of {envelope_id}: {exc.status} {exc.reason}") from exc


def _notification() -> EventNotification:
    """Connect for this envelope: JSON SIM messages signed with HMAC, to our webhook."""
    return EventNotification(
        url=f"{get_settings().app_base_url}/api/webhooks/docusign", delivery_mode="SIM",
        require_acknowledgment="true", logging_enabled="true", include_hmac="true",
        include_envelope_void_reason="true", events=CONNECT_EVENTS,
        event_data=ConnectEventData(format="json", version="restv2.1",
                                    include_data=["custom_fields", "recipients", "documents"]))


def reset_token_cache() -> None:
    with _tokens_lock:
        _tokens.clear()
