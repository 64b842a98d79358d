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
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.exc import IntegrityError

from smartcity.core.auth import system_actor
from smartcity.core.errors import BadRequest
from smartcity.core.platform import Platform
from smartcity.modules.sensors.drops import DROP_LOAD_TOPIC, UPTIME_TOPIC, DropWatch, record_drop
from smartcity.modules.sensors.errors import NotOwner
from smartcity.modules.sensors.ingest import IngestResult, dead_letter, ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.lorawan import TOPICS as LORAWAN_TOPICS
from smartcity.modules.sensors.lorawan import UPLINK_PREFIXES, is_uplink_topic, store_uplinks
from smartcity.modules.sensors.models import Datastream
from smartcity.modules.sensors.owners import Acting
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
        uplinks: list[Received] = []
        refused: list[tuple[str, str]] = []
        for topic, payload in messages:
            if topic.startswith("v1.1/"):
                sta.append((topic, payload))
                continue
            if topic.startswith(UPLINK_PREFIXES) and is_uplink_topic(topic):
                uplinks.append((topic, payload))
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
            if uplinks:
                store_uplinks(uow, uplinks)
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

    def collect(self, timeout: float | None, extra: Sequence[Any] = ()) -> list[tuple[int, Stored]]:
        """Results that arrive within `timeout` seconds (None: wait for at least one event);
        `extra` are other objects to wake up for, as `multiprocessing.connection.wait` takes."""
        waitables: list[Any] = [*extra, *(w.connection for w in self._workers)]
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
_MAX_BATCH = 20_000
_IDLE_GAP_S = 0.003
"""A pause this long in the stream means the broker has nothing more to give for now."""
_MAX_WAIT_S = 0.05
"""The longest a received message waits for its batch (when the window is too big to fill)."""
LANES = 16
"""Connections per ingester: the broker grants each its own in-flight window (Mosquitto's
stock `max_inflight_messages` is 20), and one window of 20 per commit caps an ingester near
20 messages per commit's round trip, below what a city's devices send in a burst."""
Pending = tuple[int, int, int, str, bytes]
"""A received message awaiting storage and acknowledgement: (lane, mid, qos, topic, payload)."""


def shared_topics(topics: Sequence[str], group: str) -> tuple[str, ...]:
    """The topic filters as one shared subscription of `group` (MQTT 5 §4.8.2, Mosquitto 2)."""
    if not group:
        return tuple(topics)
    if not re.fullmatch(r"[\w.-]{1,64}", group):
        raise ValueError("a shared subscription group is letters, digits, '.', '-' or '_'")
    return tuple(f"$share/{group}/{topic}" for topic in topics)


def claim_client_id(lock_dir: Path, base: str, *, numbered: bool) -> tuple[str, Any]:
    """A client id no other ingester on this host uses, and the open lock file that holds it.

    Two connections with one client id take the session from each other, so each ingester
    holds a lock named after its id. `numbered` (a shared subscription's members): the first
    free of `base-1`, `base-2`, …, so that a restarted member takes back its own session, and
    with it the messages the broker kept in flight for it.
    """
    import fcntl

    lock_dir.mkdir(parents=True, exist_ok=True)
    for index in range(1, 1000) if numbered else (0,):
        client_id = f"{base}-{index}" if numbered else base
        name = re.sub(r"[^\w.-]", "_", client_id)
        handle = (lock_dir / f"mqtt-{name}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return client_id, handle
    raise RuntimeError(f"another ingester on this host uses the MQTT client id {base}")


class Ingester:
    """The long-running LASS / STA-MQTT subscriber.

    The receiving thread only queues messages. A batch is cut when every message the broker
    may have in flight to us is here (the unacknowledged count reaches the largest seen: the
    broker's window, measured, whatever its `max_inflight_messages`), when the stream pauses
    for a few milliseconds, or when a message has waited `_MAX_WAIT_S`. Batches are stored in
    this process (`store_processes=0`) or by that many store processes (`platform_factory`
    rebuilds the platform there from its settings); either way a batch's messages are
    acknowledged, in the order they arrived, only once it has committed.
    """

    def __init__(
        self,
        platform: Platform,
        broker: str,
        *,
        client_id: str = "smartcity-sensors-ingester",
        topics: Sequence[str] = (*LASS_TOPICS, STA_TOPIC, *LORAWAN_TOPICS),
        group: str = "",
        lanes: int = LANES,
        publish: bool = True,
        base: str = "",
        store_processes: int = 0,
        platform_factory: Callable[[Any], Platform] | None = None,
        watch_drops: bool = True,
    ) -> None:
        if store_processes and platform_factory is None:
            raise ValueError("store processes need a platform_factory")
        self.platform = platform
        self.broker = broker
        self.client_id = client_id
        # The lanes split the stream as one shared subscription: the ingesters' group, or a
        # group of this ingester's own.
        own_group = re.sub(r"[^\w.-]", "_", client_id)[:64]
        self.topics = shared_topics(topics, group or (own_group if lanes > 1 else ""))
        self.lane_ids = [client_id, *(f"{client_id}.{lane}" for lane in range(1, lanes))]
        self.publish = publish
        self.base = base or platform.settings.base_url.rstrip("/") + "/sta/v1.1"
        self.store_processes = store_processes
        self.platform_factory = platform_factory
        self.watch_drops = watch_drops
        self.totals = IngestResult()
        self.window = 0
        """The most messages seen unacknowledged at once: the broker's in-flight window."""
        self._buffer: list[Pending] = []
        self._buffered_acks = 0  # QoS 1 and 2 messages in `_buffer`: those the window counts
        self._in_store = 0  # … and in batches submitted but not yet acknowledged
        self._first_arrival = self._last_arrival = 0.0
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._woken = False
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._batches: dict[int, list[Pending]] = {}  # submitted, not yet acknowledged, in order
        self._stored: dict[int, Stored] = {}
        self._next_batch = 0
        self._window_warned = False
        self._processes: StoreProcesses | None = None
        self._reports: list[tuple[str, bytes]] = []  # the broker's $SYS reports, to read
        self._drops = DropWatch()
        self.clients: list[Any] = []

    # -- broker -----------------------------------------------------------------

    def _on_connect(self, client: Any, lane: int, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the connection: %s", reason)
            return
        subscriptions = [(topic, 1) for topic in self.topics]
        if self.watch_drops and lane == 0:  # QoS 0: reports are not stored, nothing to ack
            subscriptions += [(DROP_LOAD_TOPIC, 0), (UPTIME_TOPIC, 0)]
        client.subscribe(subscriptions)
        self._connected.set()
        log.info("connected to %s as %s", self.broker, self.lane_ids[lane])

    def _on_disconnect(self, *args: Any) -> None:
        log.warning("disconnected from %s: %s", self.broker, args[3] if len(args) > 3 else "")
        self._connected.clear()

    def _on_message(self, _client: Any, lane: int, message: Any) -> None:
        topic = message.topic
        with self._lock:
            if topic.startswith("$SYS/"):
                self._reports.append((topic, message.payload))
                return
            now = time.monotonic()
            if not self._buffer:
                self._first_arrival = now
            self._last_arrival = now
            self._buffer.append((lane, message.mid, message.qos, topic, message.payload))
            if message.qos:
                self._buffered_acks += 1
                unacknowledged = self._buffered_acks + self._in_store
                self.window = max(self.window, unacknowledged)
            # Wake the storing loop when a batch begins (to time it) and when it is complete.
            if len(self._buffer) == 1 or self._complete():
                self._wake()

    def _complete(self) -> bool:
        """Whether the broker cannot send more before we acknowledge (caller holds the lock)."""
        unacknowledged = self._buffered_acks + self._in_store
        return (0 < self.window <= unacknowledged) or len(self._buffer) >= _MAX_BATCH

    def _wake(self) -> None:
        if not self._woken:
            self._woken = True
            self._wake_w.send(b".")

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
        host, port = broker_address(self.broker)
        for lane, lane_id in enumerate(self.lane_ids):
            client = _client(lane_id, persistent=True)
            client.user_data_set(lane)
            client.on_connect = self._on_connect
            client.on_disconnect = self._on_disconnect
            client.on_message = self._on_message
            client.reconnect_delay_set(min_delay=1, max_delay=10)
            client.connect(host, port, keepalive=30)
            client.loop_start()
            self.clients.append(client)

    def stop(self) -> None:
        """Ask `run` to finish after its current batch."""
        self._stop.set()
        with self._lock:
            self._wake()

    def run(self, *, max_seconds: float | None = None, idle_exit_s: float | None = None) -> None:
        """Store batches until stopped (or `max_seconds`, or `idle_exit_s` without messages)."""
        if not self.clients:
            self.start()
        started = last_message = time.monotonic()
        try:
            while not self._stop.is_set():
                taken, timeout = self._take()
                now = time.monotonic()
                if taken:
                    last_message = now
                    self._submit(taken)
                else:
                    self._wait(timeout)
                self._read_reports()
                if idle_exit_s is not None and not taken and now - last_message > idle_exit_s:
                    break
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
            for client in self.clients:
                client.loop_stop()
                client.disconnect()

    def _take(self) -> tuple[list[Pending], float]:
        """The next batch if one is due, else nothing and how long to wait for one."""
        with self._lock:
            if not self._buffer:
                return [], 0.2
            now = time.monotonic()
            gap_left = _IDLE_GAP_S - (now - self._last_arrival)
            age_left = _MAX_WAIT_S - (now - self._first_arrival)
            if not self._complete() and gap_left > 0 and age_left > 0:
                return [], min(gap_left, age_left)
            taken = self._buffer[:_MAX_BATCH]
            del self._buffer[:_MAX_BATCH]
            acks = sum(1 for _lane, _mid, qos, _topic, _payload in taken if qos)
            self._buffered_acks -= acks
            self._in_store += acks
            if self._buffer:
                self._first_arrival = now
            return taken, 0.0

    def _wait(self, timeout: float) -> None:
        """Until a message completes or begins a batch, a store process answers, or `timeout`."""
        waitables: list[Any] = [self._wake_r]
        if self._processes is not None:
            self._acknowledge(self._processes.collect(timeout, extra=waitables))
        else:
            wait(waitables, timeout)
        with self._lock:
            if self._woken:
                self._wake_r.recv(1)
                self._woken = False

    def _read_reports(self) -> None:
        """Raise the alarm for each rise of the broker's drop load it reported."""
        with self._lock:
            reports, self._reports = self._reports, []
        for topic, payload in reports:
            drop = self._drops.heard(topic, payload)
            if drop is None:
                continue
            log.error(
                "the broker %s dropped about %d messages it could not queue (load %s/min): "
                "they are lost; see docs/sensors.md on sizing the broker and the ingesters",
                self.broker,
                drop.dropped,
                drop.load,
            )
            try:
                with self.platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
                    record_drop(uow, self.broker, drop)
            except IntegrityError:
                pass  # another ingester kept the same report in the meantime

    # -- storing ----------------------------------------------------------------

    def _submit(self, messages: list[Pending]) -> None:
        received = [(topic, payload) for _lane, _mid, _qos, topic, payload in messages]
        if self._processes is None:
            store = BatchStore(self.platform, base=self.base, notify=self.publish)
            stored = store.store(received, self._stop.is_set)
            if stored is not None:
                self._finish(messages, stored)
            return
        batch_id = self._next_batch
        self._next_batch += 1
        self._batches[batch_id] = messages
        if self.window > _MAX_IN_FLIGHT * len(self.clients) and not self._window_warned:
            # MQTT 3.1.1 has no receive maximum: only the broker's setting bounds this, and
            # past 65,535 unacknowledged messages their 16-bit ids repeat.
            log.error(
                "%d messages unacknowledged on %d connections: set the broker's "
                "max_inflight_messages to at most %d",
                self.window,
                len(self.clients),
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
        acks: list[list[int]] = [[] for _ in self.clients]
        for lane, mid, qos, _topic, _payload in messages:
            if qos == 1:
                acks[lane].append(mid)
            elif qos == 2:  # the subscriptions are QoS 1; any QoS 2 message the usual way
                self.clients[lane].ack(mid, qos)
        with self._lock:
            self._in_store -= sum(1 for _lane, _mid, qos, _topic, _payload in messages if qos)
        # One write per connection acknowledges its part of the batch.
        for client, mids in zip(self.clients, acks, strict=True):
            client.ack_all(mids)
        if published:
            StaPublisher(self.broker, self.clients[0]).publish(published)
