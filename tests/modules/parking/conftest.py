"""parking test helpers: the payments catalogue, a segment of sensed bays, and uplinks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from smartcity.core.auth import Role, system_actor
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item
from smartcity.modules.sensors import service as sensors
from tests.conftest import Actors, bearer

NWAVE = "70b3d5e75e000001"
BOSCH = "70b3d5e75e000002"
SPARE = "70b3d5e75e000003"


@pytest.fixture
def with_catalogue(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        uow.audit("payments.catalogue.loaded", "catalogue", "test", {})


@pytest.fixture
def officer(actors: Actors) -> dict[str, str]:
    """Headers of an officer of the parking department."""
    return bearer(actors.token(Role.OFFICER, "PMO"))


def segment_body(code: str = "SEG-1", per_hour: int = 40, **tariff: Any) -> dict[str, Any]:
    """A segment of three bays: two sensed (one of each model), one without a sensor."""
    return {
        "code": code,
        "name": "測試路",
        "name_en": "Test Road",
        "tariff": {"per_hour": per_hour, **tariff},
        "bays": [
            {"code": f"{code}-01", "lat": 25.0400, "lon": 121.5670, "dev_eui": NWAVE,
             "sensor_model": "nwave-nps405"},
            {"code": f"{code}-02", "lat": 25.0401, "lon": 121.5671, "dev_eui": BOSCH,
             "sensor_model": "bosch-tps110"},
            {"code": f"{code}-03", "lat": 25.0402, "lon": 121.5672},
        ],
    }  # fmt: skip


@pytest.fixture
def segment(client: TestClient, officer: dict[str, str], with_catalogue: None) -> dict[str, Any]:
    response = client.post("/api/v1/parking/segments", json=segment_body(), headers=officer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def status_payload(dev_eui: str, occupied: bool) -> bytes:
    """A status frame's bytes in the layout of the device's model."""
    if dev_eui == BOSCH:
        return bytes([0x01 if occupied else 0x00])
    return bytes([(0x80 if occupied else 0x00) | 5])  # 5 minutes in the previous state


def chirpstack(dev_eui: str, at: datetime, occupied: bool, frame: int = 1) -> tuple[str, bytes]:
    """A ChirpStack v4 uplink of a status frame."""
    body = {
        "deduplicationId": f"dedup-{dev_eui}-{at.timestamp()}",
        "time": at.astimezone(UTC).isoformat(),
        "deviceInfo": {"devEui": dev_eui, "applicationId": "app"},
        "fCnt": frame,
        "fPort": 1,
        "data": base64.b64encode(status_payload(dev_eui, occupied)).decode(),
    }
    return f"application/app/device/{dev_eui}/event/up", json.dumps(body).encode()


def things_stack(
    dev_eui: str, at: datetime, occupied: bool, frame: int | None = 1
) -> tuple[str, bytes]:
    """A The Things Stack v3 uplink of a status frame (no `f_cnt` when it is zero)."""
    message: dict[str, Any] = {
        "f_port": 1,
        "frm_payload": base64.b64encode(status_payload(dev_eui, occupied)).decode(),
        "received_at": at.astimezone(UTC).isoformat(),
    }
    if frame:
        message["f_cnt"] = frame
    body = {
        "end_device_ids": {"device_id": "bay-1", "dev_eui": dev_eui.upper()},
        "received_at": at.astimezone(UTC).isoformat(),
        "uplink_message": message,
    }
    return "v3/parking@city/devices/bay-1/up", json.dumps(body).encode()


def deliver(platform: Platform, *messages: tuple[str, bytes]) -> int:
    """Store uplinks as the MQTT ingester does, then run the jobs they caused; new uplinks."""
    with platform.unit_of_work(system_actor("test")) as uow:
        stored = sensors.store_uplinks(uow, list(messages))
    Worker(platform).run_ready()
    return stored
