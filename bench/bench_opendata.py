"""opendata at scale (issue 18): package_search, datastore_search and a full harvest, on PostgreSQL.

Three figures, each a ratio against a reference measured in the same run on the same database
(the two searches' calls interleaved with their references', alternating which goes first, so
that the load of a shared machine hits both; p50 and p99 of each):

- `package_search` p99 over a generated catalogue (`--datasets`, 10,000: 5% private, 2% drafts)
  with `q`, `fq`, `sort` and three facets, ÷ the p99 of the same search written as SQL
  (count, page and facets; the counts are checked equal);
- `datastore_search` p99 over the Airbox readings' live table (`--rows` readings, 10 million,
  generated server-side into the partitioned `sensors_observations`) with a filter on one
  device and quantity and a sort on time, ÷ the p99 of the same query written as SQL;
- a full harvest of the catalogue by a second instance (served over HTTP by uvicorn on
  `--port`) ÷ the time the first instance takes to serialise the same datasets locally
  (`package_search` pages of 1,000 and `json.dumps`).

PostgreSQL is the database the DataStore uses at this scale (SQLite stays the default for a
small city); the catalogue and the second instance use two databases on the same server,
`--database` and `--database`_b, both wiped and migrated at the start.

Run: `nice -n 10 .venv/bin/python bench/bench_opendata.py --rows 10000000`
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
from sqlalchemy import insert, text

from smartcity.app import build_platform, create_app
from smartcity.core.auth import ANONYMOUS, system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.migrate import upgrade
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.opendata import service
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.sensors.ingest import ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.runtime import registry_of
from smartcity.modules.sensors.simulate import lines, schools
from smartcity.modules.sensors.storage import store_for

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEPARTMENTS = ("DEP", "DOT", "DOF", "DCA", "DOIT", "SCPMO", "DOH", "DOE", "DUD", "DSW")
WORDS = ("air", "parking", "bus", "water", "school", "budget", "noise", "traffic", "park", "fee")
GROUPS = ("environment", "transport", "finance", "participation", "innovation", "governance")
FORMATS = ("CSV", "JSON", "GeoJSON", "API")
SEARCH = {
    "q": "air",
    "fq": "organization:dep",
    "sort": "metadata_modified desc",
    "rows": 20,
    "facet.field": '["organization", "tags", "res_format"]',
}
# The same search as SQL: visible datasets whose text holds "air", of DEP, newest first.
MATCHES = """
FROM opendata_datasets d
WHERE d.state = 'active' AND NOT d.private AND d.organization = 'DEP'
  AND lower(d.name || ' ' || d.title || ' ' || d.title_en || ' ' || d.notes || ' ' || d.notes_en
            || ' ' || d.organization || ' ' || d.tags::text) LIKE '%air%'
"""
TAGGED = MATCHES.replace(
    "FROM opendata_datasets d",
    "FROM opendata_datasets d CROSS JOIN LATERAL json_array_elements_text(d.tags) t(tag)",
)
FORMATTED = MATCHES.replace("WHERE", "JOIN opendata_resources r ON r.dataset_id = d.id WHERE")
# Constant SQL made of the constants above: nothing from outside reaches it.
SEARCH_SQL = (
    f"SELECT count(*) {MATCHES}",
    "SELECT d.*, (SELECT json_agg(r ORDER BY r.position) FROM opendata_resources r"  # noqa: S608
    f" WHERE r.dataset_id = d.id) {MATCHES} ORDER BY d.modified_at DESC LIMIT 20",
    f"SELECT lower(d.organization), count(*) {MATCHES} GROUP BY 1",
    f"SELECT t.tag, count(*) {TAGGED} GROUP BY 1",
    f"SELECT r.format, count(DISTINCT d.id) {FORMATTED} AND r.format <> '' GROUP BY 1",
)
READINGS_SQL = (
    "SELECT o.id, t.device_id, d.quantity, o.phenomenon_ms, o.result_number"
    " FROM sensors_observations o JOIN sensors_datastreams d ON d.id = o.datastream_id"
    " JOIN sensors_things t ON t.id = d.thing_id"
    " WHERE t.kind = 'airbox' AND d.quantity IS NOT NULL AND t.device_id = %s"
    " AND d.quantity = %s ORDER BY o.phenomenon_ms DESC LIMIT 100",
    "SELECT count(*) FROM sensors_observations o"
    " JOIN sensors_datastreams d ON d.id = o.datastream_id"
    " JOIN sensors_things t ON t.id = d.thing_id"
    " WHERE t.kind = 'airbox' AND d.quantity IS NOT NULL AND t.device_id = %s"
    " AND d.quantity = %s",
)


Figures = tuple[float, float, float, float]
"""p50 and p99 of ours, p50 and p99 of the reference, in seconds."""


def interleaved(calls: int, ours: Callable[[int], Any], reference: Callable[[int], Any]) -> Figures:
    """Both run call after call, alternating which goes first, so load spikes hit both."""
    for number in range(5):  # warm both
        ours(number), reference(number)
    times: tuple[list[float], list[float]] = ([], [])
    for number in range(calls):
        pair = (ours, reference) if number % 2 == 0 else (reference, ours)
        for run in pair:
            began = time.perf_counter()
            run(number)
            times[run is reference].append(time.perf_counter() - began)
    mine, theirs = (statistics.quantiles(found, n=100) for found in times)
    return mine[49], mine[98], theirs[49], theirs[98]


def show(name: str, figures: Figures) -> None:
    p50, p99, ref50, ref99 = (value * 1000 for value in figures)
    print(
        f"{name}: p50 {p50:.1f} ms ÷ SQL p50 {ref50:.1f} ms = {p50 / ref50:.2f};"
        f" p99 {p99:.1f} ms ÷ SQL p99 {ref99:.1f} ms = {p99 / ref99:.2f}"
    )


def fresh_platform(database: str, folder: Path, port: int) -> Platform:
    """A platform on `database`, made anew (created when the server has none of that name)."""
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{database}"')
    settings = Settings(
        database_url=f"{SERVER}/{database}",
        data_dir=folder / database,
        log_requests=False,
        base_url=f"http://127.0.0.1:{port}",
        outbound_allow_private=True,
    )
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    upgrade(platform.db.engine, platform.modules)
    return platform


def generate_catalogue(platform: Platform, count: int) -> None:
    rng = random.Random(18)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    datasets, resources = [], []
    for number in range(count):
        dataset_id = uuid.uuid4()
        words = rng.sample(WORDS, 3)
        state = "draft" if rng.random() < 0.02 else "active"
        datasets.append(
            {
                "id": dataset_id,
                "name": f"{words[0]}-{number:05d}",
                "origin": "staff",
                "organization": rng.choice(DEPARTMENTS),
                "title": f"資料集 {number} {words[0]}",
                "title_en": f"Dataset {number} on {words[0]}",
                "notes": f"關於 {words[1]} 的資料",
                "notes_en": f"Records about {words[1]} and {words[2]}",
                "tags": words,
                "groups": [rng.choice(GROUPS)],
                "license_id": "GODL-1.0",
                "frequency": rng.choice(("daily", "monthly", "irregular")),
                "private": rng.random() < 0.05,
                "state": state,
                "created_at": now - timedelta(days=rng.randrange(1000)),
                "modified_at": now - timedelta(minutes=rng.randrange(100_000)),
            }
        )
        for position in range(rng.randint(1, 3)):
            resources.append(
                {
                    "id": uuid.uuid4(),
                    "dataset_id": dataset_id,
                    "position": position,
                    "name": f"part {position}",
                    "format": rng.choice(FORMATS),
                    "url": f"https://example.org/{number}/{position}",
                    "created_at": now,
                    "modified_at": now,
                }
            )
    with platform.unit_of_work(system_actor("bench")) as uow:
        uow.session.execute(insert(Dataset), datasets)
        uow.session.execute(insert(Resource), resources)
        uow.audit("opendata.bench.generated", "catalogue", "bench", {"datasets": count})
    with platform.db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def search_figures(platform: Platform, database: str, calls: int) -> Figures:
    session = platform.db.read_session()
    call = service.Call(platform, ANONYMOUS, SEARCH, platform.settings.base_url)
    ours = service.READS["package_search"](session, call)
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as db:
        count = db.execute(SEARCH_SQL[0]).fetchone()
        assert count is not None
        assert count[0] == ours["count"], (count, ours["count"])
        print(f"package_search: {ours['count']} matches, {len(ours['results'])} shown")

        def reference(_number: int) -> None:
            for statement in SEARCH_SQL:
                db.execute(statement).fetchall()

        def mine(_number: int) -> None:
            service.READS["package_search"](session, call)

        figures = interleaved(calls, mine, reference)
    session.close()
    return figures


def generate_readings(platform: Platform, rows: int, devices: int) -> list[str]:
    """`rows` Airbox readings of `devices` devices, five quantities, every minute from 2026-11."""
    places = schools(devices)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    warm = [line for _w, _s, line in lines(places, start, 1, timedelta(minutes=1))]
    readings, refused = parse_lines(warm)
    with platform.unit_of_work(system_actor("bench")) as uow:
        ingest(
            uow,
            readings,
            refused,
            source="file",
            acting=Acting(None),
            registry=registry_of(platform),
        )
    per_stream = rows // (devices * 5)
    start_ms = int(start.timestamp() * 1000)
    with platform.unit_of_work(system_actor("bench")) as uow:
        store_for(uow.session).prepare(uow.session, (start_ms, start_ms + per_stream * 60_000))
        uow.session.execute(
            text(
                "INSERT INTO sensors_observations (datastream_id, phenomenon_ms, result_number)"
                " SELECT d.id, :start + s.step * 60000, (s.step % 97) + d.id % 13"
                " FROM sensors_datastreams d CROSS JOIN generate_series(1, :steps) s(step)"
            ),
            {"start": start_ms, "steps": per_stream},
        )
        uow.audit("sensors.bench.generated", "observations", "bench", {"rows": rows})
    with platform.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE sensors_observations"))
        db.execute(text("ANALYZE"))
        stored = db.execute(text("SELECT count(*) FROM sensors_observations")).scalar_one()
    print(f"datastore: {stored:,} readings of {devices} devices")
    return sorted({reading.device_id for reading in readings})


def datastore_figures(
    platform: Platform, database: str, device_ids: list[str], calls: int
) -> Figures:
    service.refresh_catalogue(platform)
    session = platform.db.read_session()
    base = platform.settings.base_url
    shown = service.READS["package_show"](
        session, service.Call(platform, ANONYMOUS, {"id": "airbox-readings"}, base)
    )
    resource_id = shown["resources"][0]["id"]
    rng = random.Random(1)
    picks = [
        (rng.choice(device_ids), rng.choice(("pm25", "pm10", "temperature"))) for _ in range(calls)
    ]

    def mine(number: int) -> None:
        device, quantity = picks[number]
        params = {
            "resource_id": resource_id,
            "filters": {"device_id": device, "quantity": quantity},
            "sort": "time_ms desc",
        }
        found = service.READS["datastore_search"](
            session, service.Call(platform, ANONYMOUS, params, base)
        )
        assert len(found["records"]) == 100, found["total"]

    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as db:

        def reference(number: int) -> None:
            for statement in READINGS_SQL:
                db.execute(statement, picks[number]).fetchall()

        figures = interleaved(calls, mine, reference)
    session.close()
    return figures


def _serve(database: str, folder: Path, port: int) -> None:
    """The source instance, served by uvicorn in a process of its own (as in production)."""
    settings = Settings(
        database_url=f"{SERVER}/{database}",
        data_dir=folder / database,
        log_requests=False,
        base_url=f"http://127.0.0.1:{port}",
    )
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    uvicorn.run(create_app(platform=platform), host="127.0.0.1", port=port, log_level="warning")


def harvest_figures(
    source: Platform, target: Platform, database: str, folder: Path, port: int
) -> tuple[float, float, dict[str, Any]]:
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(database, folder, port)
    )
    server.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the source did not start"
                time.sleep(0.2)
        service.add_harvest_source(target, "source", source.settings.base_url)
        began = time.perf_counter()
        report = service.harvest_source(target, "source")
        harvest = time.perf_counter() - began
    finally:
        server.terminate()
        server.join(timeout=30)
    assert report["status"] == "ok", report
    session = source.db.read_session()
    began = time.perf_counter()
    start = 0
    while True:
        params = {"rows": 1000, "start": start, "sort": "name asc"}
        page = service.READS["package_search"](
            session, service.Call(source, ANONYMOUS, params, source.settings.base_url)
        )
        json.dumps(page, ensure_ascii=False)
        start += 1000
        if start >= page["count"]:
            break
    serialise = time.perf_counter() - began
    session.close()
    return harvest, serialise, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="smartcity_bench_opendata")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--port", type=int, default=8300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-opendata-"))
    platform = fresh_platform(args.database, folder, args.port)

    began = time.perf_counter()
    generate_catalogue(platform, args.datasets)
    print(f"catalogue of {args.datasets:,} generated in {time.perf_counter() - began:.1f} s")
    show("package_search", search_figures(platform, args.database, args.calls))

    other = f"{args.database}_b"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (other,)).fetchone() is None:
            db.execute(f'CREATE DATABASE "{other}"')
    target = fresh_platform(other, folder, args.port + 1)
    harvest, serialise, report = harvest_figures(platform, target, args.database, folder, args.port)
    print(
        f"harvest of {len(report['added']):,} datasets {harvest:.2f} s ÷ serialising them"
        f" locally {serialise:.2f} s = {harvest / serialise:.2f}"
    )
    target.db.dispose()

    began = time.perf_counter()
    device_ids = generate_readings(platform, args.rows, args.devices)
    print(f"readings generated in {time.perf_counter() - began:.1f} s")
    show("datastore_search", datastore_figures(platform, args.database, device_ids, args.calls))
    platform.db.dispose()


if __name__ == "__main__":
    main()
