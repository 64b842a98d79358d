"""Signed webhooks: the signature, at-least-once delivery to a local receiver, the sandbox."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.errors import NotAuthenticated
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.payments import sandbox, webhooks
from smartcity.modules.payments.models import WebhookAttempt, WebhookDelivery
from tests.modules.payments.conftest import Pay
from tests.support.standin import StandInServer


def test_signature_scheme() -> None:
    body = b'{"a":1}'
    header = webhooks.sign("s3cret", body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert webhooks.verify("s3cret", header, body, 300, now=1_700_000_100) == 1_700_000_000
    for bad_header, now, code in (
        (None, 1_700_000_000, "signature_missing"),
        (header, 1_700_000_301, "signature_expired"),
        (header.replace("v1=", "v1=0"), 1_700_000_000, "signature_invalid"),
        ("v1=abc", 1_700_000_000, "signature_invalid"),
    ):
        with pytest.raises(NotAuthenticated) as caught:
            webhooks.verify("s3cret", bad_header, body, 300, now=now)
        assert caught.value.code == code
    with pytest.raises(NotAuthenticated):
        webhooks.verify("other", header, body, 300, now=1_700_000_000)
    assert webhooks.backoff(1, 30) == timedelta(seconds=30)
    assert webhooks.backoff(4, 30) == timedelta(seconds=240)


class Receiver(StandInServer):
    """A local HTTP receiver that fails the first `failures` calls and checks signatures."""

    def __init__(self, secret: str = "", failures: int = 1) -> None:
        self.secret = secret
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        self.verified: list[bool] = []
        super().__init__()
        self.url = f"{self.base}/hook"

    def answer(self, path: str, headers: Message, body: bytes) -> tuple[int, str, bytes]:
        try:
            webhooks.verify(self.secret, headers.get(webhooks.HEADER), body, 300)
            self.verified.append(True)
        except NotAuthenticated:
            self.verified.append(False)
        self.received.append(json.loads(body))
        status = 500 if self.failures > 0 else 204
        self.failures -= 1
        return status, "", b""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def test_at_least_once_with_backoff_and_a_log(
    pay: Pay, client: TestClient, platform: Platform, receiver: Receiver
) -> None:
    subscribed = client.put(
        "/api/v1/payments/subscription", json={"url": receiver.url}, headers=pay.officer("TWD")
    ).json()
    receiver.secret = subscribed["secret"]
    bill = pay.issue("TWD-FEE01", 500)
    pay.pay(bill["reference"], 500)

    def round_at(moment):  # type: ignore[no-untyped-def]
        with platform.unit_of_work(system_actor("test")) as uow:
            return webhooks.deliver_due(
                uow.session,
                max_attempts=3,
                backoff_seconds=30,
                timeout=5,
                allow_private=True,
                now=moment,
            )

    now = utcnow()
    assert round_at(now) == {"delivered": 0, "retrying": 1, "failed": 0, "refused": 0}
    assert round_at(now + timedelta(seconds=5)) == {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
        "refused": 0,
    }
    assert round_at(now + timedelta(seconds=31)) == {
        "delivered": 1,
        "retrying": 0,
        "failed": 0,
        "refused": 0,
    }
    assert len(receiver.received) == 2 and all(receiver.verified)
    assert receiver.received[0] == receiver.received[1]  # the same event, delivered again
    assert receiver.received[1]["event"] == "payment.recorded"
    assert receiver.received[1]["data"]["reference"] == bill["reference"]
    session = platform.db.read_session()
    try:
        delivery = session.query(WebhookDelivery).one()
        assert (delivery.state, delivery.attempts) == ("delivered", 2)
        codes = [a.status_code for a in session.query(WebhookAttempt).order_by(WebhookAttempt.id)]
        assert codes == [500, 204]
    finally:
        session.close()


def test_gives_up_after_max_attempts(pay: Pay, client: TestClient, platform: Platform) -> None:
    client.put(
        "/api/v1/payments/subscription",
        json={"url": "http://127.0.0.1:9/closed"},
        headers=pay.officer("TWD"),
    )
    bill = pay.issue("TWD-FEE01", 500)
    pay.pay(bill["reference"], 500)
    moment = utcnow()
    for _ in range(3):
        with platform.unit_of_work(system_actor("test")) as uow:
            webhooks.deliver_due(
                uow.session,
                max_attempts=3,
                backoff_seconds=1,
                timeout=1,
                allow_private=True,
                now=moment,
            )
        moment += timedelta(hours=7)
    log = client.get("/api/v1/payments/webhooks/deliveries", headers=pay.officer("TWD")).json()
    assert log[0]["state"] == "failed" and log[0]["attempts"] == 3


def test_sandbox_callbacks_are_signed_and_idempotent(
    pay: Pay,
    client: TestClient,
    platform: Platform,
    actors,  # type: ignore[no-untyped-def]
) -> None:
    from tests.conftest import bearer

    user_id, token = actors.citizen()
    bill = pay.issue("TRSO-TAX01", 700, payer={"citizen_id": user_id})
    from smartcity.core.auth import Principal, Role

    citizen = Principal(kind="user", id=user_id, role=Role.CITIZEN)
    with platform.unit_of_work(citizen) as uow:
        intent = sandbox.start(uow, platform, __import__("uuid").UUID(bill["id"]))
        session = uow.session
        body = sandbox.callback_body(session, intent)
    url = "/api/v1/payments/sandbox/callbacks"
    unsigned = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "signature_missing"
    old = webhooks.sign(sandbox.secret(platform), body, int(time.time()) - 301)
    replayed = client.post(url, content=body, headers={webhooks.HEADER: old})
    assert replayed.status_code == 401 and replayed.json()["code"] == "signature_expired"
    forged = webhooks.sign("not the secret", body)
    assert client.post(url, content=body, headers={webhooks.HEADER: forged}).status_code == 401
    signed = webhooks.sign(sandbox.secret(platform), body)
    first = client.post(url, content=body, headers={webhooks.HEADER: signed})
    assert first.status_code == 200 and first.json()["bill_status"] == "written_off"
    duplicate = client.post(url, content=body, headers={webhooks.HEADER: signed})
    assert duplicate.json()["id"] == first.json()["id"]
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    assert len(mine[0]["payments"]) == 1 and mine[0]["status"] == "written_off"
