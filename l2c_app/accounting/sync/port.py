"""The accounting port lives in l2c_app/ports/accounting.py (every port in one place); the
sync engine and its adapters keep importing it from here."""

from l2c_app.ports.accounting import (
    AccountingSystem,
    MissingReference,
    Pushed,
    ReconnectNeeded,
    Refs,
    Remote,
    RemoteError,
    Throttled,
)

__all__ = [
    "AccountingSystem",
    "MissingReference",
    "Pushed",
    "ReconnectNeeded",
    "Refs",
    "Remote",
    "RemoteError",
    "Throttled",
]
