"""Finding 8: webhook and charge URLs cannot reach the platform's own network (SSRF).

With the guard on (production), a URL that leads to a loopback, private, link-local, CGNAT,
unique-local or translated address is refused when registered (422) and again when a delivery
or a charge would connect; a refused delivery is logged as refused, never attempted.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.payments.models import WebhookAttempt
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import Pay
from tests.modules.payments.test_citizens import _bind
from tests.support.standin import StandInServer

INSIDE = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://[::1]:8000/hook",
    "http://10.0.0.8/hook",
    "http://100.64.1.1/hook",
    "http://[fd00::8]/hook",
    "http://[::ffff:127.0.0.1]:8000/hook",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://localhost:8000/hook",
]


class Receiver(StandInServer):
    """A department's (or provider's) endpoint on 127.0.0.1 that records what reaches it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        super().__init__()

    def answer(self, path: str, headers: Message, body: bytes) -> tuple[int, str, bytes]:
        self.received.append(body)
        answer = b'{"approved": true, "provider_txn_id": "T-1"}'
        return 200, "application/json", answer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _guard(platform: Platform, on: bool) -> None:
    platform.settings = platform.settings.model_copy(update={"outbound_allow_private": not on})


@pytest.mark.parametrize("url", INSIDE)
def test_inside_urls_are_refused_at_registration(
    pay: Pay, client: TestClient, platform: Platform, url: str
) -> None:
    _guard(platform, on=True)
    subscription = client.put(
        "/api/v1/payments/subscription", json={"url": url}, headers=pay.officer("TWD")
    )
    assert subscription.status_code == 422, subscription.text
    assert subscription.json()["code"] == "outbound_url_refused"
    for field in ("webhook_url", "charge_url"):
        provider = client.put(
            "/api/v1/payments/providers/JKOPAY",
            json={"channels": ["wallet", "autopay"], field: url},
            headers=pay.admin(),
        )
        assert provider.status_code == 422, provider.text
        assert provider.json()["code"] == "outbound_url_refused"


def _subscribe_and_pay(pay: Pay, client: TestClient, url: str) -> None:
    subscribed = client.put(
        "/api/v1/payments/subscription", json={"url": url}, headers=pay.officer("TWD")
    )
    assert subscribed.status_code == 200, subscribed.text
    bill = pay.issue("TWD-FEE01", 500)
    assert pay.pay(bill["reference"], 500).status_code == 201


def _refused_without_detail(pay: Pay, client: TestClient, platform: Platform) -> None:
    (delivery,) = client.get(
        "/api/v1/payments/webhooks/deliveries", headers=pay.officer("TWD")
    ).json()
    assert (delivery["state"], delivery["attempts"]) == ("refused", 1)
    session = platform.db.read_session()
    try:
        (attempt,) = session.execute(select(WebhookAttempt)).scalars()
    finally:
        session.close()
    # No status, no connection error: nothing about the target leaks into the log.
    assert (attempt.status_code, attempt.error) == (None, "refused: outbound_url_refused")


def test_a_delivery_to_a_loopback_receiver_is_refused_in_production(
    pay: Pay,
    client: TestClient,
    platform: Platform,
    receiver: Receiver,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Registered while private URLs were allowed; the worker runs with production settings.
    _subscribe_and_pay(pay, client, f"{receiver.base}/hook")
    monkeypatch.setenv("SMARTCITY_ENVIRONMENT", "production")
    code, out, err = cli("payments", "webhooks", "deliver")
    assert code == 0, err
    assert "refused=1" in out
    assert receiver.received == []
    _refused_without_detail(pay, client, platform)


def test_a_name_that_rebinds_to_loopback_after_registration_is_refused_at_delivery(
    pay: Pay,
    client: TestClient,
    platform: Platform,
    receiver: Receiver,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = receiver.server.server_address[1]
    answers = {"hooks.twd.example": "8.8.8.8"}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    _guard(platform, on=True)
    _subscribe_and_pay(pay, client, f"http://hooks.twd.example:{port}/hook")
    answers["hooks.twd.example"] = "127.0.0.1"  # the name now points inside
    monkeypatch.setenv("SMARTCITY_OUTBOUND_ALLOW_PRIVATE", "false")
    code, _out, err = cli("payments", "webhooks", "deliver")
    assert code == 0, err
    assert receiver.received == []
    _refused_without_detail(pay, client, platform)


def test_an_autopay_charge_url_inside_is_never_called(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors, receiver: Receiver
) -> None:
    registered = client.put(
        "/api/v1/payments/providers/JKOPAY",
        json={"channels": ["wallet", "autopay"], "charge_url": f"{receiver.base}/charges"},
        headers=pay.admin(),
    )
    assert registered.status_code == 200, registered.text
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, "SRF-0008")
    method = _bind(platform, user_id, BindingKind.PAYMENT_METHOD, "ok_8", provider_code="JKOPAY")
    bound = client.post(
        "/api/v1/payments/me/autopay",
        json={
            "plate": "SRF-0008",
            "payment_method_binding_id": str(method),
            "effective_from": local_today().isoformat(),
        },
        headers=bearer(token),
    )
    assert bound.status_code == 201, bound.text
    _guard(platform, on=True)
    exit_report = client.post(
        "/api/v1/payments/parking/exits",
        json={
            "plate": "SRF-0008",
            "car_park": "信義廣場地下停車場",
            "amount": 90,
            "exited_at": datetime.now(UTC).isoformat(),
        },
        headers=pay.car_park(),
    )
    assert exit_report.status_code == 201, exit_report.text
    result = exit_report.json()
    assert (result["charged"], result["bill"]["status"]) == (False, "open")
    assert result["reason"] == "the provider's charge URL is not an allowed destination"
    assert receiver.received == []
