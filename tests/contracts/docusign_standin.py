"""A local DocuSign stand-in: HTTPS on 127.0.0.1 in a thread, spoken to by the real SDK.

It answers what l2c's adapter calls, the way DocuSign does:
- `POST /oauth/token` (JWT grant): checks the RS256 assertion against the app's public key,
  its issuer (integration key), subject (user id) and audience (OAuth host);
- `POST /restapi/v2.1/accounts/{account}/envelopes`: needs the bearer token, refuses anchor
  tabs whose anchor string is not in the document (as DocuSign does), returns an envelope id;
- `GET .../envelopes/{id}`, `GET .../envelopes/{id}/documents/combined`, `PUT .../envelopes/{id}` (void).

It also writes Connect messages (JSON SIM, HMAC-signed like DocuSign's `X-DocuSign-Signature-1`)
for the tests to deliver to the app's webhook.

Documented behaviours it models (each with the DocuSign page it follows):
- "JWT Grant implementation and best practices" / "Obtain consent": until the impersonated
  user has granted consent (`consented = False`), the token endpoint answers 400
  `{"error": "consent_required"}`.
- "Authentication: access tokens": a revoked token (`revoke_tokens()`) is answered 401
  `AUTHORIZATION_INVALID_TOKEN` on every API call.
- "eSignature API rules and resource limits": poll any one envelope at most once every 15
  minutes; GETs of an envelope closer together (by `clock`) are counted in `poll_violations`.
- "EnvelopeDocuments: get": `documents/combined` is every document combined; the Certificate
  of Completion is added only with `certificate=true`.
- "Connect: best practices for building your listener" and the JSON SIM payload: with
  documents included, `envelopeDocuments` lists each document under its own documentId
  (our PDF is "1", as signed, without the certificate); DocuSign never sends the combined
  PDF as document "1".
- "GET /oauth/userinfo": the user's accounts, each with its `base_uri`. The SDK always uses https for OAuth, hence TLS
with a throwaway self-signed certificate that the app trusts via DOCUSIGN_CA_BUNDLE.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import ipaddress
import json
import re
import ssl
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pypdf import PdfReader, PdfWriter

from l2c_app.integrations.docusign_connect import signature


def make_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = make_rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "docusign-standin")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "standin.crt", folder / "standin.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(pem(key))
    return cert_file, key_file


def _certificate_page(envelope_id: str, signers: list[dict]) -> bytes:
    from fpdf import FPDF

    from l2c_app.core.pdf import FONT_DIR

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 10, f"DocuSign Certificate Of Completion - Envelope Id: {envelope_id}", new_x="LMARGIN", new_y="NEXT")
    for s in signers:
        pdf.cell(0, 8, f"Signer: {s.get('name', '')} {s.get('email', '')} - Completed", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@dataclass
class Envelope:
    id: str
    definition: dict
    status: str = "sent"
    void_reason: str | None = None
    documents: dict[str, bytes] = field(default_factory=dict)

    @property
    def contract_id(self) -> str | None:
        for f in (self.definition.get("customFields") or {}).get("textCustomFields") or []:
            if f.get("name") == "l2c_contract_id":
                return f.get("value")
        return None

    def combined(self, certificate: bool = True) -> bytes:
        writer = PdfWriter()
        parts = [self.documents[k] for k in sorted(self.documents)]
        if certificate:
            parts.append(_certificate_page(self.id, self.definition["recipients"]["signers"]))
        for data in parts:
            for p in PdfReader(io.BytesIO(data)).pages:
                writer.add_page(p)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


class DocuSignStandIn:
    def __init__(
        self, folder: Path, *, integration_key: str, user_id: str, account_id: str, public_key: rsa.RSAPublicKey
    ):
        self.integration_key, self.user_id, self.account_id = integration_key, user_id, account_id
        self.public_key = public_key
        self.envelopes: dict[str, Envelope] = {}
        self.requests: list[tuple[str, str]] = []
        self.tokens: set[str] = set()
        self.fail_downloads = 0  # > 0: the next document downloads answer 500 (an outage)
        self.consented = True  # False: the JWT grant answers consent_required
        self.clock = __import__("time").time  # the clock of the polling limit (tests move it)
        self.polls: dict[str, list[float]] = {}  # envelope id -> times of GETs of its status
        self.poll_violations = 0
        self.fail_envelopes: set[str] = set()  # envelope ids whose GET answers 500
        self.cert_file, key_file = self_signed(folder)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes | dict, ctype: str = "application/json") -> None:
                data = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorised(self) -> bool:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in standin.tokens:
                    self._send(
                        401,
                        {
                            "errorCode": "AUTHORIZATION_INVALID_TOKEN",
                            "message": "The access token provided is expired, revoked or malformed.",
                        },
                    )
                    return False
                return True

            def do_POST(self):  # noqa: N802
                standin.requests.append(("POST", self.path))
                if self.path == "/oauth/token":
                    return standin._oauth(self, parse_qs(self._body().decode()))
                m = re.fullmatch(r"/restapi/v2\.1/accounts/([^/]+)/envelopes", self.path.split("?")[0])
                if m and self._authorised():
                    return standin._create(self, m.group(1), json.loads(self._body()))
                if not m:
                    self._send(404, {"errorCode": "NOT_FOUND"})

            def do_GET(self):  # noqa: N802
                standin.requests.append(("GET", self.path))
                path = self.path.split("?")[0]
                query = parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}
                if path == "/oauth/userinfo":
                    if not self._authorised():
                        return
                    return self._send(
                        200,
                        {
                            "sub": standin.user_id,
                            "name": "Stand-in User",
                            "email": "user@standin.test",
                            "accounts": [
                                {
                                    "account_id": standin.account_id,
                                    "is_default": True,
                                    "account_name": "Stand-in",
                                    "base_uri": f"https://127.0.0.1:{standin.port}",
                                }
                            ],
                        },
                    )
                if not self._authorised():
                    return
                m = re.fullmatch(r"/restapi/v2\.1/accounts/([^/]+)/envelopes/([^/]+)(/documents/([^/]+))?", path)
                env = standin.envelopes.get(m.group(2)) if m else None
                if env is None or m.group(1) != standin.account_id:
                    return self._send(404, {"errorCode": "ENVELOPE_DOES_NOT_EXIST"})
                if m.group(4):
                    if standin.fail_downloads > 0:
                        standin.fail_downloads -= 1
                        return self._send(500, {"errorCode": "INTERNAL_SERVER_ERROR"})
                    if m.group(4) == "combined":
                        certificate = (query.get("certificate") or ["false"])[0].lower() == "true"
                        return self._send(200, env.combined(certificate), "application/pdf")
                    return self._send(200, env.documents[m.group(4)], "application/pdf")
                now = standin.clock()
                times = standin.polls.setdefault(env.id, [])
                if times and now - times[-1] < 15 * 60:
                    standin.poll_violations += 1
                times.append(now)
                if env.id in standin.fail_envelopes:
                    return self._send(500, {"errorCode": "INTERNAL_SERVER_ERROR", "message": "stand-in outage"})
                return self._send(
                    200,
                    {
                        "envelopeId": env.id,
                        "status": env.status,
                        "voidedReason": env.void_reason,
                        "statusChangedDateTime": dt.datetime.now(dt.UTC).isoformat(),
                    },
                )

            def do_PUT(self):  # noqa: N802
                standin.requests.append(("PUT", self.path))
                if not self._authorised():
                    return
                m = re.fullmatch(r"/restapi/v2\.1/accounts/([^/]+)/envelopes/([^/]+)", self.path.split("?")[0])
                env = standin.envelopes.get(m.group(2)) if m else None
                if env is None:
                    return self._send(404, {"errorCode": "ENVELOPE_DOES_NOT_EXIST"})
                data = json.loads(self._body())
                if data.get("status") == "voided":
                    env.status, env.void_reason = "voided", data.get("voidedReason")
                return self._send(200, {"envelopeId": env.id})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, key_file)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- addresses for the app's settings ----------------------------------------------------
    @property
    def oauth_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_path(self) -> str:
        return f"https://127.0.0.1:{self.port}/restapi"

    def start(self) -> DocuSignStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- handlers -----------------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def _oauth(self, h, form: dict) -> None:
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return h._send(400, {"error": "unsupported_grant_type"})
        if not self.consented:
            return h._send(400, {"error": "consent_required"})
        try:
            claims = jwt.decode(form["assertion"][0], self.public_key, algorithms=["RS256"], audience=self.oauth_host)
        except (jwt.PyJWTError, KeyError):
            return h._send(400, {"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"})
        if claims.get("iss") != self.integration_key or claims.get("sub") != self.user_id:
            return h._send(400, {"error": "invalid_grant", "error_description": "issuer_not_found"})
        if "signature" not in claims.get("scope", "").split():
            return h._send(400, {"error": "invalid_scope"})
        token = uuid.uuid4().hex
        self.tokens.add(token)
        h._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _create(self, h, account: str, body: dict) -> None:
        if account != self.account_id:
            return h._send(400, {"errorCode": "INVALID_ACCOUNT_ID"})
        docs = {d["documentId"]: base64.b64decode(d["documentBase64"]) for d in body.get("documents") or []}
        if not docs:
            return h._send(400, {"errorCode": "ENVELOPE_IS_INCOMPLETE"})
        text = "".join(p.extract_text() or "" for d in docs.values() for p in PdfReader(io.BytesIO(d)).pages)
        for signer in (body.get("recipients") or {}).get("signers") or []:
            tabs = signer.get("tabs") or {}
            for tab in (tabs.get("signHereTabs") or []) + (tabs.get("dateSignedTabs") or []):
                if tab.get("anchorString") and tab["anchorString"] not in text:
                    return h._send(
                        400,
                        {
                            "errorCode": "ANCHOR_TAB_STRING_NOT_FOUND",
                            "message": f"Anchor {tab['anchorString']} not found",
                        },
                    )
        env = Envelope(id=str(uuid.uuid4()), definition=body, status=body.get("status") or "created", documents=docs)
        self.envelopes[env.id] = env
        h._send(
            201,
            {
                "envelopeId": env.id,
                "status": env.status,
                "uri": f"/envelopes/{env.id}",
                "statusDateTime": dt.datetime.now(dt.UTC).isoformat(),
            },
        )

    # --- Connect messages -----------------------------------------------------------------------
    def connect_message(
        self, envelope_id: str, event: str, *, include_documents: bool = True, generated: str | None = None
    ) -> bytes:
        """The JSON SIM body DocuSign posts for `event` (envelope-sent, -delivered, -completed ...)."""
        env = self.envelopes[envelope_id]
        env.status = event.removeprefix("envelope-")
        summary: dict = {
            "status": env.status,
            "emailSubject": env.definition.get("emailSubject"),
            # DocuSign echoes the envelope's own custom fields (contract or change order id).
            "customFields": {
                "textCustomFields": (env.definition.get("customFields") or {}).get("textCustomFields") or []
            },
            "recipients": {
                "signers": [
                    {
                        "name": s["name"],
                        "email": s["email"],
                        "recipientId": s["recipientId"],
                        "status": "completed" if event == "envelope-completed" else "sent",
                        **({"declinedReason": "Not what we agreed"} if event == "envelope-declined" else {}),
                    }
                    for s in env.definition["recipients"]["signers"]
                ]
            },
        }
        if event == "envelope-voided":
            summary["voidedReason"] = env.void_reason or "Voided by sender"
        if include_documents and event == "envelope-completed":
            summary["envelopeDocuments"] = [
                {
                    "documentId": doc_id,
                    "name": f"document{doc_id}.pdf",
                    "type": "content",
                    "PDFBytes": base64.b64encode(data).decode(),
                }
                for doc_id, data in sorted(env.documents.items())
            ]
        payload = {
            "event": event,
            "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/{self.account_id}/envelopes/{envelope_id}",
            "retryCount": 0,
            "configurationId": 10001,
            "generatedDateTime": generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "data": {
                "accountId": self.account_id,
                "userId": self.user_id,
                "envelopeId": envelope_id,
                "envelopeSummary": summary,
            },
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    @staticmethod
    def sign(raw: bytes, *keys: str) -> dict[str, str]:
        """Headers DocuSign adds: one X-DocuSign-Signature-N per configured key."""
        return {f"X-DocuSign-Signature-{i}": signature(k, raw) for i, k in enumerate(keys, start=1)} | {
            "Content-Type": "application/json"
        }


@contextmanager
def configured_standin(
    tmp_path, monkeypatch, hmac_keys: str, ids: tuple[str, str, str] = ("ik-123", "user-456", "acc-789")
):
    """The stand-in running, and the app's settings pointing at it (JWT key in a file), as a
    deployment would set them; `hmac_keys` is DOCUSIGN_CONNECT_HMAC_KEY (comma-separated)."""
    from l2c_app.core.config import reset_settings
    from l2c_app.integrations.docusign_client import reset_token_cache

    integration_key, user_id, account_id = ids
    key = make_rsa_key()
    key_file = tmp_path / "docusign.pem"
    key_file.write_bytes(pem(key))
    standin = DocuSignStandIn(
        tmp_path, integration_key=integration_key, user_id=user_id, account_id=account_id, public_key=key.public_key()
    ).start()
    env = {
        "DOCUSIGN_INTEGRATION_KEY": integration_key,
        "DOCUSIGN_USER_ID": user_id,
        "DOCUSIGN_ACCOUNT_ID": account_id,
        "DOCUSIGN_PRIVATE_KEY_FILE": str(key_file),
        "DOCUSIGN_BASE_PATH": standin.base_path,
        "DOCUSIGN_OAUTH_HOST": standin.oauth_host,
        "DOCUSIGN_CA_BUNDLE": str(standin.cert_file),
        "DOCUSIGN_CONNECT_HMAC_KEY": hmac_keys,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings()
    reset_token_cache()
    try:
        yield standin
    finally:
        standin.stop()
        reset_token_cache()
        reset_settings()
