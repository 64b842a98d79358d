"""SensorThings filters through a navigation: Things by their Location's distance.

Figure, measured in one run: the time of
`GET /sta/v1.1/Things?$filter=geo.distance(Locations/location, geography'POINT(x y)') lt d`
÷ the time of the same filter on the Locations themselves
(`GET /sta/v1.1/Locations?$filter=geo.distance(location, …) lt d`), which needs no navigation.
Both answer the same number of entities (each Thing has one Location) with `$count=true`.

Run: `.venv/bin/python bench/bench_sensors_sta_navigation.py [--things 2000] [--repeat 15]
[--database-url URL]` (default: a new SQLite file; a PostgreSQL URL must name an empty database)

Fairness: both requests go through the same app, HTTP client and page size; attempts are
interleaved, alternating which goes first, and the median of each is kept.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from smartcity.app import build_platform, create_app
from smartcity.core.auth import system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.migrate import upgrade
from smartcity.core.settings import Settings
from smartcity.modules.sensors.models import Location, Thing, ThingLocation

CENTRE = (121.5277, 25.0323)
RADIUS = 0.01
SPREAD = 0.1
"""Things lie uniformly in a square of ±SPREAD degrees: about 0.8 % of them are in range."""


def _load(platform: object, things: int) -> None:
    rng = random.Random(21)
    with platform.unit_of_work(system_actor("bench")) as uow:  # type: ignore[attr-defined]
        session = uow.session
        session.execute(
            insert(Thing),
            [{"id": n, "name": f"T{n}", "description": ""} for n in range(1, things + 1)],
        )
        points = [
            (CENTRE[0] + rng.uniform(-SPREAD, SPREAD), CENTRE[1] + rng.uniform(-SPREAD, SPREAD))
            for _ in range(things)
        ]
        session.execute(
            insert(Location),
            [
                {
                    "id": n,
                    "name": f"L{n}",
                    "description": "",
                    "encoding_type": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [x, y]},
                    "longitude": x,
                    "latitude": y,
                }
                for n, (x, y) in enumerate(points, start=1)
            ],
        )
        session.execute(
            insert(ThingLocation),
            [{"thing_id": n, "location_id": n} for n in range(1, things + 1)],
        )


def _timed(client: TestClient, path: str, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(f"/sta/v1.1/{path}", params={"$filter": query, "$count": "true"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed, int(response.json()["@iot.count"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--things", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(
            database_url=url,
            data_dir=Path(folder) / "var",
            environment="test",
            log_requests=False,
            base_url="http://testserver",
        )  # type: ignore[call-arg]
        platform = build_platform(settings, keys=KeyRing.ephemeral())
        upgrade(platform.db.engine, platform.modules)
        _load(platform, args.things)
        point = f"geography'POINT({CENTRE[0]} {CENTRE[1]})'"
        navigated = ("Things", f"geo.distance(Locations/location, {point}) lt {RADIUS}")
        direct = ("Locations", f"geo.distance(location, {point}) lt {RADIUS}")
        times: dict[str, list[float]] = {"navigated": [], "direct": []}
        counts: set[int] = set()
        with TestClient(create_app(platform=platform)) as client:
            _timed(client, *navigated)  # warm both paths up
            _timed(client, *direct)
            for attempt in range(args.repeat):
                order = [("navigated", navigated), ("direct", direct)]
                for name, (path, query) in order if attempt % 2 == 0 else reversed(order):
                    elapsed, count = _timed(client, path, query)
                    times[name].append(elapsed)
                    counts.add(count)
        platform.db.dispose()
    assert len(counts) == 1, counts  # both filters found the same entities
    nav, ref = statistics.median(times["navigated"]), statistics.median(times["direct"])
    print(f"database: {platform.db.engine.dialect.name}; things: {args.things}; in range: {counts}")
    print(f"Things by geo.distance(Locations/location, …): median {nav * 1000:.1f} ms")
    print(f"Locations by geo.distance(location, …):       median {ref * 1000:.1f} ms")
    print(f"navigated ÷ direct: {nav / ref:.2f}")


if __name__ == "__main__":
    main()
