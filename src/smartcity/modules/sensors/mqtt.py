"""MQTT: the LASS subscriber (QoS 1, persistent session, ack after commit) and STA MQTT.

Delivery guarantee: a message is acknowledged to the broker only after the
transaction that stored it has committed. If the ingester dies before, the broker
redelivers the message to the persistent session on reconnect; if it dies between
commit and acknowledgement, the redelivered message stores nothing new because
observations are unique on (datastream, phenomenon time). Hence no loss and no
duplicates across `kill -9`.

SensorThings MQTT extension: new observations are published to
`v1.1/Datastreams(<id>)/Observations` (and `v1.1/Observations`); a client that
publishes an Observation JSON there creates one.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.sensors.ingest import IngestResult, dead_letter, ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.models import Datastream
from smartcity.modules.sensors.runtime import registry_of
from smartcity.modules.sensors.sta.entities import ENTITIES, property_value
from smartcity.modules.sensors.sta.odata import StaError
from smartcity.modules.sensors.sta.writes import Writer
from smartcity.modules.sensors.values import DeadLetterSource

log = logging.getLogger("smartcity.sensors.mqtt")

LASS_TOPICS = ("LASS/Test/PM25/#", "LASS/AirBox/#")
STA_TOPIC = "v1.1/#"
_STA_CREATE = re.compile(r"^v1\.1/(?:Datastreams\((\d{1,18})\)/)?Observations$")


def broker_address(url: str) -> tuple[str, int]:
    """`mqtt://host:port` → (host, port)."""
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp"):
        raise ValueError("the broker URL must look like mqtt://host:1883")
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


def observation_json(observation: Any, base: str) -> dict[str, Any]:
    """An Observation as SensorThings JSON (for notifications)."""
    entity = ENTITIES["Observations"]
    link = f"{base}/Observations({observation.id})"
    out: dict[str, Any] = {"@iot.selfLink": link, "@iot.id": observation.id}
    for name in entity.props:
        if name != "id":
            out[name] = property_value(entity, observation, name)
    out["Datastream@iot.navigationLink"] = f"{link}/Datastream"
    out["FeatureOfInterest@iot.navigationLink"] = f"{link}/FeatureOfInterest"
    return out


_READ_CHUNK = 1 << 16
_PUBACK = struct.Struct("!BBH")


def _buffered_client_class() -> type[Any]:
    """paho's Client, reading the socket in 64 KiB chunks instead of a few bytes at a time.

    Stock paho (2.2) reads each packet with three or more `recv` calls (command byte,
    remaining length, body) and handles one packet per `select()` wake-up, so a stream of
    small QoS 1 publishes costs several system calls per message. This subclass serves those
    reads from one user-space buffer and keeps handling packets while the buffer holds any,
    which is what lets one ingester keep up with a fast publisher. Only paho's socket-read
    hooks are replaced; framing, acknowledgements and sessions are paho's own.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import MQTTErrorCode

    class BufferedClient(mqtt.Client):
        _rx: bytes = b""
        _rx_pos: int = 0

        def _sock_recv(self, bufsize: int) -> bytes:
            data, pos = self._rx, self._rx_pos
            if pos >= len(data):
                data = super()._sock_recv(max(bufsize, _READ_CHUNK))
                if not data:
                    return data  # the broker closed the connection
                self._rx, pos = data, 0
            self._rx_pos = pos + bufsize
            return data[pos : pos + bufsize]

        def _sock_close(self) -> None:
            self._rx, self._rx_pos = b"", 0  # never carry bytes over to a new connection
            super()._sock_close()

        def ack_all(self, mids: Sequence[int]) -> None:
            """Acknowledge many QoS 1 messages with one write (manual-ack clients only).

            The PUBACKs are the same four bytes paho's `ack` sends for each message, queued
            as one buffer instead of one packet, one wake-up and one `send` per message.
            """
            if not mids or not self._manual_ack:
                return
            packet = b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids])
            self._packet_queue(0x40, packet, 0, 0)

        def loop_read(self, max_packets: int = 1) -> Any:
            rc = super().loop_read(max_packets)
            while (
                rc == MQTTErrorCode.MQTT_ERR_SUCCESS
                and self._sock is not None
                and self._rx_pos < len(self._rx)
            ):
                rc = super().loop_read(max_packets)
            return rc

    return BufferedClient


def _client(client_id: str, *, persistent: bool) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    return _buffered_client_class()(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=persistent,
    )


def _connect_properties(persistent: bool) -> Any:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if persistent:
        properties.SessionExpiryInterval = 7 * 24 * 3600
    properties.ReceiveMaximum = 65535
    return properties


class StaPublisher:
    """Publishes new observations for SensorThings MQTT subscribers (QoS 0, best effort)."""

    def __init__(self, broker: str, client: Any | None = None) -> None:
        self.broker = broker
        self._client = client
        self._lock = threading.Lock()

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                import secrets

                client = _client(f"smartcity-sta-{secrets.token_hex(4)}", persistent=False)
                host, port = broker_address(self.broker)
                client.connect(host, port, keepalive=60)
                client.loop_start()
                self._client = client
            return self._client

    def publish_observations(self, observations: Iterable[Any], base: str) -> None:
        """Publish each observation to its datastream's topic and to `v1.1/Observations`."""
        try:
            client = self._connected()
            for observation in observations:
                payload = json.dumps(observation_json(observation, base))
                client.publish(
                    f"v1.1/Datastreams({observation.datastream_id})/Observations", payload, qos=0
                )
                client.publish("v1.1/Observations", payload, qos=0)
        except (OSError, ValueError):
            log.warning("could not publish observations to %s", self.broker, exc_info=True)

    def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()


@dataclass
class Message:
    """A received message awaiting storage and acknowledgement."""

    mid: int
    qos: int
    topic: str
    payload: bytes


class Ingester:
    """The long-running LASS / STA-MQTT subscriber."""

    def __init__(
        self,
        platform: Platform,
        broker: str,
        *,
        client_id: str = "smartcity-sensors-ingester",
        batch: int = 2000,
        flush_ms: int = 200,
        topics: Sequence[str] = (*LASS_TOPICS, STA_TOPIC),
        publish: bool = True,
        base: str = "",
    ) -> None:
        self.platform = platform
        self.broker = broker
        self.client_id = client_id
        self.batch = batch
        self.flush_s = flush_ms / 1000
        self.topics = topics
        self.publish = publish
        self.base = base or platform.settings.base_url.rstrip("/") + "/sta/v1.1"
        self.totals = IngestResult()
        self._buffer: list[Message] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self.client: Any = None

    # -- broker -----------------------------------------------------------------

    def _on_connect(
        self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the connection: %s", reason)
            return
        from paho.mqtt.subscribeoptions import SubscribeOptions

        client.subscribe([(topic, SubscribeOptions(qos=1, noLocal=True)) for topic in self.topics])
        self._connected.set()
        log.info("connected to %s as %s", self.broker, self.client_id)

    def _on_disconnect(self, *args: Any) -> None:
        log.warning("disconnected from %s: %s", self.broker, args[3] if len(args) > 3 else "")
        self._connected.clear()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        with self._lock:
            self._buffer.append(Message(message.mid, message.qos, message.topic, message.payload))
            if len(self._buffer) >= self.batch:
                self._lock.notify()

    def start(self) -> None:
        """Connect (persistent session) and start the network thread."""
        self.client = _client(self.client_id, persistent=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        host, port = broker_address(self.broker)
        self.client.connect(
            host, port, keepalive=30, clean_start=False, properties=_connect_properties(True)
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Ask `run` to finish after its current batch."""
        self._stop.set()
        with self._lock:
            self._lock.notify()

    def run(self, *, max_seconds: float | None = None, idle_exit_s: float | None = None) -> None:
        """Store batches until stopped (or `max_seconds`, or `idle_exit_s` without messages)."""
        if self.client is None:
            self.start()
        started = last_message = time.monotonic()
        try:
            while not self._stop.is_set():
                with self._lock:
                    if len(self._buffer) < self.batch:
                        self._lock.wait(self.flush_s)
                    taken = self._buffer[: self.batch]
                    del self._buffer[: self.batch]
                now = time.monotonic()
                if taken:
                    last_message = now
                    self._store(taken)
                elif idle_exit_s is not None and now - last_message > idle_exit_s:
                    break
                if max_seconds is not None and now - started > max_seconds:
                    break
        finally:
            with self._lock:
                leftover, self._buffer = self._buffer, []
            if leftover:
                self._store(leftover)
            self.client.loop_stop()
            self.client.disconnect()

    # -- storing ----------------------------------------------------------------

    def _store(self, messages: list[Message]) -> None:
        while True:
            try:
                began = time.perf_counter()
                result, created = self._store_once(messages)
                log.info(
                    "stored %d messages (%d new observations, %d refused) in %.3f s",
                    len(messages),
                    result.stored,
                    result.refused,
                    time.perf_counter() - began,
                )
                break
            except Exception:
                # Nothing was acknowledged: the broker keeps the messages. Try again.
                log.exception("storing a batch of %d messages failed; retrying", len(messages))
                if self._stop.is_set():
                    return
                time.sleep(1)
        self.totals.add(result)
        # One write acknowledges the whole batch (the subscription is QoS 1; any QoS 2
        # message is acknowledged the usual way).
        if hasattr(self.client, "ack_all"):
            self.client.ack_all([m.mid for m in messages if m.qos == 1])
            for message in messages:
                if message.qos == 2:
                    self.client.ack(message.mid, message.qos)
        else:
            for message in messages:
                if message.qos > 0:
                    self.client.ack(message.mid, message.qos)
        if self.publish and created:
            StaPublisher(self.broker, self.client).publish_observations(created, self.base)

    def _store_once(self, messages: list[Message]) -> tuple[IngestResult, list[Any]]:
        lass: list[Message] = []
        sta: list[Message] = []
        for message in messages:
            (sta if message.topic.startswith("v1.1/") else lass).append(message)
        refused: list[tuple[str, str]] = []
        with self.platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
            texts: list[str] = []
            for message in lass:
                try:
                    texts.append(message.payload.decode("utf-8"))
                except UnicodeDecodeError:
                    refused.append(
                        (message.payload[:4000].decode("utf-8", "replace"), "payload is not UTF-8")
                    )
            # The bulk parser: the same result line by line as `parse_line`, faster in bulk.
            readings, refused_lines = parse_lines(texts)
            refused.extend(refused_lines)
            refused.extend((text[:4000], "empty message") for text in texts if not text.strip())
            result = ingest(
                uow,
                readings,
                refused,
                source=DeadLetterSource.MQTT,
                topic="LASS",
                registry=registry_of(self.platform),
            )
            writer = Writer(uow)
            for message in sta:
                self._sta_create(uow, writer, message)
            event = writer.stored_event()
            if event:
                uow.emit(event)
                uow.audit(
                    "sensors.observations.created",
                    "mqtt_batch",
                    uow.request_id,
                    {"count": len(writer.new_observations)},
                )
        return result, writer.new_observations

    def _sta_create(self, uow: Any, writer: Writer, message: Message) -> None:
        match = _STA_CREATE.match(message.topic)
        text = message.payload.decode("utf-8", "replace")
        if match is None:
            return  # other v1.1 topics are subscriptions' traffic, not create requests
        try:
            body = json.loads(text)
        except ValueError:
            dead_letter(
                uow.session, DeadLetterSource.STA_MQTT, message.topic, text, "not valid JSON"
            )
            return
        if not isinstance(body, dict) or "@iot.id" in body:
            return  # a notification published by a hub, not a create request
        parent = {"datastream_id": int(match.group(1))} if match.group(1) else {}
        if parent and uow.session.get(Datastream, parent["datastream_id"]) is None:
            dead_letter(
                uow.session, DeadLetterSource.STA_MQTT, message.topic, text, "no such Datastream"
            )
            return
        savepoint = uow.session.begin_nested()
        try:
            values = writer.observation_values(body, parent)
            if writer.insert_observation(values) is None:
                raise StaError("duplicate observation", code="sta_duplicate_observation")
            savepoint.commit()
        except StaError as exc:
            savepoint.rollback()
            dead_letter(uow.session, DeadLetterSource.STA_MQTT, message.topic, text, exc.detail)
