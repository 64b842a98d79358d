"""Scale-out shown, not claimed: two app servers, two job workers and two MQTT ingesters on one
PostgreSQL and the machine's Mosquitto, each kind losing one process to `kill -9` mid-load.

Every process is started the way docs/operations.md tells an operator to start it. The test
then proves that nothing acknowledged was lost or doubled: every payment a server answered 201
is stored once, every reading published at QoS 1 is stored once, every due schedule ran once
and every job ran on one worker (again only if its worker died holding it).

Needs `SMARTCITY_TEST_DATABASE_URL` (PostgreSQL) and a broker at `SMARTCITY_TEST_MQTT_URL`
(`make test-scale`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url

from smartcity.app import build_platform
from smartcity.core.jobs.models import Job, JobSchedule
from smartcity.core.keys import KeyRing
from smartcity.core.settings import Settings
from smartcity.core.time import local_today, utcnow
from smartcity.modules.payments import codes
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item, Payment
from smartcity.modules.sensors.lass import format_line
from smartcity.modules.sensors.models import Datastream, Observation, Thing
from tests.support.ports import free_port

pytestmark = [pytest.mark.scale]

POSTGRES_URL = os.environ.get("SMARTCITY_TEST_DATABASE_URL", "")
BROKER = os.environ.get("SMARTCITY_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
SMARTCITY = Path(sys.executable).parent / "smartcity"
PAYMENTS = 400
READINGS = 3_000
READINGS_PER_SECOND = 500
LEASE_SECONDS = 6
STARTUP_SECONDS = 180  # processes start slowly on a busy 2-core machine


class Fleet:
    """The processes of one deployment, by role, each restartable after a `kill -9`."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, list[str]] = {}

    def start(self, name: str, *args: str) -> None:
        command = [str(SMARTCITY), *args]
        self.commands[name] = command
        log = (self.work / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        self.start(name, *self.commands[name][1:])

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.fail("the scale-out test needs SMARTCITY_TEST_DATABASE_URL (PostgreSQL)")
    base = make_url(POSTGRES_URL)
    name = f"smartcity_scale_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_of_everything_lose_one_each_and_nothing_acknowledged_is_lost_or_doubled(
    database: str, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    group = f"scale{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": database,
        "SMARTCITY_DATA_DIR": str(tmp_path / "data"),
        "SMARTCITY_ENVIRONMENT": "test",
        "SMARTCITY_LOG_REQUESTS": "false",
        "SMARTCITY_WORKER_POLL_SECONDS": "0.2",
        "SMARTCITY_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    _cli(env, "db", "upgrade")
    token = _cli(env, "admin", "create-token", "--role", "provider", "--provider", "BOT")
    engine = create_engine(database)
    references = _load_bills(engine, PAYMENTS)
    schedules = _every_schedule_due_now(engine, env)

    fleet = Fleet(tmp_path, env)
    try:
        for index, port in enumerate(ports):
            fleet.start(f"server-{index}", "serve", "--no-job-worker", "--port", str(port))
        for index in range(2):
            fleet.start(f"worker-{index}", "worker")
            fleet.start(
                f"ingester-{index}",
                "sensors",
                "mqtt",
                "--broker",
                BROKER,
                "--shared",
                group,
                "--client-id",
                f"{group}-{index}",
            )
        for port in ports:
            _wait_healthy(port)
        _wait_subscribed(fleet, ["ingester-0", "ingester-1"])

        acknowledged: list[str] = []
        readings_done = threading.Event()
        tag = f"SCALE{uuid.uuid4().hex[:6].upper()}-"
        publisher = threading.Thread(
            target=_publish_readings, args=(tag, readings_done), daemon=True
        )
        publisher.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [
                pool.submit(_pay, ports, token, reference, index)
                for index, reference in enumerate(references)
            ]
            # Mid-load, one process of each kind dies without a word, and comes back.
            _wait_until(lambda: sum(f.done() for f in futures) >= PAYMENTS // 3, "payments")
            for name in ("server-0", "worker-0", "ingester-0"):
                fleet.kill(name)
            time.sleep(2)
            for name in ("server-0", "worker-0", "ingester-0"):
                fleet.restart(name)
            acknowledged = [f.result() for f in futures]
        publisher.join(timeout=120)
        assert readings_done.is_set(), "the publisher did not finish"

        # Payments: every acknowledged one stored, none twice, every bill paid once.
        with engine.connect() as connection:
            stored = connection.execute(
                select(Payment.provider_txn_id, func.count()).group_by(Payment.provider_txn_id)
            ).all()
        assert sorted(acknowledged) == sorted(txn for txn, _count in stored)
        assert all(count == 1 for _txn, count in stored)

        # Readings: every one published at QoS 1 stored exactly once.
        _wait_until(lambda: _stored_readings(engine, tag)[0] >= READINGS, "readings", 180)
        assert _stored_readings(engine, tag) == (READINGS, READINGS)

        # Jobs: each due schedule enqueued once; every job done, by one worker — or by two only
        # when the first died holding it.
        _wait_until(lambda: _open_jobs(engine) == 0, "jobs", 120)
        with engine.connect() as connection:
            jobs = connection.execute(
                select(Job.schedule, Job.payload, Job.state, Job.attempts).where(
                    Job.schedule.is_not(None)
                )
            ).all()
        runs: dict[tuple[str, str], int] = {}
        for schedule, payload, _state, _attempts in jobs:
            key = (schedule, json.loads(payload)["due_at"])
            runs[key] = runs.get(key, 0) + 1
        assert {name for name, _due in runs} >= schedules
        assert all(count == 1 for count in runs.values()), runs
        assert {state for *_rest, state, _attempts in jobs} == {"done"}
        retried = [attempts for *_rest, attempts in jobs if attempts > 1]
        assert len(retried) <= 1  # a worker holds one job at a time
    except AssertionError:
        for name in fleet.processes:
            print(f"--- {name} ---\n{fleet.log(name)}")  # shown on failure
        raise
    finally:
        fleet.stop_all()
        engine.dispose()


def _pay(ports: list[int], token: str, reference: str, index: int) -> str:
    """Post one payment until a server acknowledges it, to either server, with one key."""
    body = {
        "reference": reference,
        "amount": 500,
        "channel": "bank",
        "provider_txn_id": f"T{reference}",
        "paid_at": utcnow().isoformat(),
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"scale-{reference}"}
    deadline = time.monotonic() + STARTUP_SECONDS
    attempt = index
    while time.monotonic() < deadline:
        port = ports[attempt % len(ports)]
        attempt += 1
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/payments/payments",
                json=body,
                headers=headers,
                timeout=30,
            )
        except httpx.TransportError:
            time.sleep(0.2)  # that server is down: the other one, or it once it is back
            continue
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["provider_txn_id"])
    raise AssertionError(f"no server acknowledged the payment of {reference}")


def _publish_readings(tag: str, done: threading.Event) -> None:
    """LASS readings of a few devices at QoS 1, paced, each acknowledged by the broker."""
    parts = urlsplit(BROKER)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{tag}-publisher")
    client.max_inflight_messages_set(100)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    start = utcnow().replace(microsecond=0) - timedelta(seconds=READINGS)
    pending = []
    for second in range(READINGS):
        device = f"{tag}{second % 10}"
        when = start + timedelta(seconds=second)
        line = format_line(device, when, {"pm25": float(second % 90)}, 25.03, 121.52)
        pending.append(client.publish(f"LASS/AirBox/{device}", line, qos=1))
        time.sleep(1 / READINGS_PER_SECOND)
    for message in pending:
        message.wait_for_publish(timeout=60)
    client.loop_stop()
    client.disconnect()
    done.set()


def _load_bills(engine: Engine, count: int) -> list[str]:
    due = local_today() + timedelta(days=60)
    numbers = [codes.make_write_off_number(due, serial) for serial in range(count)]
    with engine.begin() as connection:
        connection.execute(insert(Item), catalogue())
        connection.execute(
            insert(Bill),
            [
                {
                    "id": uuid.uuid4(),
                    "write_off_number": number,
                    "virtual_account": codes.make_virtual_account("95270", serial),
                    "item_code": "TWD-FEE01",
                    "department": "TWD",
                    "amount": 500,
                    "paid_amount": 0,
                    "due_date": due,
                    "payer_kind": "plate",
                    "payer_value": "ABC-1234",
                    "description": "",
                    "status": "open",
                    "issued_by": "scale-test",
                    "created_at": utcnow(),
                }
                for serial, number in enumerate(numbers)
            ],
        )
    return numbers


def _every_schedule_due_now(engine: Engine, env: dict[str, str]) -> set[str]:
    """Make every module's schedule due at once, so that both workers race for each."""
    settings = Settings(database_url=env["SMARTCITY_DATABASE_URL"], environment="test")
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    names = {schedule.name for schedule in platform.jobs.schedules}
    platform.db.dispose()
    due = utcnow() - timedelta(minutes=1)
    with engine.begin() as connection:
        connection.execute(
            insert(JobSchedule), [{"name": name, "next_due_at": due} for name in names]
        )
    return names


def _stored_readings(engine: Engine, tag: str) -> tuple[int, int]:
    """(observations of the tagged devices, distinct (datastream, time) pairs among them)."""
    pairs = (
        select(Observation.datastream_id, Observation.phenomenon_ms)
        .join(Datastream, Datastream.id == Observation.datastream_id)
        .join(Thing, Thing.id == Datastream.thing_id)
        .where(Thing.device_id.like(f"{tag}%"))
    )
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(pairs.subquery()))
        distinct = connection.scalar(select(func.count()).select_from(pairs.distinct().subquery()))
    return int(total or 0), int(distinct or 0)


def _open_jobs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running")))
            )
            or 0
        )


def _wait_healthy(port: int) -> None:
    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    _wait_until(healthy, f"the server on port {port}", STARTUP_SECONDS)


def _wait_subscribed(fleet: Fleet, names: list[str]) -> None:
    _wait_until(
        lambda: all("ingesting from" in fleet.log(name) for name in names),
        "the ingesters",
        STARTUP_SECONDS,
    )


def _wait_until(condition: Any, what: str, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(SMARTCITY), *args], env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()
