"""Autopay through a real provider: signed charge requests to its registered charge URL.

A stand-in provider (a local HTTP server) checks the signature and answers approve, decline,
garbage or nothing at all; every answer other than an approval leaves a normal open bill.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Principal, Role
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.payments import autopay, service, webhooks
from smartcity.modules.payments.settings import PaymentsSettings
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import Pay
from tests.modules.payments.test_citizens import _bind
from tests.support.standin import StandInServer

PROVIDER = "JKOPAY"


class StandInProvider(StandInServer):
    """Answers charge requests by the token's prefix: ok…, no…, junk…, slow…."""

    def __init__(self) -> None:
        self.secret = ""
        self.requests: list[dict[str, Any]] = []
        self.slow_seconds = 3.0
        super().__init__()
        self.url = f"{self.base}/charges"

    def answer(self, path: str, headers: Message, body: bytes) -> tuple[int, str, bytes]:
        webhooks.verify(self.secret, headers.get(webhooks.HEADER), body, 300)
        data = json.loads(body)
        self.requests.append({"body": data, "headers": dict(headers)})
        token = data["token"]
        if token.startswith("slow"):
            time.sleep(self.slow_seconds)
        if token.startswith("junk"):
            return 200, "text/html", b"<html>maintenance</html>"
        if token.startswith("no"):
            declined = {"approved": False, "reason": "insufficient funds"}
            return 200, "application/json", json.dumps(declined).encode()
        approved = {"approved": True, "provider_txn_id": f"JKO-{data['idempotency_key'][:8]}"}
        return 200, "application/json", json.dumps(approved).encode()


@pytest.fixture
def provider(pay: Pay, client: TestClient) -> Iterator[StandInProvider]:
    stand_in = StandInProvider()
    registered = client.put(
        f"/api/v1/payments/providers/{PROVIDER}",
        json={"channels": ["wallet", "autopay"], "fee": 3, "charge_url": stand_in.url},
        headers=pay.admin(),
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["charge_url"] == stand_in.url
    stand_in.secret = registered.json()["webhook_secret"]
    yield stand_in
    stand_in.close()


def _exit(pay: Pay, client: TestClient, plate: str) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/payments/parking/exits",
        json={
            "plate": plate,
            "car_park": "信義廣場地下停車場",
            "amount": 90,
            "exited_at": datetime.now(UTC).isoformat(),
        },
        headers=pay.car_park(),
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _autopay(
    platform: Platform, client: TestClient, actors: Actors, plate: str, token: str
) -> None:
    user_id, bearer_token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, plate)
    method = _bind(platform, user_id, BindingKind.PAYMENT_METHOD, token, provider_code=PROVIDER)
    bound = client.post(
        "/api/v1/payments/me/autopay",
        json={
            "plate": plate,
            "payment_method_binding_id": str(method),
            "effective_from": local_today().isoformat(),
        },
        headers=bearer(bearer_token),
    )
    assert bound.status_code == 201, bound.text


def test_an_approved_charge_pays_the_bill(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors, provider: StandInProvider
) -> None:
    _autopay(platform, client, actors, "RBC-1001", "ok_card_1")
    result = _exit(pay, client, "RBC-1001")
    assert result["charged"] is True, result
    assert result["bill"]["status"] == "written_off"
    (request,) = provider.requests
    assert request["body"] == {
        "amount": 90,
        "currency": "TWD",
        "idempotency_key": result["bill"]["id"],
        "reference": result["bill"]["reference"],
        "token": "ok_card_1",
    }
    assert request["headers"]["Idempotency-Key"] == result["bill"]["id"]
    payment = client.get(
        f"/api/v1/payments/payments/{result['payment_id']}", headers=pay.officer("PMO")
    ).json()
    assert (payment["provider"], payment["amount"], payment["channel"]) == (PROVIDER, 90, "autopay")
    assert payment["provider_txn_id"] == f"JKO-{result['bill']['id'][:8]}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("no_money", "insufficient funds"),
        ("junk_reply", "provider answered 200"),
        ("slow_card", "provider unreachable (ReadTimeout)"),
    ],
)
def test_anything_but_an_approval_leaves_an_open_bill(
    pay: Pay,
    client: TestClient,
    platform: Platform,
    actors: Actors,
    provider: StandInProvider,
    token: str,
    reason: str,
) -> None:
    plate = f"RBC-{abs(hash(token)) % 9000 + 1000}"
    _autopay(platform, client, actors, plate, token)
    provider.slow_seconds = 2.0
    platform.module_settings["payments"] = PaymentsSettings(autopay_charge_timeout_seconds=0.5)
    result = _exit(pay, client, plate)
    assert result["charged"] is False
    assert result["reason"] == reason
    assert result["bill"]["status"] == "open"
    assert result["payment_id"] is None
    assert len(provider.requests) == 1


def test_a_provider_without_a_charge_url_declines(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    client.put(
        f"/api/v1/payments/providers/{PROVIDER}",
        json={"channels": ["wallet"], "fee": 3},
        headers=pay.admin(),
    )
    _autopay(platform, client, actors, "RBC-2002", "ok_card_2")
    result = _exit(pay, client, "RBC-2002")
    assert result["charged"] is False
    assert result["reason"] == f"{PROVIDER} takes no autopay charges"
    assert result["bill"]["status"] == "open"


def test_a_repeated_exit_report_is_neither_billed_nor_charged_again(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors, provider: StandInProvider
) -> None:
    _autopay(platform, client, actors, "RBC-3003", "ok_card_3")
    body = {
        "plate": "RBC-3003",
        "car_park": "信義廣場地下停車場",
        "amount": 90,
        "exited_at": datetime.now(UTC).isoformat(),
    }
    gate = pay.car_park()
    headers = {**gate, "Idempotency-Key": "gate-7:exit-0001"}
    first = client.post("/api/v1/payments/parking/exits", json=body, headers=headers)
    again = client.post("/api/v1/payments/parking/exits", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert first.json()["charged"] is True and len(provider.requests) == 1
    other = client.post(
        "/api/v1/payments/parking/exits", json={**body, "amount": 120}, headers=headers
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    # Without a key every report is an exit of its own.
    plain = client.post("/api/v1/payments/parking/exits", json=body, headers=gate)
    assert plain.status_code == 201 and plain.json()["bill"]["id"] != first.json()["bill"]["id"]


def test_an_exit_whose_charge_was_never_recorded_is_finished_by_its_retry(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors, provider: StandInProvider
) -> None:
    _autopay(platform, client, actors, "RBC-4004", "ok_card_4")
    exited_at = datetime.now(UTC)
    gate = pay.car_park()
    # The first attempt billed the stay, then died before the provider's answer was recorded.
    as_gate = Principal(kind="organisation", id="gate", role=Role.DEVICE, organisation="PMO-GATES")
    with platform.unit_of_work(as_gate) as uow:
        billed = autopay.bill_exit(
            uow,
            service.settings_of(platform),
            plate="RBC-4004",
            car_park="信義廣場地下停車場",
            amount=90,
            exited_at=exited_at,
            idempotency_key=("PMO-GATES", "gate-7:exit-0002"),
        )
    retried = client.post(
        "/api/v1/payments/parking/exits",
        json={
            "plate": "RBC-4004",
            "car_park": "信義廣場地下停車場",
            "amount": 90,
            "exited_at": exited_at.isoformat(),
        },
        headers={**gate, "Idempotency-Key": "gate-7:exit-0002"},
    )
    assert retried.status_code == 201, retried.text
    assert retried.json()["bill"]["id"] == str(billed.bill_id)
    assert retried.json()["charged"] is True
    # Both charge requests named the same bill: the provider takes the money once.
    assert {r["headers"]["Idempotency-Key"] for r in provider.requests} == {str(billed.bill_id)}
