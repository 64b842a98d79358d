"""Bay uplinks through a real Mosquitto and the hub's one ingester, run as operators run it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.sensors.models import DeadLetter
from smartcity.modules.sensors.mqtt import _client, broker_address
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, things_stack
from tests.modules.parking.test_autopay import autopay_citizen, coming_monday_nine
from tests.modules.parking.test_billing import sight

pytestmark = pytest.mark.mqtt
BROKER = os.environ.get("SMARTCITY_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.fixture
def ingester(database_url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`smartcity sensors mqtt` with its default topics, on the test's database."""
    client_id = f"parking-test-{secrets.token_hex(4)}"
    process = subprocess.Popen(
        [sys.executable, "-m", "smartcity", "sensors", "mqtt", "--broker", BROKER,
         "--client-id", client_id, "--no-publish"],
        cwd=ROOT,
        env={**os.environ, "SMARTCITY_DATABASE_URL": database_url,
             "SMARTCITY_DATA_DIR": str(tmp_path), "SMARTCITY_LOG_REQUESTS": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        # A loaded machine can hold a draining ingester past any fixed wait; the test is over.
        process.kill()
        process.wait()


def publish(*messages: tuple[str, bytes]) -> None:
    client = _client(f"parking-pub-{secrets.token_hex(4)}", persistent=False)
    host, port = broker_address(BROKER)
    client.connect(host, port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()


def delivered(
    platform: Platform, client: TestClient, check: Any, *messages: tuple[str, bytes]
) -> bool:
    """Publish `messages` until `check(client)` holds, running the worker meanwhile.

    Publishing again is safe (uplinks are stored once) and needed: a new ingester's lanes
    subscribe on their own clock, and the broker keeps nothing for a session not yet made.
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        publish(*messages)
        for _ in range(10):
            Worker(platform).run_ready()
            if check(client):
                return True
            time.sleep(0.5)
    return False


def status(client: TestClient, code: str) -> str:
    return str(client.get(f"/api/v1/parking/bays/{code}").json()["status"])


def test_uplinks_of_both_network_servers_reach_the_bays(
    client: TestClient, platform: Platform, segment: Any, ingester: subprocess.Popen[bytes]
) -> None:
    assert delivered(
        platform,
        client,
        lambda c: status(c, "SEG-1-01") == "occupied" and status(c, "SEG-1-02") == "free",
        chirpstack(NWAVE, T0, occupied=True),
        chirpstack(NWAVE, T0, occupied=True),  # the network server's duplicate
        things_stack(BOSCH, T0, occupied=False, frame=None),
        chirpstack("00000000000000ff", T0, occupied=True),
    )
    bay = client.get("/api/v1/parking/bays/SEG-1-01").json()
    assert datetime.fromisoformat(bay["since"]) == T0
    with platform.db.read_session() as session:
        reasons = set(session.scalars(select(DeadLetter.reason)))
    assert "unknown dev EUI 00000000000000ff" in reasons
    assert delivered(
        platform,
        client,
        lambda c: status(c, "SEG-1-01") == "free",
        chirpstack(NWAVE, T0 + timedelta(minutes=2), occupied=False, frame=2),
    )
    row = client.get("/api/v1/parking/availability").json()["CurbParkingSegmentAvailabilities"][0]
    assert row["AvailableSpaces"] == 2


def test_a_stay_heard_through_the_broker_is_charged_to_the_plates_autopay(
    client: TestClient,
    platform: Platform,
    segment: Any,
    officer: dict[str, str],
    actors: Any,
    ingester: subprocess.Popen[bytes],
) -> None:
    autopay_citizen(platform, client, actors)
    start = coming_monday_nine()  # on or after the autopay's first day
    # One at a time: the ingester's lanes may store two uplinks of one burst in either order,
    # and an arrival heard before the bay was known free opens no session.
    assert delivered(
        platform,
        client,
        lambda c: status(c, "SEG-1-01") == "free",
        chirpstack(NWAVE, start - timedelta(hours=1), occupied=False, frame=1),
    )
    assert delivered(
        platform,
        client,
        lambda c: status(c, "SEG-1-01") == "occupied",
        chirpstack(NWAVE, start, occupied=True, frame=2),
    )
    assert delivered(
        platform,
        client,
        lambda c: status(c, "SEG-1-01") == "free",
        chirpstack(NWAVE, start + timedelta(minutes=95), occupied=False, frame=3),
    )
    reference = sight(client, officer, start + timedelta(minutes=20))["bill_reference"]
    assert reference
    Worker(platform).run_ready()
    bill = client.get(f"/api/v1/payments/bills/{reference}", headers=officer).json()
    assert (bill["amount"], bill["status"]) == (80, "written_off")
