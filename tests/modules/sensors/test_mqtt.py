"""MQTT against a real Mosquitto (`SMARTCITY_TEST_MQTT_URL`, default mqtt://127.0.0.1:1883).

The ingester (or its store process) is killed with SIGKILL while a QoS 1 publisher keeps sending:
after restart every message is stored exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from smartcity.core.platform import Platform
from smartcity.modules.sensors.lass import format_line
from smartcity.modules.sensors.models import Datastream, Observation, Thing
from smartcity.modules.sensors.mqtt import Ingester, _client, broker_address
from smartcity.modules.sensors.settings import SensorsSettings
from tests.modules.sensors.conftest import T0

pytestmark = pytest.mark.mqtt
BROKER = os.environ.get("SMARTCITY_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
ROOT = Path(__file__).resolve().parents[3]


def _stored(platform: Platform, prefix: str) -> tuple[int, int]:
    """(observations stored, distinct (datastream, time) pairs) for the test's devices."""
    with platform.db.read_session() as session:
        pairs = (
            select(Observation.datastream_id, Observation.phenomenon_ms)
            .join(Datastream, Datastream.id == Observation.datastream_id)
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(Thing.device_id.like(f"{prefix}%"))
        )
        total = session.execute(select(func.count()).select_from(pairs.subquery())).scalar()
        distinct = session.execute(
            select(func.count()).select_from(pairs.distinct().subquery())
        ).scalar()
        return int(total or 0), int(distinct or 0)


def _clear_session(client_id: str) -> None:
    client = _client(client_id, persistent=False)
    host, port = broker_address(BROKER)
    client.connect(host, port)  # a clean session (3.1.1): the broker forgets the old one
    client.disconnect()


def _start_ingester(database_url: str, data_dir: Path, client_id: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": database_url,
        "SMARTCITY_DATA_DIR": str(data_dir),
        "SMARTCITY_LOG_REQUESTS": "false",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartcity",
            "sensors",
            "mqtt",
            "--broker",
            BROKER,
            "--client-id",
            client_id,
            "--no-publish",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _store_process(ingester: subprocess.Popen[bytes]) -> int:
    """The pid of the ingester's live store process (a multiprocessing spawn child), or 0."""
    for children in Path(f"/proc/{ingester.pid}/task").glob("*/children"):
        for pid in children.read_text().split():
            with contextlib.suppress(OSError):  # it may have just ended
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return int(pid)
    return 0


@pytest.mark.parametrize("victim", ["ingester", "store process"])
def test_kill_minus_nine_loses_nothing_and_stores_nothing_twice(
    platform: Platform, database_url: str, tmp_path: Path, victim: str
) -> None:
    prefix = secrets.token_hex(3).upper()
    client_id = f"smartcity-test-{prefix}"
    messages = 600
    ingester = _start_ingester(database_url, platform.settings.data_dir, client_id)
    publisher = _client(f"smartcity-test-pub-{prefix}", persistent=False)
    host, port = broker_address(BROKER)
    publisher.connect(host, port)
    publisher.loop_start()
    try:
        # The persistent session exists once the first probe is stored.
        probe = format_line(f"{prefix}PROBE", T0, {"pm25": 1}, 25.0, 121.5)
        assert _wait(
            lambda: (
                (publisher.publish("LASS/AirBox/probe", probe, qos=1) and False)
                or _stored(platform, f"{prefix}PROBE")[0] > 0
            ),
            90,  # 16 connections and a store process to start, on a busy machine
        ), "ingester never started"
        sent: list[Any] = []

        def publish() -> None:
            for i in range(messages):
                line = format_line(
                    f"{prefix}{i % 20:04d}",
                    T0 + timedelta(minutes=i // 20),
                    {"pm25": i, "temperature": 20, "humidity": 50, "pm10": 1, "pm1": 1},
                    25.0 + i % 20 / 100,
                    121.5,
                )
                sent.append(publisher.publish(f"LASS/AirBox/{prefix}", line, qos=1))
                time.sleep(0.004)

        thread = threading.Thread(target=publish)
        thread.start()
        assert _wait(lambda: _stored(platform, prefix)[0] >= 300, 60)
        if victim == "ingester":
            ingester.send_signal(signal.SIGKILL)
            ingester.wait(10)
            time.sleep(0.5)
            ingester = _start_ingester(database_url, platform.settings.data_dir, client_id)
        else:  # the receiver starts another store process and hands it the unstored batches
            killed = _store_process(ingester)
            assert killed, "the ingester has no store process"
            os.kill(killed, signal.SIGKILL)
            assert _wait(lambda: _store_process(ingester) not in (0, killed), 30)
        thread.join(60)
        for info in sent:
            info.wait_for_publish(timeout=30)
        expected = messages * 5 + 1  # five readings a message, and the probe's one
        if not _wait(lambda: _stored(platform, prefix)[0] >= expected, 60):
            ingester.send_signal(signal.SIGTERM)
            _out, err = ingester.communicate(timeout=20)
            pytest.fail(f"stored {_stored(platform, prefix)} of {expected}: {err.decode()[-3000:]}")
        time.sleep(1)  # anything redelivered late would show up now
        total, distinct = _stored(platform, prefix)
        assert (total, distinct) == (expected, expected)
    finally:
        ingester.send_signal(signal.SIGTERM)
        try:
            ingester.wait(20)
        except subprocess.TimeoutExpired:
            ingester.kill()
        publisher.loop_stop()
        publisher.disconnect()
        _clear_session(client_id)


def test_sta_mqtt_create_and_subscribe(platform: Platform, client, device_headers) -> None:  # type: ignore[no-untyped-def]
    made = client.post(
        "/sta/v1.1/Things",
        headers=device_headers,
        json={
            "name": "mqtt thing",
            "description": "",
            "Datastreams": [
                {
                    "name": "t",
                    "description": "",
                    "observationType": "OM_Measurement",
                    "unitOfMeasurement": {
                        "name": "degree Celsius",
                        "symbol": "°C",
                        "definition": "ucum",
                    },
                    "Sensor": {
                        "name": "s",
                        "description": "",
                        "encodingType": "text/html",
                        "metadata": "x",
                    },
                    "ObservedProperty": {"name": "t", "definition": "t", "description": ""},
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    stream = client.get(f"/sta/v1.1/Things({made.json()['@iot.id']})/Datastreams").json()
    stream_id = stream["value"][0]["@iot.id"]
    prefix = secrets.token_hex(3)
    # The ingester writes for the device owner whose Datastream it is (device_headers' DEVS).
    platform.module_settings["sensors"] = SensorsSettings(mqtt_owner="DEVS")
    ingester = Ingester(
        platform,
        BROKER,
        client_id=f"smartcity-test-sta-{prefix}",
        topics=("v1.1/#",),
        publish=True,
        base="http://testserver/sta/v1.1",
    )
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    subscriber = _client(f"smartcity-test-sub-{prefix}", persistent=False)
    subscriber.on_message = lambda _c, _u, m: received.put(json.loads(m.payload))
    host, port = broker_address(BROKER)
    subscriber.connect(host, port)
    subscriber.subscribe(f"v1.1/Datastreams({stream_id})/Observations", qos=1)
    subscriber.loop_start()
    ingester.start()
    runner = threading.Thread(target=ingester.run, kwargs={"max_seconds": 30})
    runner.start()
    try:
        assert _wait(ingester._connected.is_set, 10)
        time.sleep(0.3)
        subscriber.publish(
            f"v1.1/Datastreams({stream_id})/Observations",
            json.dumps({"phenomenonTime": "2024-11-02T00:00:00Z", "result": 21.5}),
            qos=1,
        )
        notification = received.get(timeout=15)
        if "@iot.id" not in notification:  # our own create request, echoed by the broker
            notification = received.get(timeout=15)
        assert notification["result"] == 21.5 and "@iot.id" in notification
        stored = client.get(f"/sta/v1.1/Datastreams({stream_id})/Observations").json()["value"]
        assert [o["result"] for o in stored] == [21.5]
    finally:
        ingester.stop()
        runner.join(30)
        subscriber.loop_stop()
        subscriber.disconnect()
        _clear_session(f"smartcity-test-sta-{prefix}")
