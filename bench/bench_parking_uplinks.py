# ruff: noqa: S603, S607  # the benchmark starts mosquitto_pub and our own CLI
"""Uplink → availability visible, and uplinks stored per second ÷ LASS, through the real broker.

A fresh database holds `--bays` sensed roadside bays (47,000: Taipei's paid roadside bays) in
segments of `--per-segment`, made by parking's own service (each sensor registered in the hub),
and `--lass` LASS devices. `smartcity serve` (with its job worker, which applies uplinks to the
bays) and `smartcity sensors mqtt` (its defaults) run as their own processes against the
machine's Mosquitto as installed (`--broker`, default mqtt://127.0.0.1:1883).

1. Ingest rate, same run: the first status uplink of `--burst` bays, then `--burst` LASS
   messages, each burst published by `mosquitto_pub -l -q 1` on one topic; rate = messages
   stored ÷ time from the first publish to the last commit (every message must be stored).
   The uplinks' time until parking has applied them to the bays is printed too.
2. Latency: for `--seconds`, bays change at `--rate` uplinks a second (peak-hour turnover:
   `--turnover` status changes per bay per hour plus an hourly heartbeat; ChirpStack v4 topics
   per device), while `--probes` threads in turn flip a bay kept for probing and poll
   `GET /api/v1/parking/bays/{code}` every 20 ms until it shows the change, or publish a LASS
   reading and poll its Datastream's newest Observation in the SensorThings API (the in-run
   reference). A listener on the broker times each probe's broker round-trip too.

Run: `nice -n 10 .venv/bin/python bench/bench_parking_uplinks.py [--bays 47000] [--seconds 60]`
(SQLite in a temporary folder unless `--database-url` names a PostgreSQL database, which is
dropped and made again).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from served import wait_until_healthy
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url

from smartcity.app import build_platform
from smartcity.core.auth import system_actor
from smartcity.core.db import normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.settings import Settings
from smartcity.modules.parking import service
from smartcity.modules.parking.models import Bay, Segment
from smartcity.modules.parking.schemas import SegmentIn
from smartcity.modules.parking.simulate import heartbeat_frame, status_frame, uplink
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item
from smartcity.modules.sensors.models import (
    Datastream,
    Location,
    Observation,
    Thing,
    ThingLocation,
)
from smartcity.modules.sensors.mqtt import LANES, _client, broker_address
from smartcity.modules.sensors.simulate import lines, schools

ROOT = Path(__file__).resolve().parents[1]
MODEL = "nwave-nps405"
PROBE_BAYS = 200
"""Bays only the probes move, so that the background never changes one under a probe."""


def fresh_database(url: str, folder: Path) -> str:
    """The database to use: a new SQLite file, or the named PostgreSQL database made anew."""
    if not url:
        return f"sqlite:///{folder / 'bench.db'}"
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def populate(bays: int, per_segment: int) -> list[tuple[str, str]]:
    """Sensed bays in segments; (bay code, dev EUI) of each.

    The first segment is made by parking's service (its sensors registered in the hub, as
    in production); the others copy its rows in bulk with their own codes, dev EUIs and
    places, since 47,000 registrations one by one would take the bench's whole budget.
    """
    platform = build_platform(Settings(_env_file=None))
    upgrade(platform.db.engine, platform.modules)
    with platform.unit_of_work(system_actor("bench")) as uow:
        uow.session.execute(insert(Item), catalogue())
        template = SegmentIn.model_validate(
            {"code": "S00000", "name": "測試路0段", "name_en": "Test Road Sec. 0",
             "department": "PMO", "tariff": {"per_hour": 40},
             "bays": [{"code": f"S00000-{i:03d}", "lat": 25.03 + i * 1e-5, "lon": 121.5,
                       "dev_eui": f"70b3{0:06x}{i:06x}", "sensor_model": MODEL}
                      for i in range(min(per_segment, bays))]}
        )  # fmt: skip
        service.create_segment(uow, template, service.settings_of(platform))
    made = [(b.code, str(b.dev_eui)) for b in template.bays]
    engine = platform.db.engine
    with engine.begin() as connection:
        segment = dict(connection.execute(select(Segment.__table__)).mappings().one())
        bay = dict(connection.execute(select(Bay.__table__).limit(1)).mappings().one())
        thing = dict(connection.execute(select(Thing.__table__).limit(1)).mappings().one())
        place = dict(connection.execute(select(Location.__table__).limit(1)).mappings().one())
        streams = [
            dict(row)
            for row in connection.execute(
                select(Datastream.__table__).where(Datastream.thing_id == thing["id"])
            ).mappings()
        ]
        next_thing = int(connection.execute(select(func.max(Thing.id))).scalar() or 0) + 1
        next_place = int(connection.execute(select(func.max(Location.id))).scalar() or 0) + 1
        next_stream = int(connection.execute(select(func.max(Datastream.id))).scalar() or 0) + 1
    rng = random.Random(47)  # synthetic bays, not a secret
    rows: dict[str, list[dict[str, object]]] = {
        "segments": [], "bays": [], "things": [], "places": [], "links": [], "streams": []
    }  # fmt: skip
    for number in range(1, (bays + per_segment - 1) // per_segment):
        segment_id = uuid.uuid4()
        rows["segments"].append({**segment, "id": segment_id, "code": f"S{number:05d}",
                                 "name": f"測試路{number}段",
                                 "name_en": f"Test Road Sec. {number}"})  # fmt: skip
        lat, lon = 25.03 + rng.uniform(0, 0.06), 121.50 + rng.uniform(0, 0.07)
        for index in range(min(per_segment, bays - number * per_segment)):
            code, eui = f"S{number:05d}-{index:03d}", f"70b3{number:06x}{index:06x}"
            at = (lat + index * 1e-5, lon)
            made.append((code, eui))
            rows["bays"].append({**bay, "id": uuid.uuid4(), "code": code, "dev_eui": eui,
                                 "segment_id": segment_id, "latitude": at[0],
                                 "longitude": at[1]})  # fmt: skip
            properties = {**thing["properties"], "device_id": eui}
            rows["things"].append({**thing, "id": next_thing, "device_id": eui,
                                   "name": f"測試路{number}段 {code}",
                                   "description": f"LoRaWAN device {eui}",
                                   "properties": properties})  # fmt: skip
            rows["places"].append({**place, "id": next_place, "latitude": at[0],
                                   "longitude": at[1], "location": {"type": "Point",
                                   "coordinates": [at[1], at[0]]}})  # fmt: skip
            rows["links"].append({"thing_id": next_thing, "location_id": next_place})
            for stream in streams:
                rows["streams"].append({**stream, "id": next_stream, "thing_id": next_thing})
                next_stream += 1
            next_thing += 1
            next_place += 1
    tables = {"segments": Segment, "bays": Bay, "things": Thing, "places": Location,
              "links": ThingLocation, "streams": Datastream}  # fmt: skip
    with engine.begin() as connection:
        for name, model in tables.items():
            for first in range(0, len(rows[name]), 5000):
                connection.execute(insert(model), rows[name][first : first + 5000])
        if connection.dialect.name == "postgresql":  # ids given above: move the sequences on
            for table in ("sensors_things", "sensors_locations", "sensors_datastreams"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # our table names
                    f"(SELECT max(id) FROM {table}))"))  # fmt: skip
    platform.db.dispose()
    return made


class Broker:
    """One publishing connection, and a listener that notes when each probe topic arrives."""

    def __init__(self, url: str, tag: str) -> None:
        self.host, self.port = broker_address(url)
        self.tag = tag
        self.publisher = _client(f"bench-pub-{tag}", persistent=False)
        self.publisher.max_inflight_messages_set(1000)
        self.publisher.connect(self.host, self.port)
        self.publisher.loop_start()
        self.arrived: dict[str, float] = {}
        self.listener = _client(f"bench-listen-{tag}", persistent=False)
        self.listener.on_message = self._heard
        self.listener.connect(self.host, self.port)
        self.listener.subscribe(f"application/probe-{tag}/device/+/event/up", qos=0)
        self.listener.subscribe(f"LASS/AirBox/probe-{tag}", qos=0)
        self.listener.loop_start()

    def _heard(self, _client: object, _userdata: object, message: object) -> None:
        self.arrived[message.payload.decode()] = time.perf_counter()  # type: ignore[attr-defined]

    def publish(self, topic: str, payload: bytes) -> None:
        self.publisher.publish(topic, payload, qos=1)

    def close(self) -> None:
        for client in (self.publisher, self.listener):
            client.loop_stop()
            client.disconnect()


def burst(broker: Broker, topic: str, payloads: list[bytes], folder: Path) -> None:
    """Publish `payloads` as fast as `mosquitto_pub -l -q 1` sends lines."""
    path = folder / "burst.txt"
    path.write_bytes(b"\n".join(payloads) + b"\n")
    with path.open("rb") as handle:
        subprocess.run(
            ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", "1", "-t", topic,
             "-l"], stdin=handle, check=True,
        )  # fmt: skip


def observations(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count(Observation.id))).scalar() or 0)


def stored_rate(label: str, engine: Engine, expected_new: int, send: Callable[[], None]) -> float:
    """Messages stored a second while `send` publishes them; fails unless all are stored."""
    baseline = observations(engine)
    began = time.perf_counter()
    send()
    last, stalled = -1, time.monotonic()
    while (now := observations(engine)) < baseline + expected_new:
        if now != last:
            last, stalled = now, time.monotonic()
        elif time.monotonic() - stalled > 30:
            raise SystemExit(f"{label}: {baseline + expected_new - now} observations lost")
        time.sleep(0.05)
    return time.perf_counter() - began


def chirpstack(eui: str, at: datetime, occupied: bool, frame: int, app: str) -> tuple[str, bytes]:
    topic, body = uplink(eui, at, 1, status_frame(MODEL, occupied), frame)
    return topic.replace("/simulator/", f"/{app}/"), body


def background(
    broker: Broker, bays: list[tuple[str, str]], rate: float, turnover: float, stop: threading.Event
) -> int:
    """Peak-hour turnover: status changes and heartbeats at `rate` uplinks a second."""
    rng = random.Random(7)  # synthetic turnover
    state = {eui: False for _code, eui in bays}
    frames = dict.fromkeys(state, 1)
    heartbeat_share = 1 / (turnover + 1)  # one heartbeat an hour beside `turnover` changes
    sent, began = 0, time.perf_counter()
    while not stop.wait(0.05):
        due = int((time.perf_counter() - began) * rate) - sent
        for _ in range(max(due, 0)):
            _code, eui = rng.choice(bays)
            frames[eui] += 1
            now = datetime.now(UTC)
            if rng.random() < heartbeat_share:
                frame = heartbeat_frame(MODEL, state[eui], 3.6, 25.0, 0)
                topic, body = uplink(eui, now, 2, frame, frames[eui])
            else:
                state[eui] = not state[eui]
                topic, body = uplink(eui, now, 1, status_frame(MODEL, state[eui]), frames[eui])
            broker.publish(topic, body)
            sent += 1
    return sent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no samples"
    ms = [v * 1000 for v in values]
    return (f"{label}: n={len(ms)}, p50 {statistics.median(ms):.0f} ms, "
            f"p95 {percentile(ms, 0.95):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, "
            f"max {max(ms):.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bays", type=int, default=47_000)
    parser.add_argument("--per-segment", type=int, default=40)
    parser.add_argument("--turnover", type=float, default=4.0,
                        help="status changes per bay per hour at the peak (two stays)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=0.0,
                        help="uplinks a second; 0: bays × (turnover + 1) ÷ 3600")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--probes", type=int, default=4)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--lass", type=int, default=500)
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    rate = args.rate or args.bays * (args.turnover + 1) / 3600
    folder = Path(tempfile.mkdtemp(prefix="bench-parking-uplinks-"))
    url = fresh_database(args.database_url, folder)
    tag = secrets.token_hex(3)
    client_id = f"bench-parking-{tag}"
    env = {**os.environ, "SMARTCITY_DATABASE_URL": url, "SMARTCITY_DATA_DIR": str(folder),
           "SMARTCITY_LOG_REQUESTS": "false",
           "SMARTCITY_SENSORS_MQTT_CLIENT_ID": client_id}  # fmt: skip
    os.environ.update(env)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    began = time.perf_counter()
    bays = populate(args.bays, args.per_segment)
    print(f"{len(bays):,} sensed bays in {(len(bays) + args.per_segment - 1) // args.per_segment:,}"
          f" segments ({time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
    engine = create_engine(normalise_url(url))
    commands = {
        "serve": [sys.executable, "-m", "smartcity", "serve", "--port", str(args.port)],
        "mqtt": [sys.executable, "-m", "smartcity", "sensors", "mqtt", "--broker", args.broker],
    }
    logs = {name: (folder / f"{name}.log").open("wb") for name in commands}
    print(f"the server's and the ingester's logs: {folder}", flush=True)
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=logs[name])
        for name, command in commands.items()
    ]
    broker = Broker(args.broker, tag)
    base = f"http://127.0.0.1:{args.port}"
    stop = threading.Event()
    try:
        wait_until_healthy(base, 120)
        devices = schools(args.lass)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        warm = [line.encode() for _w, _s, line in lines(devices, start, 1, timedelta(minutes=5))]
        deadline = time.monotonic() + 120
        while observations(engine) < args.lass * 5:  # every LASS device known, every lane up
            assert time.monotonic() < deadline, "the ingester never stored the warm-up"
            burst(broker, "LASS/AirBox/bench", warm, folder)
            time.sleep(2)
        first = [chirpstack(eui, start, False, 1, "bench")[1] for _code, eui in bays[: args.burst]]
        sent_at = time.perf_counter()
        seconds = stored_rate("uplinks", engine, len(first), lambda: burst(
            broker, "application/bench/device/any/event/up", first, folder))  # fmt: skip
        uplink_rate = len(first) / seconds
        print(f"uplinks decoded and stored: {len(first):,} in {seconds:.2f} s = "
              f"{uplink_rate:,.0f} uplinks/s", flush=True)  # fmt: skip
        # Every one of them must have reached parking before anything else is measured.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                known = int(
                    connection.execute(select(func.count()).where(Bay.status != "unknown")).scalar()
                    or 0
                )
            if known == len(first):
                break
            time.sleep(0.2)
        applied = time.perf_counter() - sent_at
        print(f"… and applied to {known:,} bays {applied:.2f} s after the first publish = "
              f"{known / applied:,.0f} uplinks/s", flush=True)  # fmt: skip
        steps = max(1, args.burst // args.lass)
        later = start + timedelta(minutes=10)
        every = timedelta(minutes=1)
        lass = [line.encode() for _w, _s, line in lines(devices, later, steps, every)]
        seconds = stored_rate("LASS", engine, len(lass) * 5, lambda: burst(
            broker, "LASS/AirBox/bench", lass, folder))  # fmt: skip
        lass_rate = len(lass) / seconds
        print(f"LASS messages stored: {len(lass):,} in {seconds:.2f} s = {lass_rate:,.0f} msg/s",
              flush=True)  # fmt: skip
        print(f"uplinks stored ÷ LASS messages stored, same run: {uplink_rate / lass_rate:.2f}",
              flush=True)  # fmt: skip
        with engine.connect() as connection:
            streams: dict[str, int] = dict(
                connection.execute(
                    select(Thing.device_id, Datastream.id)
                    .join(Datastream, Datastream.thing_id == Thing.id)
                    .where(Datastream.quantity == "pm25")
                ).all()
            )
        probe_bays, busy = bays[-PROBE_BAYS:], bays[:-PROBE_BAYS]
        results: dict[str, list[float]] = {"bay": [], "lass": [], "bay broker": [],
                                           "lass broker": []}  # fmt: skip
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def probe(number: int) -> None:
            rng = random.Random(number)  # which bay, which device: not a secret
            frames: dict[str, int] = {}
            occupied: dict[str, bool] = {}
            with httpx.Client(base_url=base, timeout=30) as client:
                turn = number
                while time.monotonic() < deadline:
                    turn += 1
                    seen: Callable[[], bool]
                    at = datetime.now(UTC)
                    if turn % 2:
                        code, eui = probe_bays[rng.randrange(number, PROBE_BAYS, args.probes)]
                        frames[eui] = frames.get(eui, 1) + 1
                        occupied[eui] = not occupied.get(eui, False)
                        topic, body = chirpstack(eui, at, occupied[eui], frames[eui],
                                                 f"probe-{tag}")  # fmt: skip
                        want = "occupied" if occupied[eui] else "free"

                        def bay_seen(
                            c: httpx.Client = client,
                            code: str = code,
                            want: str = want,
                            at: datetime = at,
                        ) -> bool:
                            bay = c.get(f"/api/v1/parking/bays/{code}").json()
                            since = datetime.fromisoformat(bay["since"] or "1970-01-01T00:00Z")
                            return bay["status"] == want and since >= at - timedelta(seconds=1)

                        seen, kind = bay_seen, "bay"
                    else:
                        school = rng.choice(devices)
                        at = at.replace(microsecond=0) + timedelta(seconds=1)
                        _w, _s, line = next(lines([school], at, 1, timedelta(seconds=1)))
                        topic, body = f"LASS/AirBox/probe-{tag}", line.encode()
                        path = (
                            f"/sta/v1.1/Datastreams({streams[school.device_id]})/Observations"
                            "?$top=1&$orderby=phenomenonTime desc&$select=phenomenonTime"
                        )

                        def lass_seen(
                            c: httpx.Client = client, path: str = path, at: datetime = at
                        ) -> bool:
                            found = c.get(path).json()["value"]
                            return (
                                bool(found)
                                and datetime.fromisoformat(found[0]["phenomenonTime"].split("/")[0])
                                >= at
                            )

                        seen, kind = lass_seen, "lass"
                    sent = time.perf_counter()
                    broker.publish(topic, body)
                    while not seen() and time.perf_counter() - sent < 30:
                        time.sleep(0.02)
                    visible = time.perf_counter() - sent
                    heard = broker.arrived.pop(body.decode(), None)
                    with lock:
                        results[kind].append(visible)
                        if heard is not None:
                            results[f"{kind} broker"].append(heard - sent)
                    time.sleep(rng.uniform(0.1, 0.4))

        writer_sent: list[int] = []
        writer = threading.Thread(
            target=lambda: writer_sent.append(background(broker, busy, rate, args.turnover, stop))
        )
        writer.start()
        print(f"background: {rate:.0f} uplinks/s over {len(busy):,} bays; probing "
              f"{args.seconds:.0f} s with {args.probes} threads", flush=True)  # fmt: skip
        threads = [threading.Thread(target=probe, args=(n,)) for n in range(args.probes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        writer.join()
        print(f"background sent {writer_sent[0]:,} uplinks "
              f"({writer_sent[0] / args.seconds:.0f}/s)")  # fmt: skip
        for label, values in results.items():
            print(report(f"{label} → visible" if "broker" not in label else label, values))
        bay_p95, lass_p95 = percentile(results["bay"], 0.95), percentile(results["lass"], 0.95)
        print(f"uplink → bay visible p95 ÷ LASS → SensorThings visible p95: "
              f"{bay_p95 / lass_p95:.2f}")  # fmt: skip
    finally:
        stop.set()
        broker.close()
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        # The ingester's persistent sessions would keep queueing for nobody: forget them.
        for lane in (client_id, *(f"{client_id}.{n}" for n in range(1, LANES))):
            forget = _client(lane, persistent=False)
            forget.connect(broker.host, broker.port)
            forget.disconnect()
        engine.dispose()
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
