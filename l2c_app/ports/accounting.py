"""The small interface every accounting system sits behind (QuickBooks Online now; Xero next).

A push takes a neutral payload built from l2c's records (amounts in minor units, references as
l2c ids resolved by `refs`) and the remote record it already maps to (None: create). It returns
what the remote now holds (`Pushed`). Adapters raise `RemoteError` (the remote refused: kept in
the sync log, retried next round), `Throttled` (stop this round) or `ReconnectNeeded` (the
refresh token was refused: the user must connect again).

The adapters are in accounting/sync (qbo.py, xero.py: they share the sync's mapping and OAuth
connection); accounting/sync/port.py re-exports this module for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from l2c_app.core.errors import DomainError


class RemoteError(Exception):
    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message, self.code = message, code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class Throttled(RemoteError):
    """The remote's rate limit: the rest of the round waits for the next one."""


class MissingReference(RemoteError):
    """A record refers to one that is not synced yet (its push failed): waits for it."""


class ReconnectNeeded(DomainError):
    def __init__(self, provider_label: str = "QuickBooks"):
        super().__init__(
            f"{provider_label} refused l2c's access (the connection was revoked or expired): "
            f"connect again on Settings > Accounting.",
            kind="upstream",
        )


@dataclass(frozen=True)
class Remote:
    remote_id: str
    sync_token: str | None = None


@dataclass(frozen=True)
class Pushed:
    remote_id: str
    sync_token: str | None = None
    number: str | None = None  # the number people see (QBO DocNumber)


Refs = Callable[[str, str], str]  # (entity, l2c id) -> remote id, or MissingReference


class AccountingSystem(Protocol):
    provider: str  # "qbo", "xero": the mapping's key
    label: str  # "QuickBooks": what pages say

    def prepare(self, accounts: dict[str, str]) -> dict[str, str]:
        """Find or create the accounts l2c posts to; returns their remote ids by role."""

    def push_customer(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...

    def push_item(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...

    def push_invoice(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...

    def push_credit_memo(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...

    def push_payment(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...

    def push_fee(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed:
        """A payment's processing fee (part of pushing the payment; its own mapping row)."""

    def push_refund(self, payload: dict[str, Any], existing: Remote | None, refs: Refs) -> Pushed: ...
