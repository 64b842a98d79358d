"""Findings 2 and 14: exits come from car parks, bill their department's capped parking fees.

A car park is a device owner that a department runs (registered by an administrator); its
device keys report exits, for that department's autopay items only, at most the item's cap.
Officers, administrators and other devices cannot report exits, so no one can bill a plate
for an arbitrary item and have autopay charge its bound card.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import BindingKind, OrganisationKind
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import PARKING_ITEM, Pay
from tests.modules.payments.test_citizens import _bind

EXITS = "/api/v1/payments/parking/exits"


def _autopay(platform: Platform, client: TestClient, actors: Actors, plate: str) -> str:
    """A citizen whose plate autopays today with a sandbox card; their bearer token."""
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, plate)
    card = _bind(platform, user_id, BindingKind.PAYMENT_METHOD, "tok_ok_1", provider_code="SANDBOX")
    bound = client.post(
        "/api/v1/payments/me/autopay",
        json={
            "plate": plate,
            "payment_method_binding_id": str(card),
            "effective_from": local_today().isoformat(),
        },
        headers=bearer(token),
    )
    assert bound.status_code == 201, bound.text
    return token


def _exit(plate: str, amount: int = 120, **extra: Any) -> dict[str, Any]:
    return {
        "plate": plate,
        "car_park": "市府轉運站停車場",
        "amount": amount,
        "exited_at": datetime.now(UTC).isoformat(),
        **extra,
    }


def _register(pay: Pay, client: TestClient, gates: str, department: str, item: str) -> Any:
    with pay.platform.unit_of_work(system_actor("test")) as uow:
        identity.ensure_organisation(uow, gates, OrganisationKind.DEVICE_OWNER)
        identity.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
    return client.put(
        f"/api/v1/payments/car-parks/{gates}",
        json={"department": department, "item_code": item},
        headers=pay.admin(),
    )


def test_a_car_parks_device_key_reports_an_exit_and_autopay_pays_it(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    token = _autopay(platform, client, actors, "CPK-1401")
    registered = _register(pay, client, "PMO-GATES", "PMO", PARKING_ITEM)
    assert registered.status_code == 200, registered.text
    assert registered.json() == {
        "organisation": "PMO-GATES",
        "department": "PMO",
        "item_code": PARKING_ITEM,
        "active": True,
    }
    gate = bearer(pay.token(Role.DEVICE, "PMO-GATES"))
    answer = client.post(EXITS, json=_exit("CPK-1401"), headers=gate)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert (result["charged"], result["bill"]["status"]) == (True, "written_off")
    assert (result["bill"]["item_code"], result["bill"]["amount"]) == (PARKING_ITEM, 120)
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token)).json()
    assert [(b["item_code"], b["status"]) for b in mine] == [(PARKING_ITEM, "written_off")]
    listed = client.get("/api/v1/payments/car-parks", headers=pay.officer("PMO")).json()
    assert [c["organisation"] for c in listed] == ["PMO-GATES"]
    assert client.get("/api/v1/payments/car-parks", headers=pay.officer("DOF")).json() == []


@pytest.mark.parametrize("who", ["officer of finance", "officer of parking", "administrator"])
def test_people_cannot_report_exits_nor_charge_a_bound_card(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors, who: str
) -> None:
    token = _autopay(platform, client, actors, "CPK-0002")
    headers = {
        "officer of finance": pay.officer("DOF"),
        "officer of parking": pay.officer("PMO"),
        "administrator": pay.admin(),
    }[who]
    answer = client.post(
        EXITS, json=_exit("CPK-0002", 99_999, item_code="DOF-FEE02"), headers=headers
    )
    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    assert client.get("/api/v1/payments/me/bills", headers=bearer(token)).json() == []


def test_a_device_that_is_no_registered_car_park_reports_nothing(
    pay: Pay, client: TestClient, platform: Platform, actors: Actors
) -> None:
    token = _autopay(platform, client, actors, "CPK-0003")
    sensors = bearer(pay.token(Role.DEVICE, "LASS"))
    answer = client.post(EXITS, json=_exit("CPK-0003"), headers=sensors)
    assert answer.status_code == 403 and answer.json()["code"] == "not_a_car_park"
    assert client.get("/api/v1/payments/me/bills", headers=bearer(token)).json() == []


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"item_code": "DOF-FEE02"}, "item_not_for_car_park"),  # another department's item
        ({"item_code": "PMO-FEE04"}, "item_not_for_car_park"),  # the department's, not autopay
        ({"amount": 3_001}, "amount_over_cap"),  # above the parking fee's per-exit cap
    ],
)
def test_a_car_park_bills_only_its_departments_capped_parking_fees(
    pay: Pay,
    client: TestClient,
    platform: Platform,
    actors: Actors,
    extra: dict[str, Any],
    code: str,
) -> None:
    token = _autopay(platform, client, actors, "CPK-0004")
    answer = client.post(EXITS, json={**_exit("CPK-0004"), **extra}, headers=pay.car_park())
    assert answer.status_code == 422 and answer.json()["code"] == code, answer.text
    assert client.get("/api/v1/payments/me/bills", headers=bearer(token)).json() == []


def test_only_a_capped_parking_fee_of_the_department_can_be_a_car_parks_item(
    pay: Pay, client: TestClient
) -> None:
    for department, item in (("DOF", "DOF-FEE02"), ("PMO", "PMO-FEE04"), ("DOF", PARKING_ITEM)):
        answer = _register(pay, client, "SOME-GATES", department, item)
        assert answer.status_code == 422, (department, item)
        assert answer.json()["code"] == "item_not_for_car_park"
    not_a_device_owner = client.put(
        "/api/v1/payments/car-parks/DOF",
        json={"department": "PMO", "item_code": PARKING_ITEM},
        headers=pay.admin(),
    )
    assert not_a_device_owner.json()["code"] == "unknown_organisation"


def test_no_bill_of_a_capped_item_exceeds_its_cap(pay: Pay, client: TestClient) -> None:
    answer = client.post(
        "/api/v1/payments/bills",
        json={
            "item_code": PARKING_ITEM,
            "amount": 99_999,
            "due_date": local_today().isoformat(),
            "payer": {"plate": "CPK-0005"},
        },
        headers=pay.officer("PMO"),
    )
    assert answer.status_code == 422 and answer.json()["code"] == "amount_over_cap"
    item = client.get(f"/api/v1/payments/items/{PARKING_ITEM}").json()
    assert (item["autopay"], item["max_amount"]) == (True, 3_000)
