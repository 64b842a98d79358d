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

import contextlib
import json
import logging
import multiprocessing
import re
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any
from urllib.parse import urlparse

from smartcity.core.auth import system_actor
from smartcity.core.errors import BadRequest
from smartcity.core.platform import Platform
from smartcity.modules.sensors.ingest import IngestResult, dead_letter, ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.models import Datastream
from smartcity.modules.sensors.owners import Acting, NotOwner
from smartcity.modules.sensors.runtime import registry_of, sensors_settings
from smartcity.modules.sensors.sta.entities import ENTITIES, property_value
from smartcity.modules.sensors.sta.odata import StaError, load_json
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
    hooks are replaced; framing, acknowledgements and sessions are paho's own. Those hooks
    (`_sock_recv`, `_sock_close`, `_packet_queue`) are private, hence the exact pin of
    paho-mqtt; stock paho acking message by message took ~32 µs a message to receive
    against ~16 µs with this class.
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
    """A paho client speaking MQTT 3.1.1; `persistent`: a kept session and manual acks.

    Not MQTT 5: paho decodes a v5 PUBLISH's properties into a new `Properties` object for
    every message, which doubled the receiving cost per message (35 µs against 16 µs) and
    made receiving, not storing, the ingester's bottleneck. Nothing here needs v5: a 3.1.1
    session kept with `clean_session=False` lives until the broker expires it
    (Mosquitto: `persistent_client_expiration`, never by default), and the in-flight window
    is the broker's `max_inflight_messages`. Without v5's no-local option the ingester also
    receives its own STA notifications; they carry `@iot.id` and are skipped.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    return _buffered_client_class()(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=not persistent,
        manual_ack=persistent,
    )


def notifications(observations: Iterable[Any], base: str) -> list[tuple[str, str]]:
    """(topic, JSON) pairs announcing new observations: their datastream's and the global topic."""
    out: list[tuple[str, str]] = []
    for observation in observations:
        payload = json.dumps(observation_json(observation, base))
        out.append((f"v1.1/Datastreams({observation.datastream_id})/Observations", payload))
        out.append(("v1.1/Observations", payload))
    return out


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
        self.publish(notifications(observations, base))

    def publish(self, messages: Iterable[tuple[str, str]]) -> None:
        """Publish (topic, payload) pairs."""
        try:
            client = self._connected()
            for topic, payload in messages:
                client.publish(topic, payload, qos=0)
        except (OSError, ValueError):
            log.warning("could not publish observations to %s", self.broker, exc_info=True)

    def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()


Received = tuple[str, bytes]
"""A received message as storage sees it: (topic, payload)."""
Stored = tuple[IngestResult, list[tuple[str, str]]]
"""What storing a batch gives: its figures and the STA notifications to publish."""


class BatchStore:
    """Stores batches of received messages, one transaction each (in the receiver or a worker)."""

    def __init__(self, platform: Platform, *, base: str, notify: bool) -> None:
        self.platform = platform
        self.base = base
        self.notify = notify
        # Anyone who may publish to the broker is heard, so the ingester writes only the
        # Things of the organisation it is configured for (or the platform's unowned ones).
        self.acting = Acting(sensors_settings(platform).mqtt_owner or None)

    def store(self, messages: Sequence[Received], give_up: Callable[[], bool]) -> Stored | None:
        """Store one batch, retrying until it commits; None if `give_up()` said to stop trying."""
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
                return result, notifications(created, self.base) if self.notify else []
            except Exception:
                # Nothing was acknowledged: the broker keeps the messages. Devices cached
                # by the failed batch may have been rolled back, so forget them all.
                log.exception("storing a batch of %d messages failed; retrying", len(messages))
                registry_of(self.platform).clear()
                if give_up():
                    return None
                time.sleep(1)

    def _store_once(self, messages: Sequence[Received]) -> tuple[IngestResult, list[Any]]:
        texts: list[str] = []
        sta: list[Received] = []
        refused: list[tuple[str, str]] = []
        for topic, payload in messages:
            if topic.startswith("v1.1/"):
                sta.append((topic, payload))
                continue
            try:
                texts.append(payload.decode("utf-8"))
            except UnicodeDecodeError:
                refused.append((payload[:4000].decode("utf-8", "replace"), "payload is not UTF-8"))
        # The bulk parser: the same result line by line as `parse_line`, faster in bulk.
        readings, refused_lines = parse_lines(texts)
        refused.extend(refused_lines)
        refused.extend((text[:4000], "empty message") for text in texts if not text.strip())
        with self.platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
            result = ingest(
                uow,
                readings,
                refused,
                source=DeadLetterSource.MQTT,
                acting=self.acting,
                topic="LASS",
                registry=registry_of(self.platform),
            )
            writer = Writer(uow, self.acting)
            for topic, payload in sta:
                self._sta_create(uow, writer, topic, payload)
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

    def _sta_create(self, uow: Any, writer: Writer, topic: str, payload: bytes) -> None:
        match = _STA_CREATE.match(topic)
        text = payload.decode("utf-8", "replace")
        if match is None:
            return  # other v1.1 topics are subscriptions' traffic, not create requests
        try:
            body = load_json(payload)
        except BadRequest as refused:  # not JSON, too deep, a lone surrogate, a number too big
            dead_letter(uow.session, DeadLetterSource.STA_MQTT, topic, text, refused.detail)
            return
        if not isinstance(body, dict) or "@iot.id" in body:
            return  # a notification published by a hub, not a create request
        parent = {"datastream_id": int(match.group(1))} if match.group(1) else {}
        if parent and uow.session.get(Datastream, parent["datastream_id"]) is None:
            dead_letter(uow.session, DeadLetterSource.STA_MQTT, topic, text, "no such Datastream")
            return
        savepoint = uow.session.begin_nested()
        try:
            values = writer.observation_values(body, parent)
            if writer.insert_observation(values) is None:
                raise StaError("duplicate observation", code="sta_duplicate_observation")
            savepoint.commit()
        except (StaError, NotOwner) as exc:
            savepoint.rollback()
            dead_letter(uow.session, DeadLetterSource.STA_MQTT, topic, text, exc.detail)


def _store_worker(
    connection: Connection,
    factory: Callable[[Any], Platform],
    settings: Any,
    base: str,
    notify: bool,
    log_level: int,
) -> None:
    """A store process: batches in through `connection`, (batch id, Stored) back."""
    # Ctrl-C reaches the whole process group; the receiver decides when storing stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(asctime)s %(processName)s %(message)s")
    parent = multiprocessing.parent_process()
    store = BatchStore(factory(settings), base=base, notify=notify)

    def orphaned() -> bool:
        return parent is not None and not parent.is_alive()

    while True:
        try:
            item = connection.recv()
        except EOFError:
            return  # the receiver is gone: whatever it had not acknowledged is redelivered
        if item is None:
            return
        batch_id, messages = item
        stored = store.store(messages, orphaned)
        if stored is None:
            return
        try:
            connection.send((batch_id, stored))
        except OSError:
            return


@dataclass
class _Worker:
    process: Any
    connection: Connection
    outstanding: dict[int, list[Received]] = field(default_factory=dict)


class StoreProcesses:
    """Store processes fed batches through pipes, so parsing and writing run beside receiving.

    Each process has at most `depth` batches outstanding: one being stored and the next
    already on its way. A process that dies is replaced and given its outstanding batches
    again (a batch it had committed stores nothing new the second time).
    """

    def __init__(
        self,
        count: int,
        factory: Callable[[Any], Platform],
        settings: Any,
        *,
        base: str,
        notify: bool,
        depth: int = 2,
    ) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._args = (factory, settings, base, notify, logging.getLogger().getEffectiveLevel())
        self.depth = depth
        self._workers = [self._spawn() for _ in range(count)]

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_store_worker, args=(theirs, *self._args), name="sensors-store", daemon=True
        )
        process.start()
        theirs.close()  # so that the worker sees EOF when this process dies
        return _Worker(process, ours)

    def submit(self, batch_id: int, messages: list[Received]) -> list[tuple[int, Stored]]:
        """Hand a batch to the least busy process (waiting while all are full); results so far."""
        done: list[tuple[int, Stored]] = []
        while True:
            worker = min(self._workers, key=lambda w: len(w.outstanding))
            if len(worker.outstanding) < self.depth:
                break
            done.extend(self.collect(None))
        worker.outstanding[batch_id] = messages
        # If it died, `collect` notices and hands the batch to its replacement.
        with contextlib.suppress(OSError):
            worker.connection.send((batch_id, messages))
        return done

    def busy(self) -> bool:
        """Whether any batch is still being stored."""
        return any(worker.outstanding for worker in self._workers)

    def collect(self, timeout: float | None) -> list[tuple[int, Stored]]:
        """Results that arrive within `timeout` seconds (None: wait for at least one event)."""
        waitables: list[Any] = [w.connection for w in self._workers]
        waitables += [w.process.sentinel for w in self._workers]
        ready = set(wait(waitables, timeout))
        done: list[tuple[int, Stored]] = []
        for index, worker in enumerate(self._workers):
            alive = worker.process.sentinel not in ready
            try:
                while worker.connection.poll():
                    batch_id, stored = worker.connection.recv()
                    worker.outstanding.pop(batch_id, None)
                    done.append((batch_id, stored))
            except (EOFError, OSError):
                alive = False
            if not alive:
                log.error("store process %s died; starting another", worker.process.pid)
                worker.connection.close()
                replacement = self._spawn()
                for batch_id, messages in worker.outstanding.items():
                    replacement.outstanding[batch_id] = messages
                    replacement.connection.send((batch_id, messages))
                self._workers[index] = replacement
        return done

    def close(self, timeout: float = 30.0) -> None:
        """Ask every process to finish, and wait for them."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.terminate()
            worker.connection.close()


_MAX_IN_FLIGHT = 65_535
Pending = tuple[int, int, str, bytes]
"""A received message awaiting storage and acknowledgement: (mid, qos, topic, payload)."""


class Ingester:
    """The long-running LASS / STA-MQTT subscriber.

    The receiving thread only queues messages. Batches are stored in this process
    (`store_processes=0`) or by that many store processes (`platform_factory` rebuilds
    the platform there from its settings); either way a batch's messages are acknowledged,
    in the order they arrived, only once it has committed.
    """

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
        store_processes: int = 0,
        platform_factory: Callable[[Any], Platform] | None = None,
    ) -> None:
        if store_processes and platform_factory is None:
            raise ValueError("store processes need a platform_factory")
        self.platform = platform
        self.broker = broker
        self.client_id = client_id
        self.batch = batch
        self.flush_s = flush_ms / 1000
        self.topics = topics
        self.publish = publish
        self.base = base or platform.settings.base_url.rstrip("/") + "/sta/v1.1"
        self.store_processes = store_processes
        self.platform_factory = platform_factory
        self.totals = IngestResult()
        self._buffer: list[Pending] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._batches: dict[int, list[Pending]] = {}  # submitted, not yet acknowledged, in order
        self._stored: dict[int, Stored] = {}
        self._next_batch = 0
        self._window_warned = False
        self._processes: StoreProcesses | None = None
        self.client: Any = None

    # -- broker -----------------------------------------------------------------

    def _on_connect(
        self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the connection: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.topics])
        self._connected.set()
        log.info("connected to %s as %s", self.broker, self.client_id)

    def _on_disconnect(self, *args: Any) -> None:
        log.warning("disconnected from %s: %s", self.broker, args[3] if len(args) > 3 else "")
        self._connected.clear()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        with self._lock:
            self._buffer.append((message.mid, message.qos, message.topic, message.payload))
            if len(self._buffer) >= self.batch:
                self._lock.notify()

    def start(self) -> None:
        """Start the store processes, connect (persistent session), start the network thread."""
        if self.store_processes and self.platform_factory and self._processes is None:
            self._processes = StoreProcesses(
                self.store_processes,
                self.platform_factory,
                self.platform.settings,
                base=self.base,
                notify=self.publish,
            )
        self.client = _client(self.client_id, persistent=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        host, port = broker_address(self.broker)
        self.client.connect(host, port, keepalive=30)
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
                    self._submit(taken)
                elif idle_exit_s is not None and now - last_message > idle_exit_s:
                    break
                if self._processes is not None:
                    self._acknowledge(self._processes.collect(0))
                if max_seconds is not None and now - started > max_seconds:
                    break
        finally:
            with self._lock:
                leftover, self._buffer = self._buffer, []
            if leftover:
                self._submit(leftover)
            if self._processes is not None:
                deadline = time.monotonic() + 30
                while self._processes.busy() and time.monotonic() < deadline:
                    self._acknowledge(self._processes.collect(1.0))
                self._processes.close()
                self._processes = None
            self.client.loop_stop()
            self.client.disconnect()

    # -- storing ----------------------------------------------------------------

    def _submit(self, messages: list[Pending]) -> None:
        received = [(topic, payload) for _mid, _qos, topic, payload in messages]
        if self._processes is None:
            store = BatchStore(self.platform, base=self.base, notify=self.publish)
            stored = store.store(received, self._stop.is_set)
            if stored is not None:
                self._finish(messages, stored)
            return
        batch_id = self._next_batch
        self._next_batch += 1
        self._batches[batch_id] = messages
        unacknowledged = len(self._buffer) + sum(len(b) for b in self._batches.values())
        if unacknowledged > _MAX_IN_FLIGHT and not self._window_warned:
            # MQTT 3.1.1 has no receive maximum: only the broker's setting bounds this, and
            # past 65,535 unacknowledged messages their 16-bit ids repeat.
            log.error(
                "%d messages unacknowledged: set the broker's max_inflight_messages to at most "
                "%d (and at least the batch size)",
                unacknowledged,
                _MAX_IN_FLIGHT,
            )
            self._window_warned = True
        self._acknowledge(self._processes.submit(batch_id, received))

    def _acknowledge(self, results: list[tuple[int, Stored]]) -> None:
        """Acknowledge the stored batches that no earlier batch is still waiting in front of."""
        self._stored.update(results)
        while self._batches:
            first = next(iter(self._batches))
            if first not in self._stored:
                return
            self._finish(self._batches.pop(first), self._stored.pop(first))

    def _finish(self, messages: list[Pending], stored: Stored) -> None:
        result, published = stored
        self.totals.add(result)
        # One write acknowledges the whole batch (the subscription is QoS 1; any QoS 2
        # message is acknowledged the usual way).
        self.client.ack_all([mid for mid, qos, _topic, _payload in messages if qos == 1])
        for mid, qos, _topic, _payload in messages:
            if qos == 2:
                self.client.ack(mid, qos)
        if published:
            StaPublisher(self.broker, self.client).publish(published)
