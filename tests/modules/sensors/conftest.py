"""Helpers for sensors' tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from tests.conftest import Actors, bearer

LINE = (
    "|ver_format=3|FAKE_GPS=1|app=AirBox|ver_app=1.0|device_id={device}|tick=123"
    "|date={date}|time={time}|device=AirBox|s_d0={pm25}|s_d1=23|s_d2=11|s_t0=24.5|s_h0=68"
    "|gps_lat={lat}|gps_lon={lon}|gps_fix=1|gps_alt=2|"
)


def lass_line(
    device: str = "74DA38AF1234",
    date: str = "2024-11-02",
    time: str = "08:15:03",
    pm25: float = 17,
    lat: float = 25.0330,
    lon: float = 121.5654,
) -> str:
    """A LASS line as an Airbox sends it."""
    return LINE.format(device=device, date=date, time=time, pm25=pm25, lat=lat, lon=lon)


@pytest.fixture
def device_headers(actors: Actors) -> dict[str, str]:
    """Authorization of a device API key."""
    return bearer(actors.token(Role.DEVICE))


T0 = datetime(2024, 11, 2, 0, 15, 3, tzinfo=UTC)


@pytest.fixture
def live_url(app, platform: Platform) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The SensorThings root of the app served by uvicorn on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Links are made from the configured public URL: here, the live server's.
    platform.settings = platform.settings.model_copy(
        update={"base_url": f"http://127.0.0.1:{port}"}
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/sta/v1.1"
    server.should_exit = True
    thread.join(timeout=10)
