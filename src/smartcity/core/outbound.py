"""Outbound HTTP to URLs that callers choose: webhooks, provider charge URLs, harvest sources.

Such a URL must not reach the platform's own network (SSRF): loopback, private ranges,
link-local (cloud metadata at 169.254.169.254), CGNAT, unique-local, multicast, reserved and
unspecified addresses are refused, and so are the IPv6 forms that carry one of those
(IPv4-mapped, IPv4-compatible, 6to4, NAT64). The check runs on the addresses a name
resolves to, when a URL is registered and again when connecting, and the connection goes to
the very address checked, so a DNS answer that changes in between (rebinding) gains nothing.
Redirects are never followed and proxies from the environment are not used.

Tests, CI and the demo deliver to receivers on 127.0.0.1: the guard is off while the
`outbound_allow_private` setting allows it (by default everywhere but production).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import httpx

from smartcity.core.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 shared address space
_NAT64 = (
    ipaddress.ip_network("64:ff9b::/96"),  # RFC 6052 well-known prefix
    ipaddress.ip_network("64:ff9b:1::/48"),  # RFC 8215 local-use prefix
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291 §2.5.5.1 (deprecated)


class OutboundRefused(InvalidInput):
    """A URL the platform will not send requests to (not http(s), or not a public address)."""

    code = "outbound_url_refused"
    title = "Destination not allowed"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the translated forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in prefix for prefix in _NAT64) or (
        address in _IPV4_COMPATIBLE and int(address) > 1
    ):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Whether `address` is a globally routable unicast address (and so may be called)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local or address.teredo is not None:
            return False
    elif address in _CGNAT:
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_private
    )


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def public_addresses(host: str, port: int) -> list[Address]:
    """The addresses of `host`, or OutboundRefused unless every one of them is public."""
    addresses = resolve(host, port)
    if not addresses:
        raise OutboundRefused("the URL's host does not resolve", code="outbound_url_unresolvable")
    if not all(is_public(address) for address in addresses):
        # One private answer is enough: a resolver may hand out any of them.
        raise OutboundRefused(
            "the URL points into a private, local or reserved network; use a public address"
        )
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """`url` if the platform may send requests to it; OutboundRefused (422) otherwise."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise OutboundRefused("that is not a URL", code="invalid_url") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OutboundRefused("the URL must be http:// or https:// with a host", code="invalid_url")
    if parsed.userinfo:
        raise OutboundRefused("the URL must not carry credentials", code="invalid_url")
    if not allow_private:
        public_addresses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    return url


class _PublicOnlyBackend(httpcore.NetworkBackend):
    """Resolves, checks, and connects to the checked address (never resolving twice)."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        *others, last = public_addresses(host, port)  # never empty
        for address in others:
            try:
                return self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError:
                continue  # the next address, as socket.create_connection would
        return self._inner.connect_tcp(str(last), port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise OutboundRefused("local sockets are not an outbound destination")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PublicOnlyTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        # httpx 0.28 (pinned) has no public switch for its network backend; its pool does.
        # TLS still verifies the certificate against the URL's host name, not the address.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_PublicOnlyBackend()
        )


def client(*, allow_private: bool, timeout: float) -> httpx.Client:
    """An HTTP client for caller-chosen URLs: public addresses only (unless allowed), no
    redirects, no proxies from the environment. A refused destination raises OutboundRefused."""
    transport = httpx.HTTPTransport() if allow_private else _PublicOnlyTransport()
    return httpx.Client(
        timeout=timeout, transport=transport, follow_redirects=False, trust_env=False
    )
