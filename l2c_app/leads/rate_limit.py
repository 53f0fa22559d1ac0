"""The public lead form's per-IP limit: every post from one address counts (stored, refused
as invalid, caught by the honeypot, or refused as over the limit), through `core.rate_limit`
(Redis when REDIS_URL is set, shared by the workers; in-process otherwise). No database
statement: the limit costs the same at the 10th lead as at the millionth.

The key names the install (a hash of its database URL) as well as the IP, so installs that
share one Redis count apart.
"""

from __future__ import annotations

import functools
import hashlib

from l2c_app.core import rate_limit
from l2c_app.core.config import get_settings

WINDOW = 60  # seconds: the setting is "per minute"


@functools.lru_cache(maxsize=16)
def _install(database_url: str) -> str:
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def public_post_wait(ip: str | None, limit: int) -> int:
    """Count one public post from `ip`; 0 = go ahead, else the seconds to wait (Retry-After)."""
    if not ip:
        return 0
    return rate_limit.hit(f"lead-ip:{_install(get_settings().database_url)}:{ip}", max(1, int(limit)), WINDOW)
