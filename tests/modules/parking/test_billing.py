"""Sessions from occupancy, plates from sightings, and one bill per session in payments."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from smartcity.core.auth import Role, system_actor
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import BindingKind
from smartcity.modules.parking import repository, service
from smartcity.modules.parking.models import Fee, ParkingSession
from smartcity.modules.parking.schemas import SightingIn
from smartcity.modules.payments.models import Bill
from tests.conftest import Actors, bearer
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, deliver, segment_body

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in the city, a Monday
PLATE = "ABC-1234"


def park(platform: Platform, minutes: int, dev_eui: str = NWAVE, start: datetime = T0) -> None:
    """A vehicle arrives at `start` and leaves `minutes` later, as the sensor reports."""
    deliver(
        platform,
        chirpstack(dev_eui, start - timedelta(minutes=30), occupied=False, frame=1),
        chirpstack(dev_eui, start, occupied=True, frame=2),
    )
    deliver(platform, chirpstack(dev_eui, start + timedelta(minutes=minutes), False, frame=3))


def sight(
    client: TestClient, headers: dict[str, str], at: datetime, bay: str = "SEG-1-01"
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/parking/sightings",
        json={"bay": bay, "plate": PLATE.lower(), "seen_at": at.isoformat()},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def sessions(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/parking/sessions", params={"plate": PLATE}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def bills(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Bill)) or 0)


def test_a_sensed_stay_with_a_plate_becomes_one_bill(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    park(platform, minutes=95)
    camera = bearer(actors.token(Role.DEVICE, "CAMS"))
    seen = sight(client, camera, T0 + timedelta(minutes=20))
    assert seen["plate"] == PLATE
    assert seen["session"] is not None
    (stay,) = sessions(client, officer)
    assert datetime.fromisoformat(stay["arrived_at"]) == T0
    assert datetime.fromisoformat(stay["departed_at"]) == T0 + timedelta(minutes=95)
    assert stay["fee"] == 80  # NT$40 an hour, 1 h 35 min → 2 hours
    assert stay["bill_reference"] == seen["bill_reference"]
    bill = client.get(f"/api/v1/payments/bills/{stay['bill_reference']}", headers=officer)
    assert bill.status_code == 200, bill.text
    assert bill.json()["amount"] == 80
    assert bill.json()["item_code"] == "PMO-FEE01"


def test_a_plate_seen_before_departure_is_billed_when_the_car_leaves(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    deliver(platform, chirpstack(NWAVE, T0 - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, T0, True, 2))
    assert sight(client, officer, T0 + timedelta(minutes=5))["bill_reference"] is None
    (open_stay,) = sessions(client, officer)
    assert (open_stay["state"], open_stay["departed_at"]) == ("open", None)
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=30), False, 3))
    (stay,) = sessions(client, officer)
    assert (stay["state"], stay["fee"]) == ("closed", 40)
    assert stay["bill_reference"]


def test_the_citizen_who_bound_the_plate_sees_the_bill(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    user_id, token = actors.citizen()
    with platform.unit_of_work(system_actor("test")) as uow:
        citizen = identity.get_user(uow.session, user_id)
        binding = identity.add_binding(uow, citizen, kind=BindingKind.PLATE, value=PLATE)
        identity.decide_binding(uow, binding.id, verified=True, reason="registration checked")
    park(platform, minutes=61)
    reference = sight(client, officer, T0 + timedelta(minutes=1))["bill_reference"]
    mine = client.get("/api/v1/payments/me/bills", headers=bearer(token))
    assert mine.status_code == 200, mine.text
    assert reference in {b["reference"] for b in mine.json()}


def test_replays_and_repeated_sightings_never_make_a_second_bill(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    park(platform, minutes=45)
    first = sight(client, officer, T0 + timedelta(minutes=10))
    again = sight(client, officer, T0 + timedelta(minutes=40))
    assert again["bill_reference"] == first["bill_reference"]
    park(platform, minutes=45)  # every uplink replayed
    with platform.unit_of_work(system_actor("test")) as uow:  # and the billing asked again
        service.record_sighting(
            uow,
            SightingIn(bay="SEG-1-01", plate=PLATE, seen_at=T0 + timedelta(minutes=11)),
            service.config_of(platform),
        )
    assert bills(platform) == 1
    assert len(sessions(client, officer)) == 1


@pytest.mark.postgres  # SQLite has no row locks
def test_a_sighting_goes_through_while_an_uplink_holds_its_bay(
    platform: Platform, segment: Any
) -> None:
    """An uplink's transaction holds its bay's row while it works; a sighting in that bay
    stores a row that refers to the bay, and must not wait for it. (It once did; with the
    sighting holding the session the uplink wanted next, the two deadlocked.)"""
    deliver(platform, chirpstack(NWAVE, T0 - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, T0, True, 2))
    config = service.config_of(platform)
    outcome: list[object] = []

    def sighting() -> None:
        try:
            with platform.unit_of_work(system_actor("camera")) as uow:
                uow.session.execute(text("SET LOCAL lock_timeout = '3s'"))
                service.record_sighting(
                    uow, SightingIn(bay="SEG-1-01", plate=PLATE, seen_at=T0), config
                )
            outcome.append("stored")
        except BaseException as exc:  # reported below, in the test's thread
            outcome.append(exc)

    with platform.unit_of_work(system_actor("uplink")) as uow:
        assert repository.bays_by_dev_eui(uow.session, [NWAVE])  # held until this block ends
        camera = threading.Thread(target=sighting)
        camera.start()
        camera.join()
    assert outcome == ["stored"]


def test_concurrent_departure_and_sightings_make_one_bill(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    deliver(platform, chirpstack(NWAVE, T0 - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, T0, True, 2))
    with platform.unit_of_work(system_actor("test")) as uow:
        stay = uow.session.scalars(select(ParkingSession)).one()
        stay.plate = PLATE
        uow.audit("test.plate", "session", stay.id, {})
    config = service.config_of(platform)
    errors: list[BaseException] = []

    def sighting() -> None:
        try:
            with platform.unit_of_work(system_actor("camera")) as uow:
                service.record_sighting(
                    uow, SightingIn(bay="SEG-1-01", plate=PLATE, seen_at=T0), config
                )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=sighting) for _ in range(4)]
    for thread in threads:
        thread.start()
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=20), False, 3))
    for thread in threads:
        thread.join()
    Worker(platform).run_ready()
    assert not errors
    assert bills(platform) == 1
    with platform.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Fee)) == 1


def test_a_passing_car_is_not_a_session_to_bill(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    park(platform, minutes=0)  # in and out within the debounce time
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(seconds=30), False, 4))
    seen = sight(client, officer, T0 + timedelta(seconds=10))
    assert seen["session"] is None
    assert bills(platform) == 0


def test_a_plate_sighted_at_the_wrong_bay_is_kept_without_a_session(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    park(platform, minutes=60)
    seen = sight(client, officer, T0 + timedelta(minutes=10), bay="SEG-1-02")
    assert (seen["session"], seen["bill_reference"]) == (None, None)
    assert sessions(client, officer) == []
    assert bills(platform) == 0


def test_a_tariff_edit_mid_session_keeps_the_tariff_the_stay_began_under(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    deliver(platform, chirpstack(NWAVE, T0 - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, T0, True, 2))
    changed = client.put(
        "/api/v1/parking/segments/SEG-1/tariff",
        json={"tariff": {"per_hour": 100}},
        headers=officer,
    )
    assert changed.status_code == 200, changed.text
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(minutes=50), False, 3))
    sight(client, officer, T0 + timedelta(minutes=5))
    (stay,) = sessions(client, officer)
    assert stay["fee"] == 40
    park(platform, minutes=50, start=T0 + timedelta(hours=2))
    sight(client, officer, T0 + timedelta(hours=2, minutes=5))
    newest = sessions(client, officer)[0]
    assert newest["fee"] == 100


def test_a_sensor_failing_mid_session_is_flagged_not_billed(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    deliver(platform, chirpstack(NWAVE, T0 - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, T0, True, 2))
    sight(client, officer, T0 + timedelta(minutes=5))
    with platform.unit_of_work(system_actor("test")) as uow:
        silent = service.mark_silent(
            uow, service.config_of(platform), now=T0 + timedelta(minutes=61)
        )
    assert silent == 1
    assert client.get("/api/v1/parking/bays/SEG-1-01").json()["status"] == "unknown"
    # It speaks again: free, but the stay's end is not known, so nothing is billed.
    deliver(platform, chirpstack(NWAVE, T0 + timedelta(hours=3), False, 3))
    (stay,) = sessions(client, officer)
    assert (stay["state"], stay["fee"], stay["bill_reference"]) == ("sensor_fault", None, None)
    assert bills(platform) == 0


def test_officers_see_their_own_department_only(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    park(platform, minutes=60)
    sight(client, officer, T0 + timedelta(minutes=5))
    other = bearer(actors.token(Role.OFFICER, "DOT"))
    assert sessions(client, other) == []
    assert client.get("/api/v1/parking/segments", headers=other).json() == []
    refused = client.put(
        "/api/v1/parking/segments/SEG-1/tariff", json={"tariff": {"per_hour": 1}}, headers=other
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "other_department"
    seen = client.post(
        "/api/v1/parking/sightings",
        json={"bay": "SEG-1-01", "plate": PLATE, "seen_at": T0.isoformat()},
        headers=other,
    )
    assert seen.status_code == 403
    citizen = bearer(actors.citizen()[1])
    assert (
        client.get("/api/v1/parking/sessions", params={"plate": PLATE}, headers=citizen).status_code
        == 403
    )


def test_bad_input_answers_problems_with_codes(
    client: TestClient, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    def post(body: dict[str, Any], headers: dict[str, str] = officer) -> tuple[int, str]:
        response = client.post("/api/v1/parking/segments", json=body, headers=headers)
        return response.status_code, response.json().get("code", "")

    assert post(segment_body("SEG-1")) == (409, "duplicate_segment")
    taken = segment_body("SEG-2")
    taken["bays"][0]["dev_eui"] = NWAVE
    taken["bays"][0]["code"] = "SEG-2-01"
    assert post(taken) == (409, "duplicate_bay")
    unknown = segment_body("SEG-3")
    unknown["bays"] = [{**unknown["bays"][0], "dev_eui": "00000000000000aa", "sensor_model": "x"}]
    assert post(unknown) == (422, "unknown_sensor_model")
    assert post({**segment_body("SEG-4"), "fee_item": "DOT-FINE01"}) == (422, "unknown_fee_item")
    assert post({**segment_body("SEG-5"), "tariff": {}})[0] == 422
    admin = bearer(actors.token(Role.ADMIN))
    assert post(segment_body("SEG-6"), admin) == (422, "department_required")
    assert client.get("/api/v1/parking/bays/NOPE").json()["code"] == "bay_not_found"
    bad_plate = client.post(
        "/api/v1/parking/sightings",
        json={"bay": "SEG-1-01", "plate": "no plate!", "seen_at": T0.isoformat()},
        headers=officer,
    )
    assert (bad_plate.status_code, bad_plate.json()["code"]) == (422, "invalid_plate")
    other_bosch = segment_body("SEG-7")
    other_bosch["bays"] = [{**other_bosch["bays"][1], "code": "SEG-7-01", "dev_eui": BOSCH}]
    assert post(other_bosch) == (409, "duplicate_bay")
