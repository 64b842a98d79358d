"""Real Airbox readings through the machine's Mosquitto as installed (stock window and queue).

The documented command runs with its defaults while a QoS 1 publisher sends 12,000 real readings
at 1,500 messages a second, as a city's devices do in a burst; an ingester is killed with
SIGKILL mid-stream and restarted. While no ingester is connected the broker keeps at most
`max_queued_messages` per session, so the publisher sends less than that during the outage
(docs/sensors.md gives operators the sizing rule). Then every reading is stored exactly once.
An unpaced burst, sent while the ingester is stalled, overflows what the broker can queue and
raises the drop alarm.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from smartcity.core.platform import Platform
from smartcity.modules.sensors.lass import format_line
from smartcity.modules.sensors.models import BrokerDrop, Datastream, Observation, Thing
from smartcity.modules.sensors.mqtt import LANES, _client, broker_address
from tests.conftest import SHARED
from tests.support.sandbox import descendants

pytestmark = pytest.mark.mqtt
BROKER = os.environ.get("SMARTCITY_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
ROOT = Path(__file__).resolve().parents[3]
READINGS = SHARED / "data" / "airbox" / "airbox-2017-03-hourly.csv.gz"
DOCUMENTED = "smartcity sensors mqtt --broker mqtt://127.0.0.1:1883"
RATE = 1500
OUTAGE_MESSAGES = 600
"""Sent while no ingester is connected: under the stock `max_queued_messages` (1,000)."""


def real_lines(tag: str, count: int) -> list[str]:
    """`count` real hourly readings as LASS lines, devices renamed `tag…` (one per device-hour).

    Without ../shared (a clone elsewhere), readings of the same shape made here stand in, so that
    zero loss is still proven wherever the suite runs."""
    if not READINGS.exists():
        return generated_lines(tag, count)
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    with gzip.open(READINGS, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["device_id"], row["time"])
            if key in seen:
                continue
            seen.add(key)
            lines.append(
                format_line(
                    f"{tag}{row['device_id']}",
                    datetime.fromisoformat(row["time"]),
                    {"pm25": float(row["pm25"])},
                    float(row["latitude"]),
                    float(row["longitude"]),
                )
            )
            if len(lines) == count:
                return lines
    pytest.fail(f"{READINGS} holds fewer than {count} readings")


def generated_lines(tag: str, count: int) -> list[str]:
    """`count` hourly readings of 2,000 made-up devices, one per device-hour, as LASS lines."""
    start = datetime(2017, 3, 1, tzinfo=UTC)
    return [
        format_line(
            f"{tag}GEN{n % 2000:04d}",
            start + timedelta(hours=n // 2000),
            {"pm25": float((n * 7) % 80)},
            24.9 + (n % 2000) / 10000,
            121.4 + (n % 2000) / 10000,
        )
        for n in range(count)
    ]


def stored(platform: Platform, tag: str) -> tuple[int, int]:
    """(observations of the tagged devices, distinct (datastream, time) pairs among them)."""
    with platform.db.read_session() as session:
        pairs = (
            select(Observation.datastream_id, Observation.phenomenon_ms)
            .join(Datastream, Datastream.id == Observation.datastream_id)
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(Thing.device_id.like(f"{tag}%"))
        )
        total = session.execute(select(func.count()).select_from(pairs.subquery())).scalar()
        distinct = session.execute(
            select(func.count()).select_from(pairs.distinct().subquery())
        ).scalar()
        return int(total or 0), int(distinct or 0)


class Ingester:
    """A command line running as a process, its output read as it comes."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def connections(self) -> int:
        return self.output.count("connected to ")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def signal_all(self, number: signal.Signals) -> None:
        """Send a signal to the ingester and every process it started (its lanes)."""
        for pid in descendants(self.process.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, number)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reader.join(5)
        return int(self.process.returncode)


def wait_for(condition: Callable[[], Any], seconds: float, what: str, *running: Ingester) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            said = "".join(f"\n--- {r.process.args}:\n{r.output[-3000:]}" for r in running)
            pytest.fail(f"waited {seconds} s for {what}{said}")
        time.sleep(0.1)


def forget_sessions(client_ids: list[str]) -> None:
    host, port = broker_address(BROKER)
    for client_id in client_ids:
        client = _client(client_id, persistent=False)
        client.connect(host, port)  # a clean session (3.1.1): the broker forgets the old one
        client.disconnect()


def lane_ids(client_id: str) -> list[str]:
    return [client_id, *(f"{client_id}.{lane}" for lane in range(1, LANES))]


class Publisher:
    """Publishes lines at QoS 1, `rate` a second (0: as fast as it can); pauses on request."""

    def __init__(self, tag: str) -> None:
        self.client = _client(f"smartcity-test-pub-{tag}", persistent=False)
        self.client.max_inflight_messages_set(0)  # paho's own window: as fast as the broker
        self.client.max_queued_messages_set(0)
        host, port = broker_address(BROKER)
        self.client.connect(host, port)
        self.client.loop_start()
        self.sent: list[Any] = []
        self.outage = threading.Event()
        self.resumed = threading.Event()
        self.resumed.set()

    def publish(self, lines: list[str], rate: float) -> None:
        began = time.monotonic()
        in_outage = 0
        for index, line in enumerate(lines):
            if self.outage.is_set():
                in_outage += 1
                if in_outage >= OUTAGE_MESSAGES:
                    assert self.resumed.wait(60), "the ingester never came back"
                    self.outage.clear()
                    in_outage = 0
                    began = time.monotonic() - index / rate
            device = line.split("device_id=", 1)[1].split("|", 1)[0]
            self.sent.append(self.client.publish(f"LASS/AirBox/{device}", line, qos=1))
            if rate:
                ahead = began + (index + 1) / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)

    def in_background(self, lines: list[str], rate: float) -> threading.Thread:
        thread = threading.Thread(target=self.publish, args=(lines, rate), daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        for info in self.sent:
            info.wait_for_publish(timeout=30)
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def tag() -> str:
    return f"R{secrets.token_hex(3).upper()}"


@pytest.fixture
def environment(platform: Platform, database_url: str, tag: str) -> Iterator[dict[str, str]]:
    client_id = f"smartcity-test-{tag}"
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": database_url,
        "SMARTCITY_DATA_DIR": str(platform.settings.data_dir),
        # The machine's broker is shared: a session of this test's own, not the default one.
        "SMARTCITY_SENSORS_MQTT_CLIENT_ID": client_id,
        "SMARTCITY_LOG_REQUESTS": "false",
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    yield env
    host = socket.gethostname()
    members = [f"{client_id}-{tag}-{host}-{n}" for n in (1, 2)]
    forget_sessions([lane for member in (client_id, *members) for lane in lane_ids(member)])


def test_the_documented_command_loses_nothing_across_kill_minus_nine(
    platform: Platform, environment: dict[str, str], tag: str
) -> None:
    lines = real_lines(tag, 12_000)
    ingester = Ingester(DOCUMENTED, environment)
    publisher = Publisher(tag)
    try:
        wait_for(lambda: ingester.connections() == LANES, 60, "the ingester to connect")
        thread = publisher.in_background(lines, RATE)
        wait_for(lambda: stored(platform, tag)[0] >= 4_000, 60, "4,000 readings stored")
        publisher.resumed.clear()
        publisher.outage.set()
        ingester.kill()
        ingester = Ingester(DOCUMENTED, environment)
        wait_for(lambda: ingester.connections() == LANES, 60, "the ingester to reconnect")
        publisher.resumed.set()
        thread.join(120)
        publisher.close()
        wait_for(
            lambda: stored(platform, tag)[0] >= len(lines),
            120,
            f"every reading stored, not {stored(platform, tag)}",
            ingester,
        )
        time.sleep(1)  # anything redelivered late would show up now
        assert stored(platform, tag) == (len(lines), len(lines))
    finally:
        assert ingester.stop() == 0, ingester.output[-3000:]


def test_two_shared_ingesters_split_the_stream_and_survive_losing_one(
    platform: Platform, environment: dict[str, str], tag: str
) -> None:
    lines = real_lines(tag, 12_000)
    command = f"{DOCUMENTED} --shared {tag}"
    first, second = Ingester(command, environment), Ingester(command, environment)
    publisher = Publisher(tag)
    try:
        for member in (first, second):
            wait_for(lambda m=member: m.connections() == LANES, 60, "both ingesters to connect")
        thread = publisher.in_background(lines, RATE)
        wait_for(lambda: stored(platform, tag)[0] >= 4_000, 60, "4,000 readings stored")
        killed = second.output.split(" as ", 1)[1].split()[0]
        publisher.resumed.clear()
        publisher.outage.set()
        second.kill()
        second = Ingester(command, environment)
        wait_for(lambda: second.connections() == LANES, 60, "the member to reconnect")
        # The restarted member takes back its own session, and the messages kept for it.
        assert f" as {killed}\n" in second.output
        publisher.resumed.set()
        thread.join(120)
        publisher.close()
        wait_for(lambda: stored(platform, tag)[0] >= len(lines), 120, "every reading stored")
        time.sleep(1)
        assert stored(platform, tag) == (len(lines), len(lines))
    finally:
        assert first.stop() == 0, first.output[-3000:]
        assert second.stop() == 0, second.output[-3000:]
    # The member that ran throughout took its share of the stream.
    took = re.search(r"^stored (\d+) observations", first.output, re.MULTILINE)
    assert took and int(took.group(1)) > 0, first.output[-3000:]


def test_a_burst_the_broker_drops_raises_the_alarm(
    platform: Platform, environment: dict[str, str], tag: str
) -> None:
    lines = real_lines(tag, 24_000)
    ingester = Ingester(DOCUMENTED, environment)
    publisher = Publisher(tag)
    try:
        wait_for(lambda: ingester.connections() == LANES, 60, "the ingester to connect")
        time.sleep(1)  # the broker's drop report read as the baseline
        # A consumer stalled while a burst comes (a database that stops answering): on an idle
        # machine the lanes would otherwise keep up, and the broker drop nothing to report.
        ingester.signal_all(signal.SIGSTOP)
        try:
            publisher.publish(lines, 0)
            publisher.close()
        finally:
            ingester.signal_all(signal.SIGCONT)

        def alarms() -> int:
            with platform.db.read_session() as session:
                total = session.execute(select(func.sum(BrokerDrop.dropped))).scalar()
                return int(total or 0)

        # Mosquitto reports every `sys_interval` (10 s as installed).
        wait_for(alarms, 40, "the drop alarm")
        settled = -1
        while settled != stored(platform, tag)[0]:  # the ingester drains what was queued
            settled = stored(platform, tag)[0]
            time.sleep(2)
        lost = len(lines) - settled
        assert lost > 0, "the broker dropped nothing: the burst was too small to test the alarm"
        assert "dropped about" in ingester.output
        # The estimate from the broker's load average is close to what was really lost
        # (more if others using this broker lost messages at the same time).
        time.sleep(11)  # a drop straddling two reports shows up in the second
        assert alarms() >= lost * 0.7, (alarms(), lost)
    finally:
        assert ingester.stop() == 0, ingester.output[-3000:]


def test_documented_command_is_the_one_in_the_docs() -> None:
    docs = (ROOT / "docs" / "sensors.md").read_text(encoding="utf-8")
    assert f"\n{DOCUMENTED}\n" in docs
    assert f"\n{DOCUMENTED} --shared " in docs
