"""`smartcity alerts mqtt`: events from detectors over MQTT, stored by the same intake as HTTP.

Topics are `alerts/<device id>/<anything>` (e.g. `alerts/ACOUSTIC-01/events`), at QoS 1 on a
persistent session (MQTT 3.1.1, `clean_session=False`, a stable client id). A message is
acknowledged (manual PUBACK) only after the transaction that stored it — or the one that kept
it as a dead letter — has committed: killed before, the broker redelivers it; killed after
the commit but before the PUBACK, the redelivery is a replay and stores nothing new.

Who sent a message is what the broker says: the topic's device id. The broker must let a
device publish only under its own `alerts/<device id>/` (an ACL per device, see
docs/alerts.md); `SMARTCITY_ALERTS_MQTT_OWNER` further limits the ingester to one device
owner's detectors.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from smartcity.core.auth import system_actor
from smartcity.core.errors import DomainError
from smartcity.core.platform import Platform
from smartcity.modules.alerts.intake import take_event
from smartcity.modules.alerts.values import Source

log = logging.getLogger("smartcity.alerts.mqtt")

TOPIC = "alerts/#"
ACTOR = system_actor("alerts-mqtt")


def device_of(topic: str) -> str | None:
    """The device id a topic names (`alerts/<device>/…`), or None for another shape."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != "alerts" or not parts[1] or not parts[2]:
        return None
    return parts[1]


class Ingester:
    """Receives events, stores each through the intake, then acknowledges it."""

    def __init__(self, platform: Platform, host: str, port: int, *, client_id: str, owner: str):
        from paho.mqtt.client import Client, MQTTv311
        from paho.mqtt.enums import CallbackAPIVersion

        self.platform = platform
        self.owner = owner or None
        self.stored = 0
        self.refused = 0
        self.failed: BaseException | None = None
        self._stop = threading.Event()
        self.client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=MQTTv311,
            manual_ack=True,
        )
        self.client.on_connect = self._connected
        self.client.on_message = self._received
        self.client.connect(host, port, keepalive=30)

    def _connected(
        self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.error("the broker refused the connection: %s", reason)
            self.stop()
            return
        client.subscribe(TOPIC, qos=1)

    def _received(self, client: Any, _userdata: Any, message: Any) -> None:
        device = device_of(message.topic)
        try:
            take_event(
                self.platform,
                ACTOR,
                message.payload,
                source=Source.MQTT,
                owner=self.owner,
                sender=message.topic[:64],
                # A topic of another shape names no device: refused, and kept as a dead letter.
                topic_device=device or "",
            )
            self.stored += 1
        except DomainError as refused:
            self.refused += 1
            log.info("refused %s: %s", message.topic, refused.detail)
        except Exception as exc:
            # Not acknowledged: stop, so that the broker redelivers it to the next run.
            log.exception("could not store %s; stopping without acknowledging it", message.topic)
            self.failed = exc
            self.stop()
            return
        if message.qos > 0:
            client.ack(message.mid, message.qos)

    def stop(self) -> None:
        """Stop receiving (from a signal handler or a callback)."""
        self._stop.set()

    def run(self, max_seconds: float | None = None) -> None:
        """Receive until stopped (or for `max_seconds`)."""
        self.client.loop_start()
        try:
            self._stop.wait(max_seconds)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
