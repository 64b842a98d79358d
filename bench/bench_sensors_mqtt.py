# ruff: noqa: S603, S607  # the benchmark starts mosquitto, mosquitto_pub and our own CLI
"""MQTT ingestion rates with zero loss: the stock broker against a wide window, 2 ingesters ÷ 1.

Each run publishes one burst of `--messages` LASS lines (QoS 1, `mosquitto_pub -l`) from devices
already registered, while `smartcity sensors mqtt` runs with its defaults as its own process(es),
and measures messages stored per second from the first publish to the last commit; every run
must store every message (published = stored), or the script fails. The burst stays under what
the stock broker queues for one ingester (16 lanes × `max_queued_messages` 1,000), so that the
stock broker drops nothing and the rate is the ingester's.

- stock → SQLite, stock → PostgreSQL: the machine's Mosquitto exactly as installed
  (`SMARTCITY_BENCH_MQTT_URL`, default mqtt://127.0.0.1:1883; `max_inflight_messages` 20);
- wide → PostgreSQL: a private Mosquitto on another port with `max_inflight_messages 65535`
  and `max_queued_messages 0`; the ratio stock ÷ wide is what the stock window costs;
- 2 shared → PostgreSQL: two ingesters with `--shared`, against the stock broker; ratio ÷ 1.

Run: `.venv/bin/python bench/bench_sensors_mqtt.py [--messages 15000] [--devices 500]`
(needs `mosquitto`, `mosquitto_pub` and PostgreSQL at SMARTCITY_BENCH_DATABASE_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/smartcity_bench_sensors).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from smartcity.core.db import normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.modules.sensors.models import Observation
from smartcity.modules.sensors.mqtt import LANES, _client, broker_address
from smartcity.modules.sensors.simulate import lines, schools

POSTGRES = os.environ.get(
    "SMARTCITY_BENCH_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/smartcity_bench_sensors",
)
STOCK = os.environ.get("SMARTCITY_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fresh_database(url: str, folder: Path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{folder / 'bench.db'}"
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count(Observation.id))).scalar() or 0)


def _publish(broker: str, path: Path) -> None:
    host, port = broker_address(broker)
    with path.open("rb") as handle:
        subprocess.run(
            ["mosquitto_pub", "-h", host, "-p", str(port), "-q", "1", "-t", "LASS/AirBox/b", "-l"],
            stdin=handle,
            check=True,
        )


def _forget(broker: str, client_ids: list[str]) -> None:
    host, port = broker_address(broker)
    for client_id in client_ids:
        for lane in (client_id, *(f"{client_id}.{n}" for n in range(1, LANES))):
            client = _client(lane, persistent=False)
            client.connect(host, port)  # a clean session: the broker forgets the old one
            client.disconnect()


@contextmanager
def _wide_broker(folder: Path) -> Iterator[str]:
    port = _free_port()
    config = folder / "wide.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 65535\n"
    )
    broker = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)


def run(label: str, broker: str, database: str, ingesters: int, args: argparse.Namespace) -> float:
    """Messages stored per second by `ingesters` processes; fails unless every one is stored."""
    folder = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    url = _fresh_database(database, folder)
    engine = create_engine(normalise_url(url))
    upgrade(engine, load_manifests(()))
    tag = secrets.token_hex(3)
    client_id = f"bench-{tag}"
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": url,
        "SMARTCITY_DATA_DIR": str(folder),
        "SMARTCITY_LOG_REQUESTS": "false",
        "SMARTCITY_SENSORS_MQTT_CLIENT_ID": client_id,
    }
    shared = ["--shared", tag] if ingesters > 1 else []
    command = [sys.executable, "-m", "smartcity", "sensors", "mqtt", "--broker", broker]
    processes = [
        subprocess.Popen(
            [*command, *shared],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(ingesters)
    ]
    host = socket.gethostname()
    sessions = [f"{client_id}-{tag}-{host}-{n}" for n in range(1, 3)] if shared else [client_id]
    try:
        devices = schools(args.devices)
        start = datetime(2024, 11, 2, tzinfo=UTC)
        warm = folder / "warm.txt"
        warm.write_text(
            "\n".join(
                line for _w, _s, line in lines(devices, start - timedelta(days=1), 1, timedelta(1))
            )
            + "\n"
        )
        deadline = time.monotonic() + 300
        while _count(engine) < args.devices * 5:  # every device registered, every lane ready
            assert time.monotonic() < deadline, f"{label}: the ingesters never stored the warm-up"
            _publish(broker, warm)
            time.sleep(3)
        baseline = _count(engine)
        steps = args.messages // args.devices
        burst = folder / "burst.txt"
        burst.write_text(
            "\n".join(line for _w, _s, line in lines(devices, start, steps, timedelta(minutes=5)))
            + "\n"
        )
        messages = steps * args.devices
        expected = baseline + messages * 5
        began = time.perf_counter()
        _publish(broker, burst)
        last, stalled = -1, time.monotonic()
        while (now := _count(engine)) < expected:
            if now != last:
                last, stalled = now, time.monotonic()
            elif time.monotonic() - stalled > 30:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - began
        stored = (_count(engine) - baseline) // 5
        rate = stored / elapsed
        print(
            f"{label}: {stored:,} of {messages:,} messages stored in {elapsed:.2f} s = "
            f"{rate:,.0f} msg/s ({rate * 5:,.0f} observations/s)",
            flush=True,
        )
        if stored != messages:
            raise SystemExit(f"{label}: {messages - stored} messages lost")
        return rate
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        _forget(broker, sessions)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=15_000)
    parser.add_argument("--devices", type=int, default=500)
    args = parser.parse_args()
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_pub"):
        print("skipped: mosquitto is not installed")
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    sqlite = run("stock → SQLite", STOCK, "sqlite", 1, args)
    stock = run("stock → PostgreSQL", STOCK, POSTGRES, 1, args)
    with _wide_broker(folder) as wide_url:
        wide = run("wide → PostgreSQL", wide_url, POSTGRES, 1, args)
    two = run("2 shared → PostgreSQL", STOCK, POSTGRES, 2, args)
    print(f"stock ÷ wide window (PostgreSQL): {stock / wide:.2f}")
    print(f"SQLite ÷ PostgreSQL (stock): {sqlite / stock:.2f}")
    print(f"2 shared ingesters ÷ 1 (stock, PostgreSQL): {two / stock:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
