"""Where a webhook may go: http(s) URLs whose host resolves only to public addresses.

Threat model (SSRF): whoever can save an endpoint (owner/admin, or an API key) chooses a
URL the server will POST to, and sees the response code and a body excerpt in the delivery
log. Pointed at 127.0.0.1, 10.0.0.0/8, 169.254.169.254 (cloud metadata), ::1 or a
hostname resolving there, that would read the internal network. So:
- only `http` and `https`, a host, no user:password, a port in range;
- the host is resolved at save time AND again at each delivery (a DNS name may be
  re-pointed after it was saved: DNS rebinding), and EVERY address it resolves to must be
  public (`ipaddress.is_global`: not private, loopback, link-local, shared, reserved,
  unspecified, multicast; an IPv4-mapped IPv6 address is judged as its IPv4);
- the delivery then connects to the address that was checked (not to a second lookup),
  with Host and TLS SNI set to the original name, so certificates are still verified for it;
- `WEBHOOKS_ALLOW_PRIVATE=1` lifts the address rule (tests, a lab), never the scheme rule.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError

MAX_URL = 2000
SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`, send `host_header`, verify TLS for `hostname`."""

    url: str
    scheme: str
    hostname: str
    port: int
    address: str  # the checked IP the connection goes to
    host_header: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        ip = ipaddress.ip_address(self.address)
        host = f"[{ip}]" if ip.version == 6 else str(ip)
        return urlunsplit((parts.scheme, f"{host}:{self.port}", parts.path or "/", parts.query, ""))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse_url(url: str) -> tuple[str, str, int]:
    """(scheme, hostname, port) of an acceptable webhook URL, else DomainError on `url`."""
    url = (url or "").strip()
    if not url:
        raise DomainError("enter the URL that receives the events, e.g. https://example.com/hooks/l2c", "url")
    if len(url) > MAX_URL:
        raise DomainError(f"at most {MAX_URL} characters", "url", kind="too_large")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError("is not a valid URL", "url") from None
    if parts.scheme.lower() not in SCHEMES:
        raise DomainError("must start with https:// or http://", "url")
    if not parts.hostname:
        raise DomainError("has no host name", "url")
    if parts.username is not None or parts.password is not None:
        raise DomainError("must not contain a user name or password; authenticate the signature instead", "url")
    if parts.fragment:
        raise DomainError("must not contain a #fragment", "url")
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(hostname: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(hostname)
        return [hostname]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise DomainError(f"the host {hostname} cannot be resolved", "url") from None
    seen: list[str] = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    if not seen:
        raise DomainError(f"the host {hostname} cannot be resolved", "url")
    return seen


def check_target(url: str) -> Target:
    """Parse, resolve and check `url` now (at save time and before every delivery)."""
    scheme, hostname, port = parse_url(url)
    addresses = resolve(hostname, port)
    if not get_settings().webhooks_allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise DomainError(
                f"points to a private, loopback, link-local or reserved address ({refused[0]}); "
                "webhooks go to public addresses only",
                "url",
                code="url.private",
            )
    parts = urlsplit(url.strip())
    default_port = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    host_header = hostname if default_port else f"{hostname}:{port}"
    if ":" in hostname and default_port:  # an IPv6 literal in the Host header keeps its brackets
        host_header = f"[{hostname}]"
    elif ":" in hostname:
        host_header = f"[{hostname}]:{port}"
    return Target(
        url=urlunsplit(parts),
        scheme=scheme,
        hostname=hostname,
        port=port,
        address=addresses[0],
        host_header=host_header,
    )
