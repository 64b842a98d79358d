"""core.outbound: caller-chosen URLs reach public addresses only, checked where it connects."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest

from smartcity.core import outbound
from smartcity.core.settings import Settings

REFUSED = [
    "127.0.0.1",  # loopback
    "127.9.9.9",
    "10.1.2.3",  # RFC 1918
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # CGNAT
    "0.0.0.0",  # noqa: S104  # unspecified: an address to refuse, not one to bind
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "::1",
    "::",
    "fe80::1",  # link-local
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "ff02::1",  # multicast
    "fec0::1",  # site-local
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",  # documentation
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("text", REFUSED)
def test_non_public_addresses_are_refused(text: str) -> None:
    assert not outbound.is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_allowed(text: str) -> None:
    assert outbound.is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:8080/hook", "outbound_url_refused"),
        ("http://[::1]:9000/", "outbound_url_refused"),
        ("http://169.254.169.254/latest/meta-data/", "outbound_url_refused"),
        ("http://[::ffff:10.0.0.1]/", "outbound_url_refused"),
        ("http://2130706433/", "outbound_url_refused"),  # 127.0.0.1 written as one number
        ("http://localhost:8000/", "outbound_url_refused"),  # a name: checked once resolved
        ("ftp://8.8.8.8/", "invalid_url"),
        ("http://user:secret@8.8.8.8/", "invalid_url"),
        ("not a url", "invalid_url"),
    ],
)
def test_registration_refuses_what_would_reach_inside(url: str, code: str) -> None:
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.check_url(url, allow_private=False)
    assert (caught.value.code, caught.value.status) == (code, 422)


def test_registration_accepts_public_addresses_and_private_ones_when_allowed() -> None:
    assert outbound.check_url("https://8.8.8.8/hook", allow_private=False)
    assert outbound.check_url("http://127.0.0.1:8080/hook", allow_private=True)
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url("gopher://127.0.0.1/", allow_private=True)


def test_the_guard_is_on_in_production_unless_the_operator_says_otherwise() -> None:
    assert not Settings(environment="production").outbound_private_allowed
    assert Settings(environment="test").outbound_private_allowed
    assert Settings(environment="production", outbound_allow_private=True).outbound_private_allowed
    assert not Settings(environment="demo", outbound_allow_private=False).outbound_private_allowed


class FakeDNS:
    """Answers for made-up names; each lookup takes the next answer (the last one repeats)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(host)
            queue = self.answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port or 0))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    return FakeDNS(monkeypatch)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts the HTTP client really connects to (every connection fails at once)."""
    made: list[str] = []

    def connect_tcp(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        made.append(host)
        raise httpcore.ConnectError("no network in tests")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return made


def test_it_connects_to_the_address_it_checked_not_to_a_second_answer(
    dns: FakeDNS, connections: list[str]
) -> None:
    # DNS rebinding: a public answer for the check, then a private one for the connection.
    dns.answers["hooks.rebind.example"] = ["8.8.8.8", "127.0.0.1"]
    with (
        outbound.client(allow_private=False, timeout=1) as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.post("http://hooks.rebind.example:8080/hook", content=b"{}")
    assert connections == ["8.8.8.8"]
    assert dns.lookups == ["hooks.rebind.example"]


def test_a_private_answer_at_connect_time_is_refused_without_connecting(
    dns: FakeDNS, connections: list[str]
) -> None:
    dns.answers["hooks.inside.example"] = ["127.0.0.1"]
    dns.answers["hooks.mixed.example"] = ["8.8.8.8"]
    with outbound.client(allow_private=False, timeout=1) as http:
        for url in (
            "http://hooks.inside.example/",
            "http://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/",
        ):
            with pytest.raises(outbound.OutboundRefused):
                http.post(url, content=b"{}")
    assert connections == []


class Redirector:
    """A local server that answers every POST with a redirect to a path of its own."""

    def __init__(self) -> None:
        paths: list[str] = []
        self.paths = paths

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                paths.append(self.path)
                self.send_response(307)
                self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector() -> Iterator[Redirector]:
    server = Redirector()
    yield server
    server.close()


def test_redirects_are_not_followed(redirector: Redirector) -> None:
    with outbound.client(allow_private=True, timeout=5) as http:
        response = http.post(f"{redirector.base}/hook", content=b"{}")
    assert response.status_code == 307 and redirector.paths == ["/hook"]
