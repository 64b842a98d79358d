"""The bay simulator: its uplinks decode as the real sensors' do, and tell a consistent story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.parking import service
from smartcity.modules.parking.schemas import SightingIn
from smartcity.modules.parking.simulate import BaySimulator, Sighting, SimulatedBay
from smartcity.modules.sensors.lorawan import decode, parse_uplink
from tests.modules.parking.conftest import BOSCH, NWAVE, deliver


class FakeClock:
    """Real time as the simulator sees it, moved by its own sleeps."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def clock(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds

    def now(self) -> datetime:
        return datetime(2026, 12, 7, 2, 0, tzinfo=UTC) + timedelta(seconds=self.seconds)


def run(bays: list[SimulatedBay], seconds: float) -> list[tuple[str, bytes]]:
    sent: list[tuple[str, bytes]] = []
    clock = FakeClock()
    simulator = BaySimulator(bays, speed=60, fault_rate=0.0)
    simulator.run(sent.extend, clock.clock, clock.sleep, clock.now, seconds)
    return sent


def test_each_bay_alternates_and_its_heartbeats_agree() -> None:
    bays = [
        SimulatedBay(NWAVE, "nwave-nps405", "xinyi"),
        SimulatedBay(BOSCH, "bosch-tps110", "da-an"),
    ]
    models = {NWAVE: "nwave-nps405", BOSCH: "bosch-tps110"}
    story: dict[str, list[tuple[str, bool | None]]] = {NWAVE: [], BOSCH: []}
    for topic, payload in run(bays, seconds=600):  # ten simulated hours
        up = parse_uplink(topic, payload)
        reading = decode(up, models[up.dev_eui])
        story[up.dev_eui].append((reading.message, reading.occupied))
    for dev_eui, events in story.items():
        statuses = [occupied for message, occupied in events if message == "status"]
        assert len(statuses) >= 4, dev_eui
        assert all(a != b for a, b in pairwise(statuses)), dev_eui
        assert any(message == "heartbeat" for message, _ in events), dev_eui
        current = None
        for message, occupied in events:
            if message == "status":
                current = occupied
            elif current is not None:
                assert occupied == current, dev_eui


def test_simulated_uplinks_move_the_bays(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    bays = [
        SimulatedBay(NWAVE, "nwave-nps405", "xinyi"),
        SimulatedBay(BOSCH, "bosch-tps110", "xinyi"),
    ]
    assert deliver(platform, *run(bays, seconds=30)) > 0
    for code in ("SEG-1-01", "SEG-1-02"):
        assert client.get(f"/api/v1/parking/bays/{code}").json()["status"] in ("free", "occupied")


def test_plates_are_seen_only_in_occupied_bays_and_their_stays_are_billed(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    bays = [
        SimulatedBay(NWAVE, "nwave-nps405", "xinyi", code="SEG-1-01"),
        SimulatedBay(BOSCH, "bosch-tps110", "xinyi", code="SEG-1-02"),
    ]
    uplinks: list[tuple[str, bytes]] = []
    sightings: list[Sighting] = []
    clock = FakeClock()
    # At 10×, a typical stay lasts minutes of the uplinks' real time: longer than the debounce.
    simulator = BaySimulator(bays, speed=10, fault_rate=0.0, plates=("ABC-1234",), bound_share=0.5)
    simulator.run(uplinks.extend, clock.clock, clock.sleep, clock.now, 3600, sightings.extend)
    assert len(sightings) >= 4
    assert "ABC-1234" in {plate for _, plate, _ in sightings}
    deliver(platform, *uplinks)
    config = service.config_of(platform)
    matched = 0
    for bay, plate, at in sightings:
        with platform.unit_of_work(system_actor("test")) as uow:
            sighting, _ = service.record_sighting(
                uow, SightingIn(bay=bay, plate=plate, seen_at=at), config
            )
            matched += sighting.session_id is not None
    # Seen while the sensor says occupied, so during a sensed stay.
    assert matched == len(sightings)
    billed = client.get(
        "/api/v1/parking/sessions", params={"plate": "ABC-1234"}, headers=officer
    ).json()
    assert any(stay["bill_reference"] for stay in billed)
