"""One HTTP POST of a signed webhook, bounded in time and size. No database here.

Threat model: the receiver is untrusted. It may hang (TIMEOUT_SECONDS for connect, each
read and the whole response), answer gigabytes (at most MAX_RESPONSE_BYTES are read; the
log keeps an EXCERPT), redirect us elsewhere (redirects are NOT followed: a 3xx is a
failed attempt, so a redirect cannot lead to an internal address), or re-point its DNS
name (the address checked by targets.check_target is the one connected to). The proxy
settings of the environment are ignored (trust_env=False) so the checked address is the
peer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from l2c_app.webhooks_out.targets import Target

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT = 1000  # characters kept in the log
USER_AGENT = "l2c-webhooks/1"
# TLS verification: the system's certificates (tests put an SSLContext trusting their own CA
# here). Never False: pinning the address must not switch certificate checks off.
VERIFY: object = True


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    excerpt: str = ""
    error: str | None = None
    duration_ms: int = 0
    retry_after: int | None = None  # seconds, from a Retry-After header (429, 503)


def post(target: Target, body: str, headers: dict[str, str], timeout: float | None = None) -> Outcome:
    """POST `body` to the checked `target`. 2xx is success; anything else, or no answer, is not."""
    limit = TIMEOUT_SECONDS if timeout is None else timeout
    started = time.monotonic()
    extensions = {"sni_hostname": target.hostname} if target.scheme == "https" else {}
    request_headers = {
        **headers,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",  # raw bytes: no decompression bomb
        "host": target.host_header,
    }
    try:
        with httpx.Client(
            timeout=httpx.Timeout(limit), follow_redirects=False, trust_env=False, verify=VERIFY
        ) as client:
            request = client.build_request(
                "POST", target.pinned_url, content=body.encode(), headers=request_headers, extensions=extensions
            )
            response = client.send(request, stream=True)
            try:
                data = bytearray()
                for chunk in response.iter_raw():
                    data.extend(chunk)
                    if len(data) >= MAX_RESPONSE_BYTES or time.monotonic() - started > limit:
                        break  # enough to show; the status code already decided the outcome
            finally:
                response.close()
    except httpx.TimeoutException:
        return Outcome(False, error=f"no answer within {limit:g} s", duration_ms=_ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=_ms(started))
    excerpt = bytes(data[: EXCERPT * 4]).decode("utf-8", errors="replace")[:EXCERPT].replace("\x00", "")
    ok = 200 <= response.status_code < 300
    error = None if ok else f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        error = f"HTTP {response.status_code} redirect (not followed)"
    wait = response.headers.get("retry-after", "")
    retry_after = min(int(wait), 86_400) if wait.isdigit() else None
    return Outcome(ok, response.status_code, excerpt, error, _ms(started), retry_after)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
