"""The mailer port: how core writes an e-mail (an invitation, a notification) without importing
the adapter that delivers it.

`send_mail(session, to=..., subject=..., body=...)` hands the message to the configured mailer
in the caller's transaction. The built-in default is `integrations.email.send_mail`: it writes
the Outbox row and, with SMTP configured, queues the delivery effect that the outbox worker
sends after commit (never inside this transaction). The default is named by its dotted path
and imported on first use, as the outbox names its handler modules, so `core` keeps importing
nothing above it (tests/test_layers.py). `use_mailer` swaps it (tests, another adapter).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Protocol

from sqlmodel import Session

from l2c_app.core.models import Document

DEFAULT_MAILER = "l2c_app.integrations.email:send_mail"


class Mailer(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        to: str,
        subject: str,
        body: str,
        link: str | None = None,
        related: tuple[str, int] | None = None,
        attachments: list[Document] | None = None,
        on_outcome: str | None = None,
        cc: list[str] | None = None,
    ) -> Any: ...


_override: Mailer | None = None


def use_mailer(mailer: Mailer | None) -> None:
    """Deliver through `mailer` from now on (None: back to the built-in default)."""
    global _override
    _override = mailer


@functools.cache
def _default() -> Mailer:
    module, _, name = DEFAULT_MAILER.partition(":")
    mailer: Mailer = getattr(importlib.import_module(module), name)
    return mailer


def send_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    link: str | None = None,
    related: tuple[str, int] | None = None,
    attachments: list[Document] | None = None,
    on_outcome: str | None = None,
    cc: list[str] | None = None,
) -> Any:
    """Write the message through the mailer, in the caller's transaction; its record (the
    built-in mailer's OutboxMessage). `attachments` (stored documents), `on_outcome` (an outbox
    handler told of the delivery's outcome) and `cc` are passed on only when given."""
    extra: dict[str, Any] = {
        k: v for k, v in (("attachments", attachments), ("on_outcome", on_outcome), ("cc", cc)) if v is not None
    }
    mail = _override or _default()
    return mail(session, to=to, subject=subject, body=body, link=link, related=related, **extra)
