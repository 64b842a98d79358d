"""Events over MQTT against a real Mosquitto (`SMARTCITY_TEST_MQTT_URL`, default
mqtt://127.0.0.1:1883): the same intake as HTTP, stored once, refused ones kept."""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.alerts import service
from smartcity.modules.alerts.models import Alert, DeadLetter, Detector
from smartcity.modules.alerts.mqtt import Ingester
from tests.modules.alerts.conftest import event

pytestmark = pytest.mark.mqtt

BROKER = urlparse(os.environ.get("SMARTCITY_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"))


def _until(
    check: Callable[[], bool], seconds: float = 15, then: Callable[[], None] = lambda: None
) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the ingester did not store it in time"
        then()
        time.sleep(0.3)


def _publisher() -> Any:
    from paho.mqtt.client import Client, MQTTv311
    from paho.mqtt.enums import CallbackAPIVersion

    client = Client(
        CallbackAPIVersion.VERSION2, f"test-alerts-pub-{secrets.token_hex(4)}", protocol=MQTTv311
    )
    client.connect(BROKER.hostname or "127.0.0.1", BROKER.port or 1883)
    client.loop_start()
    return client


def _forget_session(client_id: str) -> None:
    from paho.mqtt.client import Client, MQTTv311
    from paho.mqtt.enums import CallbackAPIVersion

    # A clean-session connection makes the broker drop the test's persistent session.
    client = Client(CallbackAPIVersion.VERSION2, client_id, clean_session=True, protocol=MQTTv311)
    client.connect(BROKER.hostname or "127.0.0.1", BROKER.port or 1883)
    client.disconnect()


def test_events_over_mqtt_are_stored_once_and_refused_ones_kept(
    platform: Platform, city: dict[str, Any]
) -> None:
    device = f"MQTT-{secrets.token_hex(4)}"
    with platform.unit_of_work(system_actor("test")) as uow:
        service.register_detector(uow, device_id=device, owner="ACME", department="TFD")
    client_id = f"test-alerts-{secrets.token_hex(4)}"
    ingester = Ingester(
        platform, BROKER.hostname or "127.0.0.1", BROKER.port or 1883, client_id=client_id, owner=""
    )
    runner = threading.Thread(target=ingester.run, kwargs={"max_seconds": 60})
    runner.start()
    publisher = _publisher()
    topic = f"alerts/{device}/events"
    good = json.dumps(event(1, alertSource=None)).encode()

    def stored(model: Any, column: Any) -> list[Any]:
        with platform.db.read_session() as session:
            return list(session.execute(select(model).where(column == device)).scalars())

    def alerts() -> list[Alert]:
        with platform.db.read_session() as session:
            query = select(Alert).join(Detector).where(Detector.device_id == device)
            return list(session.execute(query).scalars())

    try:
        # Published until stored: the ingester subscribes only once it has connected.
        _until(lambda: bool(alerts()), then=lambda: publisher.publish(topic, good, qos=1))
        publisher.publish(topic, good, qos=1).wait_for_publish(5)
        bad = json.dumps(event(2, alertSource=None, severity="extreme")).encode()
        publisher.publish(topic, bad, qos=1).wait_for_publish(5)
        wrong = json.dumps(event(3, alertSource="OTHER-1")).encode()
        publisher.publish(topic, wrong, qos=1).wait_for_publish(5)
        _until(lambda: len(stored(DeadLetter, DeadLetter.device_id)) == 2)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        ingester.stop()
        runner.join(10)
        _forget_session(client_id)
    (alert,) = alerts()
    assert (alert.event_id, alert.source, alert.department) == ("evt-1", "mqtt", "TFD")
    letters = {letter.code: letter for letter in stored(DeadLetter, DeadLetter.device_id)}
    assert set(letters) == {"invalid_alert_event", "alert_source_mismatch"}
    assert all(letter.source == "mqtt" and letter.sender == topic for letter in letters.values())
    assert ingester.failed is None and ingester.stored >= 2
