"""Where a request may go: schemes, allowed hosts, public addresses, redirect targets."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapers.errors import FetchError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})


def normalise_host(host: str) -> str:
    """Lowercase, no trailing dot, IDNA (punycode) form, so 'Пример.срб.' == 'xn--...'."""
    host = host.strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def normalise_hosts(hosts: Collection[str] | None) -> frozenset[str] | None:
    """The allowed-host set in comparable form (None stays None: any host)."""
    if hosts is None:
        return None
    if isinstance(hosts, str):
        # A bare string would silently become a set of characters.
        hosts = (hosts,)
    return frozenset(normalise_host(h) for h in hosts)


def host_key(url: str) -> str:
    """The host a URL talks to, ports ignored (throttling and allowed-host checks)."""
    return normalise_host(urlsplit(url).hostname or "")


def redirect_target(current_url: str, location: str) -> str:
    """Absolute URL of a Location header, resolved against the URL that answered."""
    try:
        # http.client decodes headers as latin-1; servers mostly send UTF-8 bytes.
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return urldefrag(urljoin(current_url, location.strip()))[0]


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast IP (no private, loopback, link-local ...)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global  # catches shared space such as 100.64.0.0/10
    )


# host, port -> IP addresses. The Fetcher takes one (tests simulate DNS rebinding with it).
Resolver = Callable[[str, int], Sequence[str]]


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every IP address ``host`` resolves to (a module function so tests can replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # One entry per address, in the resolver's order (connections try them in turn).
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed check_url: its host, and the addresses a connection may use."""

    host: str  # normalised (normalise_host)
    addresses: tuple[str, ...]


def check_url(
    url: str,
    allowed_hosts: frozenset[str] | None,
    *,
    allow_private: bool,
    error: type[FetchError] = FetchError,
    reported_url: str | None = None,
    resolve: Resolver | None = None,
) -> CheckedURL:
    """Raise ``error`` unless ``url`` is http(s), on an allowed host, and public.

    Returns the host and the addresses that were checked: the connection must go to
    one of those (the Fetcher pins them), never to a second lookup's answer, or a
    rebinding DNS server could answer "public" here and "127.0.0.1" there. The host is
    resolved even with ``allow_private`` (only the public-address test is skipped).

    ``reported_url`` is the URL the caller asked for, so a refused redirect is
    reported against the page the source wanted (the target is in the reason).
    ``resolve`` defaults to this module's resolve_addresses.
    """
    reported = reported_url or url
    where = "" if reported == url else f" to {url}"
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = normalise_host(parts.hostname or "")
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise error(reported, f"malformed URL{where}") from None
    if scheme not in ALLOWED_SCHEMES:
        raise error(reported, f"refusing {scheme or 'relative'} URL, only http(s){where}")
    if not host:
        raise error(reported, f"URL has no host{where}")
    if allowed_hosts is not None and host not in allowed_hosts:
        raise error(reported, f"host {host!r} is not allowed for this source{where}")
    try:
        # Looked up at call time, so replacing the module function reaches this.
        addresses = tuple((resolve or resolve_addresses)(host, port))
    except (OSError, UnicodeError):
        # OSError covers socket.gaierror (unknown host, DNS down).
        raise FetchError(reported, f"cannot resolve host {host!r}{where}") from None
    if not addresses:
        raise FetchError(reported, f"cannot resolve host {host!r}{where}")
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise error(reported, f"refusing non-public address {', '.join(refused)}{where}")
    return CheckedURL(host, addresses)
