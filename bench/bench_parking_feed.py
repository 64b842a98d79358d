# the benchmark starts our own CLI
"""Whole-city availability feed under concurrent readers, while bays change at peak-hour turnover.

A fresh database holds `--bays` roadside bays (47,000: Taipei's paid roadside bays) in segments
of `--per-segment`; `smartcity serve` (one process, no job worker) serves it on `--port`. A
writer moves random bays free ↔ occupied at peak-hour turnover (`--turnover` changes per bay per
hour, committed in batches every 0.5 s, as the parking job applies uplinks), and `N` reader
threads each fetch `GET /api/v1/parking/availability` (the whole city, TDX's shape) as fast as
they are answered for `--seconds`. Printed per N: requests, p50 and p99 latency, requests per
second; then p99 at the most readers ÷ p99 at one reader, in the same run.

Run: `nice -n 10 .venv/bin/python bench/bench_parking_feed.py [--bays 47000] [--readers 1,8,32]`
(SQLite in a temporary folder unless `--database` names another URL).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from served import start_without_worker, wait_until_healthy
from sqlalchemy import create_engine, insert, update
from sqlalchemy.engine import Engine

from smartcity.core.db import normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.modules.parking.models import Bay, FeedState, Segment


def populate(engine: Engine, bays: int, per_segment: int) -> list[uuid.UUID]:
    """Segments and bays around Taipei, each bay free or occupied; the bays' ids."""
    rng = random.Random(47)  # synthetic bays, not a secret
    now = datetime.now(UTC)
    segment_rows, bay_rows = [], []
    for number in range((bays + per_segment - 1) // per_segment):
        segment_id = uuid.uuid4()
        segment_rows.append(
            {"id": segment_id, "code": f"S{number:05d}", "name": f"測試路{number}段",
             "name_en": f"Test Road Sec. {number}", "district": None, "department": "PMO",
             "fee_item": "PMO-FEE01", "tariff": {"per_hour": 40}, "geometry": None,
             "created_at": now}
        )  # fmt: skip
        lat, lon = 25.0 + rng.uniform(0, 0.1), 121.5 + rng.uniform(0, 0.1)
        for index in range(min(per_segment, bays - number * per_segment)):
            bay_rows.append(
                {"id": uuid.uuid4(), "code": f"S{number:05d}-{index:03d}",
                 "segment_id": segment_id, "kind": "car", "latitude": lat + index * 1e-5,
                 "longitude": lon, "dev_eui": f"{number:08x}{index:08x}",
                 "sensor_model": "nwave-nps405",
                 "status": "occupied" if rng.random() < 0.7 else "free",
                 "status_since": now, "observed_at": now, "heard_at": now}
            )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Segment), segment_rows)
        for start in range(0, len(bay_rows), 5000):
            connection.execute(insert(Bay), bay_rows[start : start + 5000])
    return [row["id"] for row in bay_rows]


def turnover(engine: Engine, ids: list[uuid.UUID], per_hour: float, stop: threading.Event) -> None:
    """Flip random bays at `per_hour` changes per bay per hour, a batch every half second."""
    rng = random.Random(7)  # synthetic turnover
    per_batch = max(1, round(len(ids) * per_hour / 3600 / 2))
    while not stop.wait(0.5):
        now = datetime.now(UTC)
        with engine.begin() as connection:
            for bay in rng.sample(ids, per_batch):
                status = "free" if rng.random() < 0.5 else "occupied"
                connection.execute(
                    update(Bay)
                    .where(Bay.id == bay)
                    .values(status=status, status_since=now, observed_at=now, heard_at=now)
                )
            # As the parking job does: the feeds changed, their cached bytes are stale.
            connection.execute(update(FeedState).values(version=FeedState.version + 1))


def read(url: str, seconds: float, readers: int) -> list[float]:
    """Latencies (s) of `readers` threads fetching the feed for `seconds`."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def reader() -> None:
        mine = []
        with httpx.Client(base_url=url, timeout=60) as client:
            while time.monotonic() < deadline:
                began = time.perf_counter()
                answer = client.get("/api/v1/parking/availability")
                answer.raise_for_status()
                mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bays", type=int, default=47_000)
    parser.add_argument("--per-segment", type=int, default=40)
    parser.add_argument("--turnover", type=float, default=2.0)
    parser.add_argument("--readers", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-parking-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    engine = create_engine(normalise_url(url))
    upgrade(engine, load_manifests(()))
    began = time.perf_counter()
    ids = populate(engine, args.bays, args.per_segment)
    print(f"{len(ids):,} bays in {len(ids) // args.per_segment:,} segments "
          f"({time.perf_counter() - began:.1f} s); load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores", flush=True)  # fmt: skip
    server = start_without_worker(url, folder, args.port)
    base = f"http://127.0.0.1:{args.port}"
    stop = threading.Event()
    writer = threading.Thread(target=turnover, args=(engine, ids, args.turnover, stop))
    try:
        wait_until_healthy(base, 120)
        answer = httpx.get(f"{base}/api/v1/parking/availability", timeout=60)
        rows = answer.json()["CurbParkingSegmentAvailabilities"]
        total = sum(r["TotalSpaces"] for r in rows)
        print(f"feed: {len(rows):,} segments, {total:,} bays, {len(answer.content):,} bytes")
        writer.start()
        p99s = {}
        for readers in [int(n) for n in args.readers.split(",")]:
            latencies = sorted(read(base, args.seconds, readers))
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            p99s[readers] = p99
            print(f"{readers:>3} readers: {len(latencies):,} requests, "
                  f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                  f"{len(latencies) / args.seconds:.1f} req/s", flush=True)  # fmt: skip
        most, one = max(p99s), min(p99s)
        print(f"p99 at {most} readers ÷ p99 at {one}: {p99s[most] / p99s[one]:.2f}")
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
        server.terminate()
        server.wait(30)
        engine.dispose()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
