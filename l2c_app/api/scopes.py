"""What an API key may do: scopes per section (read or write) and a per-key rate limit.

A key's `scopes` is None (every section, read and write: keys made before scopes) or a
list of `<section>:<read|write>`; `write` includes `read`; `*` stands for every section;
`billing` for invoices and payments. A route's section is its `require(section)`; a GET
(or HEAD) reads, any other method writes. Signed-in users are not scoped: their role is.

Rate limit: `rate_limit_per_minute` requests per key per minute (default
DEFAULT_PER_MINUTE), a fixed one-minute window; over it the API answers 429 with
Retry-After (seconds to the next window). With REDIS_URL the count is shared by every
server process (INCR + EXPIRE); without it each process counts on its own.

Threat model: a leaked read-only key cannot change anything; a runaway script cannot
starve the others (each key has its own budget).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from l2c_app.core.auth import SECTION_ROLES
from l2c_app.core.errors import DomainError

DEFAULT_PER_MINUTE = 600
MODES = ("read", "write")
ALIASES: dict[str, tuple[str, ...]] = {"billing": ("invoices", "payments"), "*": tuple(SECTION_ROLES)}
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def normalise(scopes: Iterable[str] | None) -> list[str] | None:
    """Validate a list of scopes (None or [] with `full`... None means full access)."""
    if scopes is None:
        return None
    out: list[str] = []
    for raw in scopes:
        scope = str(raw).strip().lower()
        section, _, mode = scope.partition(":")
        if mode not in MODES or (section not in SECTION_ROLES and section not in ALIASES):
            raise DomainError(
                f"'{raw}' is not a scope: use <section>:read or <section>:write, sections "
                f"{', '.join(sorted([*SECTION_ROLES, *ALIASES]))}",
                "scopes",
            )
        if scope not in out:
            out.append(scope)
    if not out:
        raise DomainError("give at least one scope (or none at all for full access)", "scopes")
    return out


def allows(scopes: list[str] | None, sections: Iterable[str], write: bool) -> bool:
    if scopes is None:
        return True
    wanted = set(sections)
    for scope in scopes:
        section, _, mode = scope.partition(":")
        covered = set(ALIASES.get(section, (section,)))
        if covered & wanted and (mode == "write" or not write):
            return True
    return False


def label(scopes: list[str] | None) -> str:
    return "full access" if scopes is None else ", ".join(scopes)


def create_key(session, actor, name: str, scope_list: Iterable[str] | None, rate_limit_per_minute: int | None = None):
    """A new API key with these scopes (None: full access); returns (row, secret shown once)."""
    from l2c_app.core.audit import record_update, snapshot
    from l2c_app.core.auth import create_api_key

    wanted = normalise(scope_list)
    row, secret = create_api_key(session, name, actor)
    session.flush()
    if wanted is not None or rate_limit_per_minute is not None:
        before = snapshot(row)
        row.scopes, row.rate_limit_per_minute = wanted, rate_limit_per_minute
        record_update(session, actor, row, before, action="scopes")
    return row, secret


# --- rate limit ----------------------------------------------------------------------------

_lock = threading.Lock()
_counts: dict[tuple[str, int], int] = {}


def _redis():
    from l2c_app.core.config import get_settings

    url = get_settings().redis_url
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5)


def hit(key_id: str, limit: int | None, now: float | None = None) -> int:
    """Count one request of this key (`key_id`: unique across installs, e.g. its hash);
    0 when allowed, else the seconds until the next window."""
    limit = limit or DEFAULT_PER_MINUTE
    now = time.time() if now is None else now
    window = int(now // 60)
    wait = max(1, 60 - int(now % 60))
    client = _redis()
    if client is not None:
        try:
            name = f"l2c:ratelimit:{key_id}:{window}"
            count = client.incr(name)
            if count == 1:
                client.expire(name, 120)
            return wait if count > limit else 0
        except Exception:  # Redis down: count locally rather than refuse every request
            pass
    with _lock:
        for k in [k for k in _counts if k[1] < window]:
            del _counts[k]
        _counts[(key_id, window)] = count = _counts.get((key_id, window), 0) + 1
    return wait if count > limit else 0


def reset() -> None:
    """Tests: forget the local counts."""
    with _lock:
        _counts.clear()
