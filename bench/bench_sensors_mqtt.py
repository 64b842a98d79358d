# ruff: noqa: S603, S607  # the benchmark starts mosquitto, mosquitto_pub and our own CLI
"""MQTT ingestion from Mosquitto into PostgreSQL: sustained messages per second, zero loss.

A private Mosquitto (its own port and config, unlimited queue) and a fresh PostgreSQL database
are started; `smartcity sensors mqtt` runs as its own process; `mosquitto_pub -l -q 1` publishes
the LASS lines. Figures: messages stored per second from the first publish to the last commit,
the publisher's own rate as the reference, messages published vs observations stored, and the
CPU time each part spent per message (the receiving process, its store processes, Mosquitto and
the database's backends; Linux only), which varies much less with the machine's load than the
rate does: with `all` µs per message on 2 free cores the rate cannot exceed 2 / all, nor the
receiving process's 1 / receiver.

Run: `.venv/bin/python bench/bench_sensors_mqtt.py [--devices 2000] [--steps 50] [--batch 20000]`
(needs `mosquitto`, `mosquitto_pub` and PostgreSQL at SMARTCITY_BENCH_DATABASE_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/smartcity_bench_sensors).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from smartcity.core.db import normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.modules.sensors.models import Observation
from smartcity.modules.sensors.simulate import lines, schools

URL = os.environ.get(
    "SMARTCITY_BENCH_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/smartcity_bench_sensors",
)
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fresh_database(url: str) -> None:
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count(Observation.id))).scalar() or 0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in listing.read_text().split()]
    return found


def _cpu_by_role(ingester: int, broker: int, backends: list[int]) -> dict[str, float]:
    """CPU seconds so far of the receiver, its store processes, Mosquitto and our backends."""
    return {
        "receiver": _cpu_seconds(ingester),
        "store": sum(_cpu_seconds(child) for child in _children(ingester)),
        "Mosquitto": _cpu_seconds(broker),
        "PostgreSQL": sum(_cpu_seconds(backend) for backend in backends),
    }


def _top_id(engine) -> int:  # type: ignore[no-untyped-def]
    """The highest observation id: an index look-up (~1 ms), where counting takes ~50 ms."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(Observation.id))).scalar() or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20_000, help="messages per stored batch")
    parser.add_argument("--flush-ms", type=int, default=200)
    parser.add_argument(
        "--store-processes", type=int, default=1, help="0 stores in the receiving process"
    )
    args = parser.parse_args()
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_pub"):
        print("skipped: mosquitto is not installed")
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    port = _free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 65535\n"
    )
    broker = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
    _fresh_database(URL)
    engine = create_engine(normalise_url(URL))
    upgrade(engine, load_manifests(()))
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": URL,
        "SMARTCITY_DATA_DIR": str(folder),
        "SMARTCITY_LOG_REQUESTS": "false",
    }
    ingester = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartcity",
            "sensors",
            "mqtt",
            "--broker",
            f"mqtt://127.0.0.1:{port}",
            "--client-id",
            "bench-ingester",
            "--batch",
            str(args.batch),
            "--flush-ms",
            str(args.flush_ms),
            "--store-processes",
            str(args.store_processes),
            "--no-publish",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        devices = schools(args.devices)
        start = datetime(2024, 11, 2, tzinfo=UTC)
        # Warm-up: every device appears once, so the run measures steady-state ingestion.
        warm = folder / "warm.txt"
        warm.write_text(
            "\n".join(
                line
                for _w, _s, line in lines(
                    devices, start - timedelta(days=1), 1, timedelta(minutes=5)
                )
            )
            + "\n"
        )
        deadline = time.monotonic() + 300
        while _count(engine) < args.devices * 5 and time.monotonic() < deadline:
            with warm.open("rb") as handle:
                subprocess.run(
                    ["mosquitto_pub", "-p", str(port), "-q", "1", "-t", "LASS/AirBox/warm", "-l"],
                    stdin=handle,
                    check=True,
                )
            time.sleep(2)
        baseline = _count(engine)
        assert baseline == args.devices * 5, baseline
        top_id = _top_id(engine)
        text_lines = [
            line for _w, _s, line in lines(devices, start, args.steps, timedelta(minutes=5))
        ]
        # One `mosquitto_pub -l` run per 60,000 lines: past 65,535 messages its 16-bit message
        # ids wrap, it takes an early PUBACK for its last message and disconnects with the
        # rest unsent (seen as ~69,000 of 200,000 arriving, with any ingester).
        payloads = []
        for part in range(0, len(text_lines), 60_000):
            payloads.append(folder / f"lines-{part}.txt")
            payloads[-1].write_text("\n".join(text_lines[part : part + 60_000]) + "\n")
        messages = len(text_lines)
        with engine.connect() as connection:
            backends = list(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
        cpu_before = _cpu_by_role(ingester.pid, broker.pid, backends)
        began = time.perf_counter()
        for payload in payloads:
            with payload.open("rb") as handle:
                subprocess.run(
                    ["mosquitto_pub", "-p", str(port), "-q", "1", "-t", "LASS/AirBox/b", "-l"],
                    stdin=handle,
                    check=True,
                )
        published = time.perf_counter() - began
        expected = baseline + messages * 5
        # Progress is watched by the highest id, not by counting: a count every 0.2 s cost
        # PostgreSQL ~20 % of a core, taken from the ingester on 2 cores. Ids come from one
        # sequence, so all rows are in once the top id has moved by their number (a
        # redelivered duplicate only moves it further); the count then confirms.
        target = top_id + messages * 5
        last = -1
        stalled = time.monotonic()
        while True:
            now = _top_id(engine)
            if now >= target and _count(engine) >= expected:
                break
            if now != last:
                last, stalled = now, time.monotonic()
            elif time.monotonic() - stalled > 30:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        cpu_after = _cpu_by_role(ingester.pid, broker.pid, backends)
        stored = (_count(engine) - baseline) // 5
        print(f"messages published: {messages:,} ({messages * 5:,} observations)")
        print(f"publisher alone: {published:.2f} s = {messages / published:,.0f} msg/s")
        print(
            f"stored in PostgreSQL: {stored:,} messages in {elapsed:.2f} s = "
            f"{stored / elapsed:,.0f} msg/s ({stored * 5 / elapsed:,.0f} obs/s)"
        )
        print(f"ratio to the publisher alone: {stored / elapsed / (messages / published):.3f}")
        print(f"lost: {messages - stored}")
        per_message = {
            role: (cpu_after[role] - cpu_before[role]) / messages * 1e6 for role in cpu_before
        }
        print(
            "CPU per message: "
            + ", ".join(f"{role} {micro:.1f} µs" for role, micro in per_message.items())
            + f"; all {sum(per_message.values()):.1f} µs"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    finally:
        ingester.terminate()
        ingester.wait(30)
        broker.terminate()
        broker.wait(10)
        engine.dispose()


if __name__ == "__main__":
    main()
