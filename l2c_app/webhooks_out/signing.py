"""Endpoint secrets and Standard Webhooks signatures (the `standardwebhooks` package signs).

Threat model (secrets at rest): a `whsec_...` secret lets anyone forge our webhooks to the
receiver, so it is shown once, when made, and stored encrypted with Fernet under a key
derived from SECRET_KEY (kept outside the database; the same scheme as the TOTP secrets of
core/twofactor.py). A database leak alone does not give a usable secret.

Signature (https://www.standardwebhooks.com, "Signature scheme"): HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}` with the base64-decoded secret, sent as
`webhook-signature: v1,<base64>`; during a rotation the header carries one signature per
valid secret separated by spaces, and a receiver accepts the message if any matches.
"""

from __future__ import annotations

import base64
import math
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from standardwebhooks import Webhook

from l2c_app.core.errors import DomainError
from l2c_app.core.twofactor import _derived

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # 192 bits (the spec asks for 24 to 64 bytes)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived("webhook-secret")))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DomainError(
            "The endpoint's signing secret cannot be read: the server's SECRET_KEY changed. Rotate the secret.",
            "secret",
            kind="conflict",
        ) from None


def headers(webhook_id: str, body: str, secrets_: list[str], at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed with every secret in `secrets_`."""
    signatures = " ".join(Webhook(s).sign(webhook_id, at, body) for s in secrets_)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": signatures,
    }
